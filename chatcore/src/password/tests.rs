use super::*;
use crate::stored_hash::{StoredHash, check_stored};

const DJANGO_VECTOR: &str =
    "pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=";

fn owasp() -> Hashing {
    Hashing::new(PasswordCost::OWASP).unwrap()
}

fn fast() -> Hashing {
    Hashing::new(PasswordCost::INSECURE_FAST_FOR_TESTS).unwrap()
}

#[test]
fn a_known_django_hash_verifies_and_asks_for_a_rehash() {
    let right = owasp().verify(DJANGO_VECTOR, "lètmein");
    assert!(right.matches && right.needs_rehash);
    assert!(!owasp().verify(DJANGO_VECTOR, "lètmeinz").matches);
    assert!(!owasp().verify(DJANGO_VECTOR, "").matches);
}

#[test]
fn malformed_django_hashes_are_refused_without_panicking() {
    for stored in [
        "pbkdf2_sha256$0$salt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=",
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
        assert!(!owasp().verify(stored, "lètmein").matches, "{stored}");
    }
    assert_eq!(
        check_stored(DJANGO_VECTOR),
        Ok(StoredHash::Usable(DJANGO_VECTOR.into()))
    );
    assert_eq!(check_stored("!xyz"), Ok(StoredHash::Unusable));
    assert_eq!(check_stored(""), Ok(StoredHash::Unusable));
    assert!(check_stored("md5$abc$def").is_err());
    let argon = fast().hash("password123").unwrap();
    assert_eq!(check_stored(&argon), Ok(StoredHash::Usable(argon.clone())));
}

#[test]
fn new_hashes_are_argon2id_with_the_configured_cost_and_a_16_byte_salt() {
    let stored = owasp().hash("correct horse").unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    let parsed = PasswordHash::new(&stored).unwrap();
    assert_eq!(parsed.salt.unwrap().as_ref().len(), 16);
    let verified = owasp().verify(&stored, "correct horse");
    assert!(verified.matches && !verified.needs_rehash);
    assert!(!owasp().verify(&stored, "correct horsf").matches);
}

#[test]
fn hashes_from_the_argon2_crate_verify_with_the_shared_buffer() {
    use argon2::password_hash::PasswordHasher;
    for (algorithm, version) in [
        (Algorithm::Argon2id, Version::V0x13),
        (Algorithm::Argon2i, Version::V0x13),
        (Algorithm::Argon2d, Version::V0x10),
    ] {
        let params = Params::new(64, 1, 2, None).unwrap();
        let stored = Argon2::new(algorithm, version, params)
            .hash_password(b"pw-12345678")
            .unwrap()
            .to_string();
        let hashing = owasp();
        assert!(hashing.verify(&stored, "pw-12345678").matches, "{stored}");
        assert!(!hashing.verify(&stored, "pw-12345679").matches, "{stored}");
    }
}

#[test]
fn a_weaker_stored_hash_verifies_and_asks_for_a_rehash() {
    let weak = fast().hash("pw-12345678").unwrap();
    let verified = owasp().verify(&weak, "pw-12345678");
    assert!(verified.matches && verified.needs_rehash);
}

#[test]
fn garbage_never_matches() {
    for stored in ["", "!unusable", "pbkdf2_sha256$1$a$b", "$argon2id$v=19$m=8"] {
        assert!(!owasp().verify(stored, "anything at all").matches);
    }
}
