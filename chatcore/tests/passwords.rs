//! Issue 12 items 1 and 2: a stored hash never decides what a login check
//! costs (caps, the same for login and the Django import), and a weaker
//! configured cost never replaces a stronger stored hash.

mod common;

use argon2::password_hash::PasswordHasher;
use argon2::{Algorithm, Argon2, Params, Version};
use chatcore::{Config, Error, NoLoginReason, PasswordCost, Store};
use common::*;
use std::path::Path;

const RIGHT: &str = "the right password";

/// An argon2 PHC string of `RIGHT` with exactly these parameters.
fn argon2_hash(algorithm: Algorithm, version: Version, m: u32, t: u32, p: u32) -> String {
    let params = Params::new(m, t, p, None).unwrap();
    Argon2::new(algorithm, version, params)
        .hash_password(RIGHT.as_bytes())
        .unwrap()
        .to_string()
}

/// Django PBKDF2 hashes of `RIGHT` (salt `seasalt`) at and just over the
/// cap, made once with Python's `hashlib.pbkdf2_hmac` (1.5 M rounds
/// computed here, unoptimised, would take seconds).
const PBKDF2_AT_CAP: &str =
    "pbkdf2_sha256$1500000$seasalt$prYrhSV3nm9O8nUs0EYW/IPSgzPGylHpsB9SoiFukag=";
const PBKDF2_OVER_CAP: &str =
    "pbkdf2_sha256$1500001$seasalt$zDmmXFJZUmYK9qpC1cGjXisHiplVHSrC/CIaWoZsixc=";
/// 10⁷ rounds took 3 s per login before the cap (the output is not a real
/// one: a hash over the cap is never run, right password or not).
const PBKDF2_TEN_MILLION: &str =
    "pbkdf2_sha256$10000000$seasalt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

/// A Django PBKDF2 hash of `RIGHT` with `rounds` rounds.
fn pbkdf2_hash(rounds: u32) -> String {
    use base64::Engine as _;
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(RIGHT.as_bytes(), b"seasalt", rounds, &mut out);
    let b64 = base64::engine::general_purpose::STANDARD.encode(out);
    format!("pbkdf2_sha256${rounds}$seasalt${b64}")
}

/// A file store at `cost` with one user, `ann`, whose stored hash is `stored`
/// (written straight into the file, as any writer of the file could).
fn store_with_hash(
    cost: PasswordCost,
    stored: &str,
) -> (tempfile::TempDir, std::path::PathBuf, Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let store = Store::open_with(&path, Config::default().password_cost(cost)).unwrap();
    let (ann, _) = user(&store, "ann");
    set_hash(&path, ann.id.0, stored);
    (dir, path, store)
}

fn set_hash(path: &Path, id: i64, stored: &str) {
    raw(path)
        .execute(
            "UPDATE users SET password_hash = ?1 WHERE id = ?2",
            rusqlite::params![stored, id],
        )
        .unwrap();
}

fn stored_hash(path: &Path) -> String {
    raw(path)
        .query_row(
            "SELECT password_hash FROM users WHERE username = 'ann'",
            [],
            |row| row.get(0),
        )
        .unwrap()
}

const FAST: PasswordCost = PasswordCost::INSECURE_FAST_FOR_TESTS;

#[test]
fn a_stored_argon2_hash_over_the_caps_is_never_run_even_with_the_right_password() {
    // Real hashes of the right password, cheap to make, each over one cap:
    // they would log in if they were run.
    for stored in [
        argon2_hash(Algorithm::Argon2id, Version::V0x13, 128, 1, 5), // lanes > 4
        argon2_hash(Algorithm::Argon2id, Version::V0x13, 8, 11, 1),  // iterations > 10
        argon2_hash(Algorithm::Argon2id, Version::V0x13, 65_544, 1, 1), // memory > 64 MiB
        argon2_hash(Algorithm::Argon2id, Version::V0x13, 65_536, 4, 1), // memory × iterations > 192 MiB
    ] {
        let (_dir, path, store) = store_with_hash(FAST, &stored);
        assert!(
            matches!(
                store.login("ann@example.com", RIGHT),
                Err(Error::InvalidCredentials)
            ),
            "{stored}"
        );
        assert_eq!(
            stored_hash(&path),
            stored,
            "a refused login changes nothing"
        );
    }
}

