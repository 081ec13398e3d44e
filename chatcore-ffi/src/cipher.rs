//! Encrypted stores at the C boundary: the key argument and `chat_rekey`.

use crate::boundary::{arg_ref, arg_slice, call, chat_status};
use crate::chat_store;
use chatcore::{DatabaseKey, Error};
use zeroize::Zeroizing;

/// The key `ptr`/`len` names, raw or a passphrase; `None` for NULL. The
/// bytes are copied once into a [`DatabaseKey`] (wiped when dropped).
pub(crate) fn key_arg(
    ptr: *const u8,
    len: usize,
    is_passphrase: bool,
) -> Result<Option<DatabaseKey>, Error> {
    if ptr.is_null() {
        if len != 0 {
            return Err(Error::InvalidArgument(
                "key is NULL but key_len is not 0".into(),
            ));
        }
        return Ok(None);
    }
    let bytes = arg_slice(ptr, len, "key")?;
    if !is_passphrase {
        return DatabaseKey::raw(bytes).map(Some);
    }
    let text = Zeroizing::new(bytes.to_vec());
    let text = std::str::from_utf8(&text)
        .map_err(|_| Error::InvalidArgument("the passphrase is not UTF-8".into()))?;
    DatabaseKey::passphrase(text).map(Some)
}

/// Changes the key of an open encrypted store to `key` (`key_len` bytes,
/// raw or a passphrase as in `chat_options`), in one transaction: a crash
/// at any point leaves a file that opens with the old key or the new one.
/// Other processes with the file open must reopen it with the new key.
/// A plain store cannot be given a key this way (make an encrypted copy).
/// Thread-safe: other calls on this store wait for it.
/// Errors: CHAT_ERR_INVALID_ARGUMENT (NULL, a bad key, a store without a
/// key), CHAT_ERR_BUSY, CHAT_ERR_STORAGE (the old key then stays).
#[unsafe(no_mangle)]
pub extern "C" fn chat_rekey(
    store: *mut chat_store,
    key: *const u8,
    key_len: usize,
    key_is_passphrase: bool,
) -> chat_status {
    call(|| {
        let store = arg_ref(store, "store")?;
        let Some(key) = key_arg(key, key_len, key_is_passphrase)? else {
            return Err(Error::InvalidArgument(
                "key is NULL: an encrypted store cannot be made plain by rekey".into(),
            ));
        };
        store.store.rekey(&key)
    })
}
