//! The one error type of the library and its stable machine codes.

use std::fmt;

/// Shorthand for `Result<T, chatcore::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a `chatcore` call.
///
/// Each kind has a stable machine code ([`Error::code`]) shared by the Rust
/// API, the C ABI (`chat_status`) and the CLI's JSON output. The `Display`
/// text is meant for people; it never contains a password, a token or a hash.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument is malformed: a bad page limit, a bad cursor, a negative id.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The email address is not acceptable.
    #[error("invalid email: {0}")]
    InvalidEmail(String),
    /// The username is not acceptable.
    #[error("invalid username: {0}")]
    InvalidUsername(String),
    /// The password is too short or too long.
    #[error("weak password: {0}")]
    WeakPassword(String),
    /// The message text is empty or too long.
    #[error("invalid text: {0}")]
    InvalidText(String),
    /// Another user already has this email (compared case-insensitively).
    #[error("that email is already registered")]
    EmailTaken,
    /// Another user already has this username (compared case-insensitively).
    #[error("that username is already taken")]
    UsernameTaken,
    /// Unknown email or wrong password; deliberately not told apart.
    #[error("wrong email or password")]
    InvalidCredentials,
    /// The session does not exist: it was never issued, logged out or revoked.
    #[error("the session is not valid (logged out or revoked); log in again")]
    SessionInvalid,
    /// The session has passed its expiry time.
    #[error("the session has expired; log in again")]
    SessionExpired,
    /// No user matches.
    #[error("user not found: {0}")]
    UserNotFound(String),
    /// No thread has this id.
    #[error("thread {0} not found")]
    ThreadNotFound(i64),
    /// No message has this id.
    #[error("message {0} not found")]
    MessageNotFound(i64),
    /// A thread needs exactly two participants.
    #[error("a thread has exactly two participants, {0} were given")]
    WrongParticipantCount(usize),
    /// The same user was named twice as a participant.
    #[error("the same user cannot be both participants of a thread")]
    DuplicateParticipant,
    /// The session's user is not a participant of the thread.
    #[error("you are not a participant of this thread")]
    NotParticipant,
    /// Only the recipient of a message may mark it read.
    #[error("only the recipient can mark a message read")]
    NotRecipient,
    /// The database stayed locked by another writer past the busy timeout.
    #[error("the database is busy (locked by another connection); try again")]
    Busy,
    /// The storage failed: I/O error, disk full, or a file that is not a valid database.
    #[error("storage error: {message}")]
    Storage {
        /// What failed, for people.
        message: String,
        /// The underlying cause, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// The file was written by a newer version of chatcore; it was left untouched.
    #[error(
        "the database uses schema version {found}, newer than this library's {supported}; \
         upgrade chatcore (the file was left untouched)"
    )]
    SchemaTooNew {
        /// The schema version found in the file.
        found: i64,
        /// The newest schema version this library knows.
        supported: i64,
    },
    /// An import file is malformed or breaks a rule; the message names the
    /// entry (model and pk). Nothing was imported.
    #[error("cannot import: {0}")]
    InvalidImport(String),
    /// A bug in chatcore (or a caught panic at the C boundary).
    #[error("internal error: {0}")]
    Internal(String),
    /// A user was named by bare text (no `id:`, `username:` or `email:`)
    /// that names two or more different accounts; nothing was done. The
    /// message says how to name each candidate on its own.
    #[error("{}", crate::models::ambiguity_message(.text, .candidates))]
    AmbiguousUser {
        /// The text as given.
        text: String,
        /// Every account the text could name, with its explicit spelling.
        candidates: Vec<crate::models::UserCandidate>,
    },
    /// A change cursor is older than the entries the feed still keeps
    /// (pruned by its retention): entries after it are gone. Reload what
    /// is on screen and take a fresh cursor
    /// ([`Session::change_cursor`](crate::Session::change_cursor)).
    #[error("the change cursor is older than the kept changes; reload and take a fresh cursor")]
    ChangesExpired,
    /// Only the sender of a message may edit or withdraw it.
    #[error("only the sender can edit or withdraw a message")]
    NotSender,
    /// The store's file cannot be read with the key given: a wrong key, a
    /// key for a plain (unencrypted) file, or no key for an encrypted one.
    /// The file was left untouched. The message never contains the key.
    #[error("wrong database key: {0}; the file was left untouched")]
    WrongKey(String),
}

impl Error {
    /// The stable machine code of this error kind, e.g. `"not_participant"`.
    ///
    /// Codes never change meaning; new kinds get new codes.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidArgument(_) => "invalid_argument",
            Error::InvalidEmail(_) => "invalid_email",
            Error::InvalidUsername(_) => "invalid_username",
            Error::WeakPassword(_) => "weak_password",
            Error::InvalidText(_) => "invalid_text",
            Error::EmailTaken => "email_taken",
            Error::UsernameTaken => "username_taken",
            Error::InvalidCredentials => "invalid_credentials",
            Error::SessionInvalid => "session_invalid",
            Error::SessionExpired => "session_expired",
            Error::UserNotFound(_) => "user_not_found",
            Error::ThreadNotFound(_) => "thread_not_found",
            Error::MessageNotFound(_) => "message_not_found",
            Error::WrongParticipantCount(_) => "wrong_participant_count",
            Error::DuplicateParticipant => "duplicate_participant",
            Error::NotParticipant => "not_participant",
            Error::NotRecipient => "not_recipient",
            Error::Busy => "busy",
            Error::Storage { .. } => "storage",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::InvalidImport(_) => "invalid_import",
            Error::Internal(_) => "internal",
            Error::AmbiguousUser { .. } => "ambiguous_user",
            Error::ChangesExpired => "changes_expired",
            Error::NotSender => "not_sender",
            Error::WrongKey(_) => "wrong_key",
        }
    }

    /// A storage error with a message and no underlying cause.
    pub(crate) fn storage(message: impl fmt::Display) -> Error {
        Error::Storage {
            message: message.to_string(),
            source: None,
        }
    }
}