#[test]
fn absurd_stored_argon2_costs_fail_at_once_instead_of_hanging() {
    // Before the caps these took 28 s, never returned, or took 1 GiB.
    let salt_and_output = "c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    for params in [
        "m=19456,t=2000,p=1",
        "m=19456,t=4294967295,p=1",
        "m=1048576,t=2,p=1",
    ] {
        let stored = format!("$argon2id$v=19${params}${salt_and_output}");
        let (_dir, _path, store) = store_with_hash(FAST, &stored);
        let started = std::time::Instant::now();
        assert!(matches!(
            store.login("ann@example.com", RIGHT),
            Err(Error::InvalidCredentials)
        ));
        // Generous: the refused check costs one run at the (fast) configured cost.
        assert!(
            started.elapsed().as_secs() < 5,
            "{params} took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn a_stored_pbkdf2_hash_over_the_cap_is_never_run_and_one_at_the_cap_logs_in() {
    let (_dir, _path, store) = store_with_hash(FAST, PBKDF2_OVER_CAP);
    assert!(matches!(
        store.login("ann@example.com", RIGHT),
        Err(Error::InvalidCredentials)
    ));
    let (_dir, _path, store) = store_with_hash(FAST, PBKDF2_AT_CAP);
    store.login("ann@example.com", RIGHT).unwrap();
}

#[test]
fn an_account_with_an_over_cap_hash_logs_in_again_after_set_password() {
    let (_dir, _path, store) = store_with_hash(FAST, PBKDF2_TEN_MILLION);
    assert!(store.login("ann@example.com", RIGHT).is_err());
    let ann = store.find_user("ann").unwrap();
    store.set_password(ann.id, "a brand new password").unwrap();
    store
        .login("ann@example.com", "a brand new password")
        .unwrap();
}

fn the_import_brings_over_cap_hashes_in_without_login_and_names_each_entry(b: &TestBackend) {
    let (_path, store) = b.shared_store();
    let over = PBKDF2_TEN_MILLION;
    let too_long = "$argon2id$v=19$m=19456,t=2000,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let fine = pbkdf2_hash(1_000);
    let json = format!(
        r#"[
  {{"model": "user.user", "pk": 4, "fields": {{"password": "{over}", "email": "d@example.com", "username": "d"}}}},
  {{"model": "user.user", "pk": 5, "fields": {{"password": "{fine}", "email": "e@example.com", "username": "e"}}}},
  {{"model": "user.user", "pk": 7, "fields": {{"password": "{too_long}", "email": "g@example.com", "username": "g"}}}}
]"#
    );
    let report = store.import_django(json.as_bytes(), false).unwrap();
    assert_eq!(report.users, 3);
    assert_eq!(report.users_without_login, 2);
    let refused: Vec<(i64, &str)> = report
        .accounts_without_login
        .iter()
        .filter(|account| account.reason == NoLoginReason::PasswordOverCaps)
        .map(|account| (account.user_id.0, account.detail.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(refused.len(), 2, "{:?}", report.accounts_without_login);
    assert_eq!(refused[0].0, 4);
    assert!(
        refused[0].1.starts_with("pbkdf2 rounds 10000000"),
        "{refused:?}"
    );
    assert_eq!(refused[1].0, 7);
    assert!(
        refused[1].1.starts_with("argon2 iterations 2000"),
        "{refused:?}"
    );
    assert!(matches!(
        store.login("d@example.com", RIGHT),
        Err(Error::InvalidCredentials)
    ));
    assert!(store.login("g@example.com", RIGHT).is_err());
    store.login("e@example.com", RIGHT).unwrap();
    store
        .set_password(chatcore::UserId(4), "a brand new password")
        .unwrap();
    store
        .login("d@example.com", "a brand new password")
        .unwrap();
}
both!(the_import_brings_over_cap_hashes_in_without_login_and_names_each_entry);

#[test]
fn a_configured_cost_over_the_bounds_is_refused_when_the_store_opens() {
    for (memory_kib, iterations, parallelism) in
        [(65_537, 1, 1), (8, 11, 1), (64, 1, 5), (65_536, 4, 1)]
    {
        let cost = PasswordCost {
            memory_kib,
            iterations,
            parallelism,
        };
        let err = Store::open_in_memory_with(Config::default().password_cost(cost)).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument(_)),
            "{cost:?}: {err:?}"
        );
    }
    let strongest = PasswordCost {
        memory_kib: 65_536,
        iterations: 3,
        parallelism: 4,
    };
    Store::open_in_memory_with(Config::default().password_cost(strongest)).unwrap();
}

