//! Writing files: the one place chatcore (and the `chat` client) creates a
//! file on disk other than the database itself.
//!
//! Every file is first written to a private temporary file beside its
//! destination, then moved into place in one step, so a reader never sees
//! half a file and a failure or crash leaves none:
//!
//! - the temporary file is created exclusively (`O_CREAT | O_EXCL`, which
//!   never follows a symlink planted at its name), readable and writable by
//!   its owner only (0600) from the moment it exists, under a random name
//!   taken from the operating system's random source (no thread-local
//!   generator, so a host's leak checker sees nothing left behind);
//! - [`write_new_file`] never replaces anything: the move is
//!   `renameat2(RENAME_NOREPLACE)` on Linux, else `link` + `unlink`, both of
//!   which the kernel refuses when the destination exists, however late it
//!   appeared. An existing destination of any kind (an empty file, a
//!   directory, a dangling symlink) is refused;
//! - [`replace_file`] atomically replaces what is there (for files that are
//!   rewritten, such as the `chat` client's session file): concurrent
//!   writers each succeed, and the file left is one writer's whole content.

use crate::error::{Error, Result};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// Writes a new file at `destination` through `write`, never replacing
/// anything already there. The file is readable and writable by its owner
/// only (mode 0600 on Unix).
///
/// ```
/// let dir = std::env::temp_dir().join(format!("chatcore-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("note.txt");
/// # let _ = std::fs::remove_file(&path);
/// chatcore::files::write_new_file(&path, |file| std::io::Write::write_all(file, b"hello\n"))?;
/// // A second write to the same path is refused; the first file is kept.
/// let again = chatcore::files::write_new_file(&path, |file| std::io::Write::write_all(file, b"bye\n"));
/// assert_eq!(again.unwrap_err().code(), "invalid_argument");
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello\n");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), chatcore::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] if `destination` exists (whatever it is, even
/// an empty file, and even if it appeared while `write` ran); nothing is
/// changed. [`Error::Storage`] if the file cannot be written (what `write`
/// returned, or the file system's refusal); no file is left behind.
pub fn write_new_file(
    destination: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<()> {
    write_new_file_with(destination, |_, file| {
        write(file).map_err(|err| cannot_write(destination, err))
    })
}

/// Writes `destination` through `write` and atomically puts it in place,
/// replacing any file there: readers see the old content or the whole new
/// one, never a mix. The new file is readable and writable by its owner only.
///
/// # Errors
/// [`Error::Storage`] if the file cannot be written; the old file is then
/// untouched and no temporary file is left behind.
pub fn replace_file(
    destination: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<()> {
    let mut temp = TempFile::beside(destination)?;
    write(&mut temp.file).map_err(|err| cannot_write(destination, err))?;
    temp.finish(destination, Placement::Replace)
}

/// [`write_new_file`] for the core's own writers, which need the temporary
/// file's path (SQLite's `VACUUM INTO` writes by name) and fail with the
/// core's errors.
pub(crate) fn write_new_file_with(
    destination: &Path,
    write: impl FnOnce(&Path, &mut File) -> Result<()>,
) -> Result<()> {
    // Checked first only to fail fast with the clear error; the final move
    // is what guarantees it.
    if std::fs::symlink_metadata(destination).is_ok() {
        return Err(already_exists(destination));
    }
    let mut temp = TempFile::beside(destination)?;
    write(&temp.path.clone(), &mut temp.file)?;
    temp.finish(destination, Placement::New)
}

/// Moves `from` to `to` unless `to` exists, in one step the kernel checks:
/// `renameat2(RENAME_NOREPLACE)` where the system and file system have it,
/// else a hard link (which fails if `to` exists) and the removal of `from`.
///
/// # Errors
/// [`io::ErrorKind::AlreadyExists`] if `to` exists; any other failure of the
/// file system.
pub(crate) fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        use rustix::io::Errno;
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            // An old kernel, or a file system without the flag: fall back.
            Err(err) if err == Errno::INVAL || err == Errno::NOSYS || err == Errno::NOTSUP => {}
            Err(err) => return Err(err.into()),
        }
    }
    link_then_unlink(from, to)
}

/// The portable no-replace move: a hard link fails if `to` exists.
fn link_then_unlink(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::hard_link(from, to)?;
    std::fs::remove_file(from)
}

#[derive(Clone, Copy)]
enum Placement {
    New,
    Replace,
}

/// A private temporary file beside a destination, removed when dropped
/// unless it was moved into place.
struct TempFile {
    path: PathBuf,
    file: File,
    placed: bool,
}

/// Attempts at a fresh random name before giving up (a collision of 64
/// random bits is already unheard of; several in a row mean something else
/// is wrong).
const NAME_ATTEMPTS: usize = 8;

impl TempFile {
    fn beside(destination: &Path) -> Result<TempFile> {
        let folder = match destination.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let mut last = None;
        for _ in 0..NAME_ATTEMPTS {
            let path = folder.join(random_name()?);
            let mut options = std::fs::OpenOptions::new();
            // `create_new` is O_CREAT | O_EXCL: it never opens an existing
            // file and never follows a symlink at the name.
            options.read(true).write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&path) {
                Ok(file) => {
                    return Ok(TempFile {
                        path,
                        file,
                        placed: false,
                    });
                }
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => last = Some(err),
                Err(err) => return Err(cannot_write(destination, err)),
            }
        }
        let err = last.unwrap_or_else(|| io::Error::other("no free temporary name"));
        Err(cannot_write(destination, err))
    }

    /// Flushes the content to disk and moves the file into place.
    fn finish(mut self, destination: &Path, placement: Placement) -> Result<()> {
        self.file
            .sync_all()
            .map_err(|err| cannot_write(destination, err))?;
        let moved = match placement {
            Placement::New => rename_no_replace(&self.path, destination),
            Placement::Replace => std::fs::rename(&self.path, destination),
        };
        match moved {
            Ok(()) => {
                self.placed = true;
                Ok(())
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                Err(already_exists(destination))
            }
            Err(err) => Err(cannot_write(destination, err)),
        }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.placed {
            // Best effort: the name is ours alone, and a leftover is only a
            // private, clearly named temporary file.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// `.chatcore-<16 hex digits>.tmp`, from the operating system's random source.
fn random_name() -> Result<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|err| Error::storage(format!("no random source for a file name: {err}")))?;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(format!(".chatcore-{hex}.tmp"))
}

fn already_exists(destination: &Path) -> Error {
    Error::InvalidArgument(format!(
        "{} already exists; chatcore never replaces a file (choose a new name, or remove it first)",
        destination.display()
    ))
}

fn cannot_write(destination: &Path, err: io::Error) -> Error {
    Error::Storage {
        message: format!("cannot write {}: {err}", destination.display()),
        source: Some(Box::new(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fallback_moves_a_file_and_refuses_an_existing_target() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("from"), dir.path().join("to"));
        std::fs::write(&from, "new").unwrap();
        std::fs::write(&to, "").unwrap();
        let err = link_then_unlink(&from, &to).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&to).unwrap(), "");
        std::fs::remove_file(&to).unwrap();
        link_then_unlink(&from, &to).unwrap();
        assert_eq!(std::fs::read_to_string(&to).unwrap(), "new");
        assert!(!from.exists());
    }
}
