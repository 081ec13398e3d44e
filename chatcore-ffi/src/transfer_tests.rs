//! Moving data through the exports: import, set-password, backup and
//! export round trip.

use super::tests::{c, last_error, open_store};
use super::*;
use crate::test_backend::both;

both!(import_set_password_backup_and_export_round_trip);
fn import_set_password_backup_and_export_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let dump = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/c/dumpdata.json");
    let store = open_store();
    let mut report = ptr::null_mut();
    let dump = c(dump);
    for dry_run in [true, false] {
        assert_eq!(
            chat_import_django(store, dump.as_ptr(), dry_run, &mut report),
            chat_status::ChatOk,
            "{:?}",
            last_error()
        );
        let got = unsafe { *report };
        assert_eq!(
            [
                got.users,
                got.users_without_login,
                got.threads,
                got.messages
            ],
            [2, 1, 1, 2]
        );
        assert_eq!((got.threads_merged, got.skipped_total), (0, 1));
        chat_import_report_free(report);
    }
    let mut again = ptr::null_mut();
    assert_eq!(
        chat_import_django(store, dump.as_ptr(), false, &mut again),
        chat_status::ChatErrInvalidImport
    );
    assert!(again.is_null());
    let max = 9;
    assert_eq!(
        chat_user_set_password(store, max, c("new password").as_ptr()),
        chat_status::ChatOk
    );
    let mut session = ptr::null_mut();
    assert_eq!(
        chat_login(
            store,
            c("max@example.com").as_ptr(),
            c("new password").as_ptr(),
            &mut session
        ),
        chat_status::ChatOk
    );
    let mut unread = 0;
    assert_eq!(chat_unread_count(session, &mut unread), chat_status::ChatOk);
    assert_eq!(unread, 1);
    chat_session_free(session);

    let backup_path = dir.path().join("backup.db");
    let backup = c(backup_path.to_str().unwrap());
    if crate::test_backend::is_postgres() {
        // A PostgreSQL store is copied with chat copy / pg_dump, not
        // backed up to a file: refused, and nothing written.
        assert_eq!(
            chat_backup(store, backup.as_ptr()),
            chat_status::ChatErrInvalidArgument
        );
        assert!(last_error().unwrap().contains("chat copy"));
        assert!(!backup_path.exists());
    } else {
        assert_eq!(chat_backup(store, backup.as_ptr()), chat_status::ChatOk);
        assert_eq!(
            chat_backup(store, backup.as_ptr()),
            chat_status::ChatErrInvalidArgument
        );
    }
    let export_path = dir.path().join("export.json");
    let export = c(export_path.to_str().unwrap());
    assert_eq!(
        chat_export_django(store, export.as_ptr()),
        chat_status::ChatOk
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&export_path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let exported = std::fs::read(&export_path).unwrap();
    assert_eq!(
        chat_export_django(store, export.as_ptr()),
        chat_status::ChatErrInvalidArgument
    );
    assert_eq!(std::fs::read(&export_path).unwrap(), exported, "untouched");
    let missing = c(dir.path().join("no/such/dir/x.json").to_str().unwrap());
    assert_eq!(
        chat_export_django(store, missing.as_ptr()),
        chat_status::ChatErrStorage
    );
    assert_eq!(
        chat_import_django(store, missing.as_ptr(), true, &mut again),
        chat_status::ChatErrStorage
    );
    // A directory is never replaced by an export, and cannot be read as a
    // dump (a read failure, so CHAT_ERR_STORAGE, not an invalid import).
    let folder = c(dir.path().to_str().unwrap());
    assert_eq!(
        chat_export_django(store, folder.as_ptr()),
        chat_status::ChatErrInvalidArgument
    );
    assert_eq!(
        chat_import_django(store, folder.as_ptr(), true, &mut again),
        chat_status::ChatErrStorage
    );
    // An existing empty file is refused too, and kept as it was.
    let empty_path = dir.path().join("empty.json");
    std::fs::write(&empty_path, "").unwrap();
    let empty = c(empty_path.to_str().unwrap());
    assert_eq!(
        chat_export_django(store, empty.as_ptr()),
        chat_status::ChatErrInvalidArgument
    );
    assert_eq!(std::fs::read(&empty_path).unwrap(), b"");

    let copy = open_store();
    assert_eq!(
        chat_import_django(copy, export.as_ptr(), false, &mut report),
        chat_status::ChatOk,
        "{:?}",
        last_error()
    );
    let got = unsafe { *report };
    assert_eq!([got.users, got.threads, got.messages], [2, 1, 2]);
    chat_import_report_free(report);
    chat_close(copy);
    chat_close(store);
}