#[test]
fn a_weaker_configured_cost_never_replaces_a_stronger_stored_hash() {
    // The bug: the insecure cost rewrote m=19456,t=2 as m=8,t=1.
    let owasp = argon2_hash(Algorithm::Argon2id, Version::V0x13, 19_456, 2, 1);
    let (_dir, path, store) = store_with_hash(FAST, &owasp);
    store.login("ann@example.com", RIGHT).unwrap();
    assert_eq!(stored_hash(&path), owasp);

    // ... and "upgraded" an imported PBKDF2 hash to it.
    let legacy = pbkdf2_hash(1_000);
    let (_dir, path, store) = store_with_hash(FAST, &legacy);
    store.login("ann@example.com", RIGHT).unwrap();
    assert_eq!(stored_hash(&path), legacy);
}

#[test]
fn a_stronger_configured_cost_replaces_the_stored_hash_on_login() {
    let small = PasswordCost {
        memory_kib: 64,
        iterations: 2,
        parallelism: 1,
    };
    for stored in [
        argon2_hash(Algorithm::Argon2id, Version::V0x13, 32, 2, 1), // less memory
        argon2_hash(Algorithm::Argon2id, Version::V0x13, 64, 1, 1), // fewer iterations
        argon2_hash(Algorithm::Argon2i, Version::V0x13, 64, 2, 1),  // an older variant
        argon2_hash(Algorithm::Argon2id, Version::V0x10, 64, 2, 1), // an older version
    ] {
        let (_dir, path, store) = store_with_hash(small, &stored);
        store.login("ann@example.com", RIGHT).unwrap();
        let now = stored_hash(&path);
        assert!(
            now.starts_with("$argon2id$v=19$m=64,t=2,p=1$"),
            "{stored} became {now}"
        );
        store.login("ann@example.com", RIGHT).unwrap();
    }
}

#[test]
fn a_sideways_or_mixed_cost_keeps_the_stored_hash() {
    let small = PasswordCost {
        memory_kib: 64,
        iterations: 2,
        parallelism: 1,
    };
    for stored in [
        argon2_hash(Algorithm::Argon2id, Version::V0x13, 64, 2, 2), // lanes only
        argon2_hash(Algorithm::Argon2id, Version::V0x13, 128, 1, 1), // more memory, fewer iterations
        argon2_hash(Algorithm::Argon2id, Version::V0x13, 32, 3, 1),  // less memory, more iterations
    ] {
        let (_dir, path, store) = store_with_hash(small, &stored);
        store.login("ann@example.com", RIGHT).unwrap();
        assert_eq!(stored_hash(&path), stored);
    }
}

#[test]
fn pbkdf2_is_replaced_only_by_a_cost_at_least_owasps_weakest_argon2id() {
    let just_below = PasswordCost {
        memory_kib: 7_168,
        iterations: 4,
        parallelism: 1,
    };
    let legacy = pbkdf2_hash(1_000);
    let (_dir, path, store) = store_with_hash(just_below, &legacy);
    store.login("ann@example.com", RIGHT).unwrap();
    assert_eq!(stored_hash(&path), legacy);

    let owasp_weakest = PasswordCost {
        iterations: 5,
        ..just_below
    };
    let (_dir, path, store) = store_with_hash(owasp_weakest, &legacy);
    store.login("ann@example.com", RIGHT).unwrap();
    assert!(stored_hash(&path).starts_with("$argon2id$v=19$m=7168,t=5,p=1$"));
    store.login("ann@example.com", RIGHT).unwrap();
}

fn concurrent_logins_on_one_store_share_the_hashing_buffer_safely(b: &TestBackend) {
    let (_path, store) = b.shared_store();
    user(&store, "ann");
    let threads: Vec<_> = (0..4)
        .map(|n| {
            let store = store.clone();
            std::thread::spawn(move || {
                for _ in 0..5 {
                    store.login("ann@example.com", PASSWORD).unwrap();
                    let wrong = store.login("ann@example.com", "not the password");
                    assert!(matches!(wrong, Err(Error::InvalidCredentials)), "{n}");
                    let unknown = store.login(&format!("x{n}@example.com"), PASSWORD);
                    assert!(matches!(unknown, Err(Error::InvalidCredentials)), "{n}");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}
both!(concurrent_logins_on_one_store_share_the_hashing_buffer_safely);
