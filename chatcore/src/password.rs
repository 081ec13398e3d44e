//! Password hashing: argon2id PHC strings, verification and rehash decisions,
//! and Django's legacy `pbkdf2_sha256$…` hashes for imported accounts.

use crate::config::PasswordCost;
use crate::error::{Error, Result};
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verified {
    /// The password is right.
    pub matches: bool,
    /// The stored hash uses other parameters than configured and should be
    /// replaced (only meaningful when `matches`).
    pub needs_rehash: bool,
}

fn hasher(cost: PasswordCost) -> Result<Argon2<'static>> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
        .map_err(|err| Error::InvalidArgument(format!("unusable password cost {cost:?}: {err}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Refuses parameters argon2 would reject, when the store is opened rather
/// than at the first registration.
pub(crate) fn check_cost(cost: PasswordCost) -> Result<()> {
    hasher(cost).map(|_| ())
}

/// Hashes `password` with a fresh 16-byte salt from the OS RNG.
pub(crate) fn hash(cost: PasswordCost, password: &str) -> Result<String> {
    let hash = hasher(cost)?
        .hash_password(password.as_bytes())
        .map_err(|err| Error::Internal(format!("password hashing failed: {err}")))?;
    Ok(hash.to_string())
}

/// Checks `password` against a stored hash: an argon2 PHC string, or a
/// Django `pbkdf2_sha256` hash (which always asks for a rehash). Anything
/// else never matches (the account cannot log in).
pub(crate) fn verify(cost: PasswordCost, stored: &str, password: &str) -> Verified {
    let no = Verified {
        matches: false,
        needs_rehash: false,
    };
    if stored.starts_with(DJANGO_PBKDF2_PREFIX) {
        return match DjangoPbkdf2::parse(stored) {
            Ok(legacy) if legacy.verify(password) => Verified {
                matches: true,
                needs_rehash: true,
            },
            _ => no,
        };
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return no;
    };
    let Ok(argon) = hasher(cost) else {
        return no;
    };
    if argon.verify_password(password.as_bytes(), &parsed).is_err() {
        return no;
    }
    Verified {
        matches: true,
        needs_rehash: !uses_cost(&parsed, cost),
    }
}

fn uses_cost(parsed: &PasswordHash, cost: PasswordCost) -> bool {
    let Ok(params) = Params::try_from(parsed) else {
        return false;
    };
    parsed.algorithm.as_str() == "argon2id"
        && parsed.version == Some(Version::V0x13 as u32)
        && params.m_cost() == cost.memory_kib
        && params.t_cost() == cost.iterations
        && params.p_cost() == cost.parallelism
}

const DJANGO_PBKDF2_PREFIX: &str = "pbkdf2_sha256$";
/// More rounds than any Django release has used; a larger count in an
/// imported file is refused rather than left to stall a login.
const MAX_PBKDF2_ROUNDS: u32 = 10_000_000;

/// A Django `pbkdf2_sha256$<rounds>$<salt>$<base64 sha256 output>` hash.
struct DjangoPbkdf2<'a> {
    rounds: u32,
    salt: &'a str,
    expected: Vec<u8>,
}

impl<'a> DjangoPbkdf2<'a> {
    fn parse(stored: &'a str) -> Result<DjangoPbkdf2<'a>, String> {
        use base64::Engine as _;
        let mut parts = stored.split('$');
        let (Some("pbkdf2_sha256"), Some(rounds), Some(salt), Some(hash), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err("a Django hash has the form pbkdf2_sha256$<rounds>$<salt>$<hash>".into());
        };
        let rounds: u32 = rounds
            .parse()
            .map_err(|_| format!("the round count {rounds:?} is not a number"))?;
        if rounds == 0 || rounds > MAX_PBKDF2_ROUNDS {
            return Err(format!(
                "the round count {rounds} is outside 1..={MAX_PBKDF2_ROUNDS}"
            ));
        }
        if salt.is_empty() {
            return Err("the salt is empty".into());
        }
        let expected = base64::engine::general_purpose::STANDARD
            .decode(hash)
            .map_err(|_| "the hash is not valid base64".to_string())?;
        if expected.len() != 32 {
            return Err("the hash is not a SHA-256 output (32 bytes)".into());
        }
        Ok(DjangoPbkdf2 {
            rounds,
            salt,
            expected,
        })
    }

    fn verify(&self, password: &str) -> bool {
        use subtle::ConstantTimeEq;
        let mut derived = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
            password.as_bytes(),
            self.salt.as_bytes(),
            self.rounds,
            &mut derived,
        );
        derived.ct_eq(&self.expected).into()
    }
}

/// What a stored password hash from outside (an import) is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoredHash {
    /// A hash login can verify: argon2 PHC or Django pbkdf2_sha256.
    Usable(String),
    /// Django's unusable password (`!…`) or none: the account cannot log in
    /// until a password is set.
    Unusable,
}

/// Classifies a hash brought in by an import, refusing what login could
/// never verify (so a typo in a dump is an error, not a locked account).
pub(crate) fn check_stored(stored: &str) -> Result<StoredHash, String> {
    if stored.is_empty() || stored.starts_with('!') {
        return Ok(StoredHash::Unusable);
    }
    if stored.starts_with(DJANGO_PBKDF2_PREFIX) {
        DjangoPbkdf2::parse(stored)?;
        return Ok(StoredHash::Usable(stored.to_string()));
    }
    let parsed = PasswordHash::new(stored).map_err(|_| {
        "the password hash is neither pbkdf2_sha256 nor an argon2 PHC string".to_string()
    })?;
    if !parsed.algorithm.as_str().starts_with("argon2") || Params::try_from(&parsed).is_err() {
        return Err("the password hash is not an argon2 hash chatcore can verify".into());
    }
    Ok(StoredHash::Usable(stored.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DJANGO_VECTOR: &str =
        "pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=";

    #[test]
    fn a_known_django_hash_verifies_and_asks_for_a_rehash() {
        let right = verify(PasswordCost::OWASP, DJANGO_VECTOR, "lètmein");
        assert!(right.matches && right.needs_rehash);
        assert!(!verify(PasswordCost::OWASP, DJANGO_VECTOR, "lètmeinz").matches);
        assert!(!verify(PasswordCost::OWASP, DJANGO_VECTOR, "").matches);
    }

    #[test]
    fn malformed_django_hashes_are_refused_without_panicking() {
        for stored in [
            "pbkdf2_sha256$0$salt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=",
            "pbkdf2_sha256$10000001$salt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=",
            "pbkdf2_sha256$-1$salt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=",
            "pbkdf2_sha256$abc$salt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=",
            "pbkdf2_sha256$1000$$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=",
            "pbkdf2_sha256$1000$salt$not base64!",
            "pbkdf2_sha256$1000$salt$c2hvcnQ=",
            "pbkdf2_sha256$1000$salt",
            "pbkdf2_sha256$1000$salt$YlZ2$extra",
            "pbkdf2_sha256$$$",
        ] {
            assert!(check_stored(stored).is_err(), "{stored}");
            assert!(
                !verify(PasswordCost::OWASP, stored, "lètmein").matches,
                "{stored}"
            );
        }
        assert_eq!(
            check_stored(DJANGO_VECTOR),
            Ok(StoredHash::Usable(DJANGO_VECTOR.into()))
        );
        assert_eq!(check_stored("!xyz"), Ok(StoredHash::Unusable));
        assert_eq!(check_stored(""), Ok(StoredHash::Unusable));
        assert!(check_stored("md5$abc$def").is_err());
        let argon = hash(PasswordCost::INSECURE_FAST_FOR_TESTS, "password123").unwrap();
        assert_eq!(check_stored(&argon), Ok(StoredHash::Usable(argon.clone())));
    }

    #[test]
    fn new_hashes_are_argon2id_with_the_configured_cost_and_a_16_byte_salt() {
        let stored = hash(PasswordCost::OWASP, "correct horse").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        let parsed = PasswordHash::new(&stored).unwrap();
        assert_eq!(parsed.salt.unwrap().as_ref().len(), 16);
        let verified = verify(PasswordCost::OWASP, &stored, "correct horse");
        assert!(verified.matches && !verified.needs_rehash);
        assert!(!verify(PasswordCost::OWASP, &stored, "correct horsf").matches);
    }

    #[test]
    fn a_hash_with_other_parameters_verifies_and_asks_for_a_rehash() {
        let weak = hash(PasswordCost::INSECURE_FAST_FOR_TESTS, "pw-12345678").unwrap();
        let verified = verify(PasswordCost::OWASP, &weak, "pw-12345678");
        assert!(verified.matches && verified.needs_rehash);
    }

    #[test]
    fn garbage_never_matches() {
        for stored in ["", "!unusable", "pbkdf2_sha256$1$a$b", "$argon2id$v=19$m=8"] {
            assert!(!verify(PasswordCost::OWASP, stored, "anything at all").matches);
        }
    }
}
