//! Password hashing: argon2id PHC strings, verification and rehash decisions.

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

/// Checks `password` against a stored PHC string. A stored string that is not
/// a valid argon2 hash never matches (the account cannot log in).
pub(crate) fn verify(cost: PasswordCost, stored: &str, password: &str) -> Verified {
    let no = Verified {
        matches: false,
        needs_rehash: false,
    };
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

#[cfg(test)]
mod tests {
    use super::*;

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
