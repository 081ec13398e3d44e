//! Naming a user: the one rule that turns what a caller gave into exactly
//! one account, or fails.
//!
//! A user is named by id, by username or by email ([`UserRef`]). Each form
//! matches exactly one thing:
//!
//! - **id**: the user's id.
//! - **username**: the stored username, compared after NFKC normalisation
//!   (as registration stores it) and case-insensitively. Registration
//!   already refuses two usernames that differ only in case, so a
//!   case-folded name still names at most one account. Look-alike keys
//!   (confusable skeletons, `l` for `1`) are never used to find a user:
//!   they only refuse confusable registrations.
//! - **email**: the address normalised as registration normalises it
//!   (trimmed, case-insensitive).
//!
//! Text typed by a person ([`UserRef::parse`]) is either explicit
//! (`id:2`, `username:l`, `email:ann@example.com`) or bare. Bare text is
//! tried as every form it could be (an email if it contains `@`, a
//! username, an id if it is all digits); if those name two different
//! accounts the lookup fails with [`Error::AmbiguousUser`], whose message
//! lists the explicit spelling of each candidate. Nothing is ever done on
//! a guess.

use crate::accounts::{Session, User};
use crate::error::{Error, Result};
use crate::ids::UserId;
pub use crate::models::UserCandidate;
use crate::names::{email_key, username_key};
use crate::storage::AccountStorage;
use crate::store::Store;
use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// The prefix of an explicit id: `id:2`.
pub const ID_PREFIX: &str = "id:";
/// The prefix of an explicit username: `username:l`.
pub const USERNAME_PREFIX: &str = "username:";
/// The prefix of an explicit email: `email:ann@example.com`.
pub const EMAIL_PREFIX: &str = "email:";

/// How a caller names one user.
///
/// ```
/// use chatcore::{UserId, UserRef};
/// assert_eq!(UserRef::parse("id:2")?, UserRef::Id(UserId(2)));
/// assert_eq!(UserRef::parse("username:l")?, UserRef::Username("l"));
/// assert_eq!(UserRef::parse("email:ann@example.com")?, UserRef::Email("ann@example.com"));
/// assert_eq!(UserRef::parse("2")?, UserRef::Text("2"));
/// assert_eq!(UserRef::Username("l").to_string(), "username:l");
/// # Ok::<(), chatcore::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRef<'a> {
    /// The user with this id.
    Id(UserId),
    /// The user with this username (NFKC, case-insensitive; never a look-alike).
    Username(&'a str),
    /// The user with this email (trimmed, case-insensitive).
    Email(&'a str),
    /// Bare text as a person typed it: whichever of the three forms it
    /// names, refused as [`Error::AmbiguousUser`] if they name different
    /// accounts.
    Text(&'a str),
}

impl<'a> UserRef<'a> {
    /// How a person types `username` so that it names that username alone:
    /// bare where bare text can only be read as a username, else with the
    /// `username:` prefix (a name made of digits could be an id, one with
    /// an `@` an email). For completions and suggestions.
    ///
    /// ```
    /// use chatcore::UserRef;
    /// assert_eq!(UserRef::username_spelling("ann"), "ann");
    /// assert_eq!(UserRef::username_spelling("2"), "username:2");
    /// assert_eq!(UserRef::username_spelling("a@b.example"), "username:a@b.example");
    /// ```
    pub fn username_spelling(username: &str) -> String {
        match could_be_email(username) || could_be_id(username).is_some() {
            true => UserRef::Username(username).to_string(),
            false => username.to_string(),
        }
    }

    /// Reads what a person typed: `id:N`, `username:NAME` and
    /// `email:ADDRESS` are explicit (no username or email can contain `:`),
    /// anything else is [`UserRef::Text`]. Surrounding spaces are ignored.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an explicit form with nothing after
    /// its prefix, or an `id:` that is not a positive number.
    pub fn parse(text: &'a str) -> Result<UserRef<'a>> {
        let text = text.trim();
        let explicit = |prefix: &str| {
            text.get(..prefix.len())
                .filter(|head| head.eq_ignore_ascii_case(prefix))
                .map(|_| text[prefix.len()..].trim())
        };
        let nonempty = |rest: &'a str, what: &str| match rest.is_empty() {
            true => Err(Error::InvalidArgument(format!(
                "{what} is missing after the prefix in {text:?}"
            ))),
            false => Ok(rest),
        };
        if let Some(rest) = explicit(ID_PREFIX) {
            let id = nonempty(rest, "an id")?;
            return match id.parse::<i64>() {
                Ok(id) if id > 0 => Ok(UserRef::Id(UserId(id))),
                _ => Err(Error::InvalidArgument(format!(
                    "{id:?} is not a user id (a positive number), in {text:?}"
                ))),
            };
        }
        if let Some(rest) = explicit(USERNAME_PREFIX) {
            return Ok(UserRef::Username(nonempty(rest, "a username")?));
        }
        if let Some(rest) = explicit(EMAIL_PREFIX) {
            return Ok(UserRef::Email(nonempty(rest, "an email")?));
        }
        Ok(UserRef::Text(text))
    }
}

impl fmt::Display for UserRef<'_> {
    /// The explicit spelling (`id:2`, `username:l`, `email:…`); bare text as is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserRef::Id(id) => write!(f, "{ID_PREFIX}{id}"),
            UserRef::Username(name) => write!(f, "{USERNAME_PREFIX}{name}"),
            UserRef::Email(email) => write!(f, "{EMAIL_PREFIX}{email}"),
            UserRef::Text(text) => f.write_str(text),
        }
    }
}

