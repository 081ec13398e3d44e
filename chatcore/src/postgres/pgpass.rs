//! libpq's password file (`~/.pgpass`, or `PGPASSFILE`): lines of
//! `host:port:database:user:password`, `*` matching anything, `\` escaping
//! `:` and `\`. As libpq, a file that others can read is ignored (with a
//! warning on standard error), and the first matching line wins.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The password file to read: `PGPASSFILE`, else `~/.pgpass`, if it exists.
pub(crate) fn file(env: &super::connect::Env<'_>) -> Option<PathBuf> {
    let path = match env("PGPASSFILE") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(env("HOME")?).join(".pgpass"),
    };
    path.is_file().then_some(path)
}

/// The password of the first line of `file` matching `[host, port,
/// database, user]`; `None` if no line matches or the file is open to
/// others.
pub(crate) fn lookup(file: &Path, wanted: [&str; 4]) -> Result<Option<String>> {
    if !private(file) {
        eprintln!(
            "WARNING: password file {} has group or world access; permissions should be \
             u=rw (0600) or less (it was not read)",
            file.display()
        );
        return Ok(None);
    }
    let text = std::fs::read_to_string(file).map_err(|err| Error::Storage {
        message: format!("cannot read the password file {}: {err}", file.display()),
        source: Some(Box::new(err)),
    })?;
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let fields = split(line);
        let [host, port, db, user, password] = fields.as_slice() else {
            continue;
        };
        let matches = [host, port, db, user]
            .iter()
            .zip(wanted)
            .all(|(field, wanted)| field.as_str() == "*" || field.as_str() == wanted);
        if matches {
            return Ok(Some(password.clone()));
        }
    }
    Ok(None)
}

/// Whether only the owner may read the file (always true off Unix).
fn private(file: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(file).is_ok_and(|meta| meta.permissions().mode() & 0o077 == 0)
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        true
    }
}

/// The fields of one line: `:` separates, `\` escapes the next character.
/// The last field (the password) takes the rest of the line.
fn split(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        let field = fields.len();
        match c {
            '\\' => {
                if let (Some(next), Some(last)) = (chars.next(), fields.last_mut()) {
                    last.push(next);
                }
            }
            ':' if field < 5 => fields.push(String::new()),
            c => {
                if let Some(last) = fields.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::{lookup, split};
    use std::io::Write;

    #[test]
    fn lines_split_on_unescaped_colons() {
        assert_eq!(
            split(r"h:5432:db:u\:x:p\\w:d"),
            ["h", "5432", "db", "u:x", r"p\w:d"]
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_first_matching_line_wins_and_an_open_file_is_ignored() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pgpass");
        let mut file = std::fs::File::create(&path).unwrap();
        writeln!(
            file,
            "# comment\nother:*:*:*:no\nlocalhost:5432:*:ann:first\n*:*:*:*:second"
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let found = |host, user| lookup(&path, [host, "5432", "chat", user]).unwrap();
        assert_eq!(found("localhost", "ann").as_deref(), Some("first"));
        assert_eq!(found("db.example", "bob").as_deref(), Some("second"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(found("localhost", "ann"), None);
    }
}
