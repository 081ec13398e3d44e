//! The records every layer shares: what a user, a thread, a message and an
//! inbox entry are. Plain data with no behaviour beyond reading itself, so
//! that the domain modules and the storage backends both depend on this
//! module and never on each other's internals.

use crate::ids::{MessageId, ThreadId, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A user as others see it. The password hash never leaves the library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// The user's id.
    pub id: UserId,
    /// The email address, as given at registration (trimmed).
    pub email: String,
    /// The username, as given at registration.
    pub username: String,
    /// First name; may be empty.
    pub first_name: String,
    /// Last name; may be empty.
    pub last_name: String,
    /// When the user registered.
    #[serde(serialize_with = "crate::rfc3339::millis")]
    pub created_at: DateTime<Utc>,
}

/// A conversation between exactly two users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Thread {
    /// The thread's id.
    pub id: ThreadId,
    /// The two participants, lower id first.
    pub participants: [UserId; 2],
    /// When the thread was created.
    #[serde(serialize_with = "crate::rfc3339::millis")]
    pub created_at: DateTime<Utc>,
    /// When the newest message was sent, or the creation time if none.
    #[serde(serialize_with = "crate::rfc3339::millis")]
    pub last_activity_at: DateTime<Utc>,
}

impl Thread {
    /// The participant who is not `user`, or `None` if `user` is not a participant.
    pub fn other_participant(&self, user: UserId) -> Option<UserId> {
        match self.participants {
            [a, b] if a == user => Some(b),
            [a, b] if b == user => Some(a),
            _ => None,
        }
    }
}

/// A message in a two-person thread. Its recipient is the other participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// The message's id; grows monotonically across the store.
    pub id: MessageId,
    /// The thread it belongs to.
    pub thread_id: ThreadId,
    /// Who sent it.
    pub sender_id: UserId,
    /// The text, exactly as sent (or as last edited); empty for a
    /// withdrawn message (see `deleted_at`).
    pub text: String,
    /// When it was sent.
    #[serde(serialize_with = "crate::rfc3339::millis")]
    pub created_at: DateTime<Utc>,
    /// When the recipient read it; `None` while unread.
    #[serde(serialize_with = "crate::rfc3339::option_millis")]
    pub read_at: Option<DateTime<Utc>>,
    /// When the sender last edited it
    /// ([`Session::edit_message`](crate::Session::edit_message)); `None` if never.
    #[serde(serialize_with = "crate::rfc3339::option_millis")]
    pub edited_at: Option<DateTime<Utc>>,
    /// When the sender withdrew it
    /// ([`Session::delete_message`](crate::Session::delete_message)); `None`
    /// while it stands. A withdrawn message is a tombstone: its text is gone
    /// (empty here and in the store), the rest stays.
    #[serde(serialize_with = "crate::rfc3339::option_millis")]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// One entry of a user's inbox ([`Session::list_threads`](crate::Session::list_threads)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadSummary {
    /// The thread.
    #[serde(flatten)]
    pub thread: Thread,
    /// The other participant.
    pub other: User,
    /// The newest message, if any this user can see: `None` for an empty
    /// thread or one this user cleared since its newest message; a withdrawn
    /// newest message shows as its tombstone (no text, `deleted_at` set).
    pub last_message: Option<Message>,
    /// Messages from the other participant this user has not read.
    pub unread_count: u64,
}

/// One account that ambiguous text could name, in [`Error::AmbiguousUser`](crate::Error::AmbiguousUser).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserCandidate {
    /// How to name this account alone, e.g. `id:2` or `username:2`.
    pub spelling: String,
    /// The account.
    pub user_id: UserId,
    /// Its username, so a person can tell the candidates apart.
    pub username: String,
}

/// The message of [`Error::AmbiguousUser`](crate::Error::AmbiguousUser).
pub(crate) fn ambiguity_message(text: &str, candidates: &[UserCandidate]) -> String {
    let listed: Vec<String> = candidates
        .iter()
        .map(|c| format!("{} (user {}, {})", c.spelling, c.user_id, c.username))
        .collect();
    format!(
        "{text:?} could name {} different accounts, so nothing was done; name one: {}",
        candidates.len(),
        listed.join(" or ")
    )
}