// ---------------------------------------------------------------------------
// The rule

/// The one lookup: exactly the account `who` names, or an error.
pub(crate) fn resolve(tx: &mut (impl AccountStorage + ?Sized), who: UserRef<'_>) -> Result<User> {
    let not_found = |what: String| Err(Error::UserNotFound(what));
    match who {
        UserRef::Id(id) => match tx.user(id)? {
            Some(user) => Ok(user),
            None => not_found(format!("no user has id {id}")),
        },
        UserRef::Username(name) => match by_username(tx, name)? {
            Some(user) => Ok(user),
            None => not_found(format!("no user has the username {name:?}")),
        },
        UserRef::Email(email) => match tx.user_by_email_key(&email_key(email))? {
            Some(user) => Ok(user),
            None => not_found(format!("no user has the email {email:?}")),
        },
        UserRef::Text(text) => resolve_text(tx, text),
    }
}

/// Whether bare text is also read as an email (it has an `@`).
fn could_be_email(text: &str) -> bool {
    text.contains('@')
}

/// The id bare text is also read as, if it is all digits.
fn could_be_id(text: &str) -> Option<UserId> {
    match !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        true => text.parse().ok().map(UserId),
        false => None,
    }
}

/// Bare text: every account it could name; exactly one, or an error.
fn resolve_text(tx: &mut (impl AccountStorage + ?Sized), text: &str) -> Result<User> {
    let text = text.trim();
    let mut found: Vec<(UserRef<'_>, User)> = Vec::new();
    if could_be_email(text)
        && let Some(user) = tx.user_by_email_key(&email_key(text))?
    {
        found.push((UserRef::Email(text), user));
    }
    if let Some(user) = by_username(tx, text)? {
        found.push((UserRef::Username(text), user));
    }
    if let Some(id) = could_be_id(text)
        && let Some(user) = tx.user(id)?
    {
        found.push((UserRef::Id(id), user));
    }
    let first_id = found.first().map(|(_, user)| user.id);
    if found.iter().all(|(_, user)| Some(user.id) == first_id) {
        return match found.into_iter().next() {
            Some((_, user)) => Ok(user),
            None => Err(Error::UserNotFound(format!(
                "no user has the email, username or id {text:?}"
            ))),
        };
    }
    let candidates = found
        .into_iter()
        .map(|(spelling, user)| UserCandidate {
            spelling: spelling.to_string(),
            user_id: user.id,
            username: user.username,
        })
        .collect();
    Err(Error::AmbiguousUser {
        text: text.to_string(),
        candidates,
    })
}

/// The user whose stored username is `name` (NFKC, case-insensitive). The
/// look-alike key only narrows the search to its one row (it is unique and
/// indexed); the row counts only if its username is the one given.
fn by_username(tx: &mut (impl AccountStorage + ?Sized), name: &str) -> Result<Option<User>> {
    let wanted: String = name.trim().nfkc().collect::<String>().to_lowercase();
    let Some(user) = tx.user_by_username_key(&username_key(&wanted))? else {
        return Ok(None);
    };
    let stored: String = user.username.nfkc().collect::<String>().to_lowercase();
    Ok((stored == wanted).then_some(user))
}

// ---------------------------------------------------------------------------
// Operations

impl Store {
    /// Finds exactly the user `who` names, for the host application's
    /// administrative tasks (such as [`Store::set_password`]) where no user
    /// is logged in. Whoever can open the file administers it.
    ///
    /// # Errors
    /// [`Error::UserNotFound`]; [`Error::AmbiguousUser`] for
    /// [`UserRef::Text`] that names two different accounts.
    pub fn find_user_by(&self, who: UserRef<'_>) -> Result<User> {
        self.read(|tx| resolve(tx, who))
    }

    /// Finds the user named by text a person typed: [`UserRef::parse`],
    /// then [`Store::find_user_by`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] (a malformed `id:`), [`Error::UserNotFound`],
    /// [`Error::AmbiguousUser`].
    pub fn find_user(&self, text: &str) -> Result<User> {
        self.find_user_by(UserRef::parse(text)?)
    }
}

impl Session {
    /// Finds exactly the user `who` names.
    ///
    /// # Errors
    /// [`Error::UserNotFound`]; [`Error::AmbiguousUser`] for
    /// [`UserRef::Text`] that names two different accounts; a session error.
    pub fn find_user_by(&self, who: UserRef<'_>) -> Result<User> {
        self.read(|tx, _| resolve(tx, who))
    }

    /// Finds the user named by text a person typed (`id:2`, `username:ann`,
    /// `email:ann@example.com`, or bare text that names one account):
    /// [`UserRef::parse`], then [`Session::find_user_by`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] (a malformed `id:`), [`Error::UserNotFound`],
    /// [`Error::AmbiguousUser`], or a session error.
    pub fn find_user(&self, text: &str) -> Result<User> {
        self.find_user_by(UserRef::parse(text)?)
    }
}
