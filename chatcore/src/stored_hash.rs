//! Stored password hashes as found in the database or an import: parsing,
//! the caps on what one may cost to check, and when the configured cost
//! replaces one ("rehash only upward").
//!
//! A stored hash never decides on its own what a login check costs:
//! [`within_caps`] is the one place that decides whether a hash may be
//! checked at all. Both [`crate::password`]'s verification and the Django
//! import call it.

use crate::config::PasswordCost;
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Params, Version};

/// Most memory an argon2 hash may use, in KiB (64 MiB: RFC 9106's
/// second recommended setting; 3.4× the OWASP default). Bounds both the
/// configurable [`PasswordCost`] and the stored hashes login checks.
pub(crate) const MAX_ARGON2_MEMORY_KIB: u32 = 65_536;
/// Most argon2 iterations (OWASP's recommended settings go up to 5).
pub(crate) const MAX_ARGON2_ITERATIONS: u32 = 10;
/// Most argon2 lanes (RFC 9106 recommends 4).
pub(crate) const MAX_ARGON2_PARALLELISM: u32 = 4;
/// Most argon2 work, memory × iterations in KiB: 64 MiB × 3 (RFC 9106's
/// second recommendation), 5× the OWASP default of 19 MiB × 2.
pub(crate) const MAX_ARGON2_WORK_KIB: u64 = 65_536 * 3;
/// Most PBKDF2 rounds of a Django hash: a little above the highest default
/// of a current Django release (870,000 in 5.1, 1,000,000 in 5.2,
/// 1,200,000 in 6.0).
pub(crate) const MAX_PBKDF2_ROUNDS: u32 = 1_500_000;

/// OWASP's weakest recommended argon2id setting (m=7 MiB, t=5), which it
/// rates as strong as PBKDF2-SHA256 at 600,000 rounds: a configured cost
/// at least this strong (memory ≥ 7 MiB and memory × iterations ≥ 35 MiB)
/// replaces a Django PBKDF2 hash; a weaker one leaves it in place.
const PBKDF2_REPLACEMENT_MIN_MEMORY_KIB: u32 = 7_168;
const PBKDF2_REPLACEMENT_MIN_WORK_KIB: u64 = 7_168 * 5;

/// Checks an argon2 cost against the caps; the reason when it is over.
pub(crate) fn check_argon2_cost(
    memory_kib: u32,
    iterations: u32,
    lanes: u32,
) -> Result<(), String> {
    let work = u64::from(memory_kib) * u64::from(iterations);
    if memory_kib > MAX_ARGON2_MEMORY_KIB {
        return Err(format!(
            "argon2 memory {memory_kib} KiB is over the cap of {MAX_ARGON2_MEMORY_KIB} KiB"
        ));
    }
    if iterations > MAX_ARGON2_ITERATIONS {
        return Err(format!(
            "argon2 iterations {iterations} are over the cap of {MAX_ARGON2_ITERATIONS}"
        ));
    }
    if lanes > MAX_ARGON2_PARALLELISM {
        return Err(format!(
            "argon2 parallelism {lanes} is over the cap of {MAX_ARGON2_PARALLELISM}"
        ));
    }
    if work > MAX_ARGON2_WORK_KIB {
        return Err(format!(
            "argon2 memory × iterations {work} KiB is over the cap of {MAX_ARGON2_WORK_KIB} KiB"
        ));
    }
    Ok(())
}

/// A stored hash login knows how to check (before the caps are applied).
pub(crate) enum Parsed<'a> {
    /// An argon2 PHC string.
    Argon2 {
        algorithm: Algorithm,
        version: Version,
        params: Params,
        salt: Vec<u8>,
        expected: Vec<u8>,
    },
    /// A Django `pbkdf2_sha256` hash.
    Pbkdf2(DjangoPbkdf2<'a>),
}

