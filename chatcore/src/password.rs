//! Password hashing: argon2id PHC strings and verification with one reusable
//! work buffer per [`Store`](crate::Store), and the rehash decision.
//! What a stored hash is and may cost lives in [`crate::stored_hash`].

use crate::config::PasswordCost;
use crate::error::{Error, Result};
use crate::stored_hash::{Parsed, check_argon2_cost, within_caps};
use argon2::password_hash::phc::{Output, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{Mutex, MutexGuard};

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verified {
    /// The password is right.
    pub matches: bool,
    /// The configured cost is stronger than the stored hash's, which
    /// should be replaced (only meaningful when `matches`).
    pub needs_rehash: bool,
}

const NO: Verified = Verified {
    matches: false,
    needs_rehash: false,
};

/// The salt of the check run for an unknown email. Its output is compared
/// with [`DUMMY_EXPECTED`], which no password produces in practice; the
/// point is only to spend exactly one argon2id run at the configured cost,
/// as a wrong password does, without building a hash first.
const DUMMY_SALT: &[u8; 16] = b"chatcore-dummy!!";
const DUMMY_EXPECTED: [u8; 32] = [0; 32];

fn params(cost: PasswordCost) -> Result<Params> {
    let unusable =
        |why: String| Error::InvalidArgument(format!("unusable password cost {cost:?}: {why}"));
    check_argon2_cost(cost.memory_kib, cost.iterations, cost.parallelism).map_err(unusable)?;
    Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
        .map_err(|err| unusable(err.to_string()))
}

/// Hashes and verifies passwords at one configured cost, reusing one work
/// buffer: each argon2id run at the OWASP cost works in 19 MiB, and a
/// fresh allocation per run leaves the allocator holding several such
/// blocks. Runs are serialised on the buffer (one at a time per store).
pub(crate) struct Hashing {
    cost: PasswordCost,
    params: Params,
    memory: Mutex<Vec<Block>>,
}

impl Hashing {
    /// A hasher for `cost`, refusing parameters argon2 would reject or the
    /// caps do not allow (when the store is opened, not at the first
    /// registration); the buffer is allocated on first use.
    pub(crate) fn new(cost: PasswordCost) -> Result<Hashing> {
        Ok(Hashing {
            cost,
            params: params(cost)?,
            memory: Mutex::new(Vec::new()),
        })
    }

    /// Runs argon2 into `out` with the store's buffer when `params` needs no
    /// more than the configured cost, else with a buffer of its own, freed
    /// afterwards (a stored hash of another, capped, cost).
    fn run(
        &self,
        algorithm: Algorithm,
        version: Version,
        params: Params,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> std::result::Result<(), argon2::Error> {
        let blocks = params.block_count();
        let argon = Argon2::new(algorithm, version, params);
        if blocks > self.params.block_count() {
            let mut own = vec![Block::new(); blocks];
            return argon.hash_password_into_with_memory(password, salt, out, &mut own[..]);
        }
        let mut memory = self.lock();
        if memory.len() < blocks {
            memory.resize(blocks, Block::new());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Block>> {
        // The buffer holds no invariant a panic could break.
        self.memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hashes `password` with a fresh 16-byte salt from the OS RNG.
    pub(crate) fn hash(&self, password: &str) -> Result<String> {
        let failed = |why: String| Error::Internal(format!("password hashing failed: {why}"));
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt)
            .map_err(|err| Error::Internal(format!("the OS random generator failed: {err}")))?;
        let mut out = [0u8; 32];
        self.run(
            Algorithm::Argon2id,
            Version::V0x13,
            self.params.clone(),
            password.as_bytes(),
            &salt,
            &mut out,
        )
        .map_err(|err| failed(err.to_string()))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: (&self.params)
                .try_into()
                .map_err(|err: argon2::password_hash::Error| failed(err.to_string()))?,
            salt: Some(Salt::new(&salt).map_err(|err| failed(err.to_string()))?),
            hash: Some(Output::new(&out).map_err(|err| failed(err.to_string()))?),
        };
        Ok(phc.to_string())
    }

    /// One argon2id run at the configured cost whose result is ignored:
    /// what a login for an unknown email (or an account whose stored hash
    /// is over the caps) spends, so that it costs the same as a wrong
    /// password, in a fresh process too (nothing is built first).
    pub(crate) fn dummy_verify(&self, password: &str) {
        use subtle::ConstantTimeEq;
        let mut out = [0u8; 32];
        let ran = self.run(
            Algorithm::Argon2id,
            Version::V0x13,
            self.params.clone(),
            password.as_bytes(),
            DUMMY_SALT,
            &mut out,
        );
        let _ = (ran, bool::from(out.ct_eq(&DUMMY_EXPECTED)));
    }

    /// Checks `password` against a stored hash: an argon2 PHC string or a
    /// Django `pbkdf2_sha256` hash, within the caps of
    /// [`within_caps`]. A hash over the caps is never run: it fails as a
    /// wrong password does (after the same dummy run), and the account needs
    /// [`Store::set_password`](crate::Store::set_password). Anything
    /// unparsable never matches.
    pub(crate) fn verify(&self, stored: &str, password: &str) -> Verified {
        let Ok(parsed) = Parsed::parse(stored) else {
            return NO;
        };
        if within_caps(&parsed).is_err() {
            self.dummy_verify(password);
            return NO;
        }
        let matches = match &parsed {
            Parsed::Pbkdf2(legacy) => legacy.verify(password),
            Parsed::Argon2 {
                algorithm,
                version,
                params,
                salt,
                expected,
            } => {
                use subtle::ConstantTimeEq;
                let mut out = vec![0u8; expected.len()];
                self.run(
                    *algorithm,
                    *version,
                    params.clone(),
                    password.as_bytes(),
                    salt,
                    &mut out,
                )
                .is_ok()
                    && bool::from(out.ct_eq(expected))
            }
        };
        Verified {
            matches,
            needs_rehash: matches && parsed.replaced_by(self.cost),
        }
    }
}

#[cfg(test)]
mod tests;
