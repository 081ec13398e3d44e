//! What a valid email, username, name and password are, and the keys
//! uniqueness and lookups compare: pure rules, no storage. Registration,
//! the bulk loader and the Django import all check a new user here
//! ([`validate_new_user`]).

use crate::error::{Error, Result};
use unicode_normalization::UnicodeNormalization;

/// Longest username, first name and last name, in characters (as Django's).
pub const MAX_NAME_CHARS: usize = 150;
/// Shortest password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Longest email address, in bytes (RFC 5321's path limit).
pub const MAX_EMAIL_BYTES: usize = 254;

/// A new user's fields, checked and normalised, with their keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValidUser {
    /// The email, trimmed.
    pub email: String,
    /// Its case-folded key ([`email_key`]).
    pub email_key: String,
    /// The username, NFKC-normalised.
    pub username: String,
    /// Its uniqueness key ([`username_key`]).
    pub username_key: String,
    /// The first name, trimmed.
    pub first_name: String,
    /// The last name, trimmed.
    pub last_name: String,
}

/// The one check of a new user's fields, in this order: email, username,
/// the password where one is given ([`validate_password`]; an import brings
/// a hash instead), first and last name.
pub(crate) fn validate_new_user(
    email: &str,
    username: &str,
    password: Option<&str>,
    first_name: &str,
    last_name: &str,
) -> Result<ValidUser> {
    let (email, email_key) = validate_email(email)?;
    let (username, username_key) = validate_username(username)?;
    if let Some(password) = password {
        validate_password(password)?;
    }
    Ok(ValidUser {
        email,
        email_key,
        username,
        username_key,
        first_name: validate_name("first name", first_name)?,
        last_name: validate_name("last name", last_name)?,
    })
}

/// Trims and checks an email address; returns it and its case-folded key.
pub(crate) fn validate_email(raw: &str) -> Result<(String, String)> {
    let email = raw.trim();
    let invalid = |why: &str| Err(Error::InvalidEmail(why.to_string()));
    if email.is_empty() {
        return invalid("the email is empty");
    }
    if email.len() > MAX_EMAIL_BYTES {
        return invalid("the email is longer than 254 bytes");
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return invalid("an email needs an @ between name and domain");
    };
    if local.is_empty() || local.len() > 64 {
        return invalid("the part before @ must have 1 to 64 bytes");
    }
    let local_ok = local
        .chars()
        .all(|c| c.is_alphanumeric() || (c.is_ascii_graphic() && !"\"(),:;<>@[\\]".contains(c)));
    if !local_ok || local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return invalid("the part before @ has characters an address cannot have");
    }
    if !valid_domain(domain) {
        return invalid("the domain after @ is not a valid host name (like example.com)");
    }
    Ok((email.to_string(), email_key(email)))
}

fn valid_domain(domain: &str) -> bool {
    if domain.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    // As Django's validator: a top-level domain of letters, or a punycode one.
    let tld_ok = labels.last().is_some_and(|tld| {
        (tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
            || tld.starts_with("xn--")
    });
    labels.len() >= 2 && labels.iter().all(label_ok) && tld_ok
}

/// Checks a username (Django's rule: 1–150 letters, digits and `@.+-_`,
/// after NFKC normalisation as Django applies it); returns the normalised
/// username and its uniqueness key ([`username_key`]).
pub(crate) fn validate_username(raw: &str) -> Result<(String, String)> {
    let username: String = raw.nfkc().collect();
    let count = username.chars().count();
    if count == 0 || count > MAX_NAME_CHARS {
        return Err(Error::InvalidUsername(format!(
            "a username has 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    if let Some(bad) = username
        .chars()
        .find(|c| !(c.is_alphanumeric() || "@.+-_".contains(*c)))
    {
        return Err(Error::InvalidUsername(format!(
            "{bad:?} is not allowed; use letters, digits and @ . + - _"
        )));
    }
    let key = username_key(&username);
    Ok((username, key))
}

/// The key usernames are unique by: NFKC, case-folded, and reduced to its
/// Unicode confusable skeleton (UTS #39), so that names that look alike
/// (`ann`, `ANN`, Cyrillic `аnn`, full-width `ａｎｎ`, `rn`/`m`, `l`/`1`/`I`)
/// are one name and cannot impersonate each other. It refuses confusable
/// registrations and narrows searches; it never decides which account a
/// lookup names (see `lookup`).
pub(crate) fn username_key(username: &str) -> String {
    let folded = username.trim().nfkc().collect::<String>().to_lowercase();
    unicode_security::skeleton(&folded)
        .collect::<String>()
        .to_lowercase()
}

/// Checks a new password against the rules every new password meets (at
/// least [`MIN_PASSWORD_CHARS`] characters, at most [`MAX_PASSWORD_BYTES`]
/// bytes), as [`Store::register`](crate::Store::register) and
/// [`Store::set_password`](crate::Store::set_password) do. For a
/// client that wants to refuse a password before asking for it again.
///
/// # Errors
/// [`Error::WeakPassword`] naming the rule it breaks.
///
/// ```
/// assert!(chatcore::validate_password("short").is_err());
/// assert!(chatcore::validate_password("long enough").is_ok());
/// ```
pub fn validate_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::WeakPassword(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::WeakPassword(format!(
            "a password may have at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(())
}

/// Checks an optional first or last name; returns it trimmed.
pub(crate) fn validate_name(field: &str, raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::InvalidArgument(format!(
            "{field} may have at most {MAX_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::InvalidArgument(format!(
            "{field} may not contain control characters"
        )));
    }
    Ok(name.to_string())
}

/// The key a login email is looked up by. No validation: an address that
/// could never be registered simply is not found.
pub(crate) fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}