impl<'a> Parsed<'a> {
    /// Parses a stored hash; the reason when login could never check it.
    pub(crate) fn parse(stored: &'a str) -> Result<Parsed<'a>, String> {
        if stored.starts_with(DJANGO_PBKDF2_PREFIX) {
            return DjangoPbkdf2::parse(stored).map(Parsed::Pbkdf2);
        }
        let not_argon2 =
            || "the password hash is neither pbkdf2_sha256 nor an argon2 PHC string".to_string();
        let parsed = PasswordHash::new(stored).map_err(|_| not_argon2())?;
        let algorithm = Algorithm::new(parsed.algorithm.as_str()).map_err(|_| not_argon2())?;
        let version = match parsed.version {
            None => Version::V0x13,
            Some(version) => Version::try_from(version)
                .map_err(|_| format!("argon2 version {version} is unknown"))?,
        };
        let unusable = || "the password hash is not an argon2 hash chatcore can verify".to_string();
        let params = Params::try_from(&parsed).map_err(|_| unusable())?;
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return Err(unusable());
        };
        Ok(Parsed::Argon2 {
            algorithm,
            version,
            params,
            salt: salt.as_ref().to_vec(),
            expected: expected.as_bytes().to_vec(),
        })
    }

    /// Whether the configured cost is stronger than this hash, so that a
    /// successful login replaces it ("rehash only upward"):
    /// - argon2: the configured cost has at least the memory and at least
    ///   the iterations of the stored hash, and more of one, or the same of
    ///   both with the stored hash an older variant (argon2i/argon2d or
    ///   version 0x10). Parallelism alone never triggers a rehash.
    /// - Django PBKDF2: the configured cost is at least OWASP's weakest
    ///   recommended argon2id setting (m=7 MiB, t=5); a weaker configured
    ///   cost (such as the insecure test cost) keeps the PBKDF2 hash.
    pub(crate) fn replaced_by(&self, cost: PasswordCost) -> bool {
        let work = u64::from(cost.memory_kib) * u64::from(cost.iterations);
        match self {
            Parsed::Pbkdf2(_) => {
                cost.memory_kib >= PBKDF2_REPLACEMENT_MIN_MEMORY_KIB
                    && work >= PBKDF2_REPLACEMENT_MIN_WORK_KIB
            }
            Parsed::Argon2 {
                algorithm,
                version,
                params,
                ..
            } => {
                let (memory, iterations) = (params.m_cost(), params.t_cost());
                let at_least = cost.memory_kib >= memory && cost.iterations >= iterations;
                let stronger = cost.memory_kib > memory || cost.iterations > iterations;
                let older = *algorithm != Algorithm::Argon2id || *version != Version::V0x13;
                at_least && (stronger || older)
            }
        }
    }
}

/// The one check of whether a stored hash is cheap enough to verify: an
/// argon2 hash within the argon2 caps, a Django hash within
/// [`MAX_PBKDF2_ROUNDS`]. Login never runs a hash this refuses.
pub(crate) fn within_caps(parsed: &Parsed<'_>) -> Result<(), String> {
    match parsed {
        Parsed::Argon2 { params, .. } => {
            check_argon2_cost(params.m_cost(), params.t_cost(), params.p_cost())
        }
        Parsed::Pbkdf2(legacy) if legacy.rounds > MAX_PBKDF2_ROUNDS => Err(format!(
            "pbkdf2 rounds {} are over the cap of {MAX_PBKDF2_ROUNDS}",
            legacy.rounds
        )),
        Parsed::Pbkdf2(_) => Ok(()),
    }
}

const DJANGO_PBKDF2_PREFIX: &str = "pbkdf2_sha256$";

/// A Django `pbkdf2_sha256$<rounds>$<salt>$<base64 sha256 output>` hash.
pub(crate) struct DjangoPbkdf2<'a> {
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
        if rounds == 0 {
            return Err("the round count 0 is not positive".into());
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

    /// Whether `password` matches (constant-time comparison).
    pub(crate) fn verify(&self, password: &str) -> bool {
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
    /// A hash login can verify: argon2 PHC or Django pbkdf2_sha256, within
    /// the caps.
    Usable(String),
    /// Django's unusable password (`!…`) or none: the account cannot log in
    /// until a password is set.
    Unusable,
    /// A well-formed hash over the caps (the reason): the account comes in
    /// without login, as for [`StoredHash::Unusable`], until a password is set.
    OverCaps(String),
}

/// Classifies a hash brought in by an import, refusing what login could
/// never verify (so a typo in a dump is an error, not a locked account).
pub(crate) fn check_stored(stored: &str) -> Result<StoredHash, String> {
    if stored.is_empty() || stored.starts_with('!') {
        return Ok(StoredHash::Unusable);
    }
    let parsed = Parsed::parse(stored)?;
    Ok(match within_caps(&parsed) {
        Ok(()) => StoredHash::Usable(stored.to_string()),
        Err(why) => StoredHash::OverCaps(why),
    })
}
