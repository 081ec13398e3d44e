//! What every command needs: the database, the local session, the terminal.

use crate::error::{CliError, CliResult};
use crate::local_session::SessionFile;
use crate::prompt;
use chatcore::{Config, Session, Store};
use std::io::{self, BufRead, IsTerminal};
use std::path::PathBuf;

/// Set to `1` to hash new passwords with the cheapest argon2 settings.
/// **Insecure**: for tests only, where full-cost hashing makes each login
/// slow. Read only by debug builds (`cfg(debug_assertions)`, as `cargo
/// test` builds `chat`); a release build ignores it, see
/// [`insecure_fast_passwords`].
pub const INSECURE_FAST_PASSWORDS_ENV: &str = "CHAT_INSECURE_FAST_PASSWORDS";

/// Whether to use the insecure test cost: only when this is a debug build
/// and the variable is `1`. A release `chat` never reads the variable.
pub fn insecure_fast_passwords() -> bool {
    cfg!(debug_assertions) && std::env::var(INSECURE_FAST_PASSWORDS_ENV).is_ok_and(|v| v == "1")
}

/// The logged-in session and how it was opened.
#[derive(Debug, Clone)]
struct Active {
    session: Session,
    email: String,
    username: Option<String>,
}

/// The state shared by the commands of one process (one command, or a whole REPL).
pub struct Context {
    /// Print JSON instead of text for people.
    pub json: bool,
    db_path: PathBuf,
    state_dir: PathBuf,
    store: Option<Store>,
    active: Option<Active>,
    input: Box<dyn BufRead>,
    lines_read: u64,
    stdin_is_terminal: bool,
    /// The database key, once known (never written anywhere).
    key: Option<chatcore::DatabaseKey>,
}

impl Context {
    /// A context over the database at `db_path`, keeping sessions in
    /// `state_dir`, reading standard input through `input`.
    pub fn new(
        db_path: PathBuf,
        state_dir: PathBuf,
        input: Box<dyn BufRead>,
        stdin_is_terminal: bool,
    ) -> Context {
        Context {
            json: false,
            db_path,
            state_dir,
            store: None,
            active: None,
            input,
            lines_read: 0,
            stdin_is_terminal,
            key: None,
        }
    }

    /// A context for this process's real standard input.
    pub fn for_process(db_path: PathBuf, state_dir: PathBuf) -> Context {
        let stdin_is_terminal = io::stdin().is_terminal();
        Context::new(
            db_path,
            state_dir,
            Box::new(io::BufReader::new(io::stdin())),
            stdin_is_terminal,
        )
    }

    /// Whether standard input is a terminal (prompts are possible).
    pub fn stdin_is_terminal(&self) -> bool {
        self.stdin_is_terminal
    }

    /// The database path as given.
    pub fn db_path(&self) -> &std::path::Path {
        &self.db_path
    }

    /// Takes the database key from the first line of standard input
    /// (`from_stdin`, `--key-stdin`; a hidden prompt on a terminal) or from
    /// the file `CHAT_DB_KEY_FILE` names, before any command reads its
    /// input. Without either, a database that turns out to be encrypted
    /// asks for its key on the terminal (once).
    ///
    /// # Errors
    /// As [`crate::db_key::from_file`]; [`CliError::Usage`] when standard
    /// input ends before the key.
    pub fn load_key(&mut self, from_stdin: bool) -> CliResult<()> {
        if from_stdin {
            let text = if self.stdin_is_terminal {
                zeroize::Zeroizing::new(prompt::password("Database key: ")?)
            } else {
                zeroize::Zeroizing::new(self.read_line()?.ok_or_else(|| {
                    CliError::Usage("--key-stdin: standard input ended before the key".into())
                })?)
            };
            self.key = Some(crate::db_key::parse(&text)?);
        } else if let Some(path) = std::env::var_os(crate::db_key::KEY_FILE_ENV) {
            self.key = Some(crate::db_key::from_file(std::path::Path::new(&path))?);
        }
        Ok(())
    }

    /// The store, opened (and created) on first use; an encrypted one with
    /// the key [`Context::load_key`] found, else with one asked for on the
    /// terminal.
    pub fn store(&mut self) -> CliResult<&Store> {
        if self.store.is_none() {
            let config = if insecure_fast_passwords() {
                Config::insecure_fast_for_tests()
            } else {
                Config::default()
            };
            let keyed = |key: &Option<chatcore::DatabaseKey>| match key {
                Some(key) => config.clone().key(key.clone()),
                None => config.clone(),
            };
            // Opening a store from before search builds its index once:
            // say so on a terminal (before and after), it can take a while.
            let tell =
                std::io::stderr().is_terminal() && Store::will_build_search_index(&self.db_path);
            if tell {
                eprintln!("Upgrading the database: building the search index…");
            }
            let started = std::time::Instant::now();
            let store = match Store::open_with(&self.db_path, keyed(&self.key)) {
                Err(chatcore::Error::WrongKey(_))
                    if self.key.is_none() && self.stdin_is_terminal =>
                {
                    let text = zeroize::Zeroizing::new(prompt::password("Database key: ")?);
                    self.key = Some(crate::db_key::parse(&text)?);
                    Store::open_with(&self.db_path, keyed(&self.key))?
                }
                other => other?,
            };
            if tell {
                eprintln!(
                    "Search index built in {:.1} s.",
                    started.elapsed().as_secs_f64()
                );
            }
            self.store = Some(store);
        }
        self.store
            .as_ref()
            .ok_or_else(|| CliError::Usage("the database is not open".into()))
    }

    /// A new database key (for `rekey` and `backup --encrypt`): asked twice,
    /// hidden, on a terminal, else the next line of standard input when
    /// `from_stdin`.
    ///
    /// # Errors
    /// [`CliError::Usage`] when the two differ or it cannot be asked for;
    /// [`CliError::Cancelled`] when the prompt is cancelled.
    pub fn new_database_key(&mut self, from_stdin: bool) -> CliResult<chatcore::DatabaseKey> {
        if self.stdin_is_terminal {
            let key = crate::db_key::parse(&zeroize::Zeroizing::new(prompt::password(
                "New database key: ",
            )?))?;
            let again = crate::db_key::parse(&zeroize::Zeroizing::new(prompt::password(
                "Repeat the new database key: ",
            )?))?;
            if again != key {
                return Err(CliError::Usage(
                    "the two keys differ; nothing was changed".into(),
                ));
            }
            return Ok(key);
        }
        if !from_stdin {
            return Err(CliError::Usage(
                "standard input is not a terminal, so the new key cannot be asked for: \
                 pass --new-key-stdin and write it on the next line of standard input"
                    .into(),
            ));
        }
        let text = zeroize::Zeroizing::new(self.read_line()?.ok_or_else(|| {
            CliError::Usage("--new-key-stdin: standard input ended before the new key".into())
        })?);
        crate::db_key::parse(&text)
    }

    fn session_file(&mut self) -> CliResult<SessionFile> {
        self.store()?;
        SessionFile::new(&self.state_dir, &self.db_path)
    }

    /// The logged-in session: the one in memory, else the stored one resumed.
    ///
    /// # Errors
    /// [`CliError::NotLoggedIn`] without a stored session;
    /// [`CliError::SessionLost`] (and the file is removed) when the stored one has ended.
    pub fn session(&mut self) -> CliResult<Session> {
        if let Some(active) = &self.active {
            return Ok(active.session.clone());
        }
        let file = self.session_file()?;
        let Some(stored) = file.load()? else {
            return Err(CliError::NotLoggedIn);
        };
        match self.store()?.resume(&stored.token) {
            Ok(session) => {
                self.active = Some(Active {
                    session: session.clone(),
                    email: stored.email,
                    username: None,
                });
                Ok(session)
            }
            Err(err @ (chatcore::Error::SessionInvalid | chatcore::Error::SessionExpired)) => {
                file.remove()?;
                Err(CliError::SessionLost {
                    source: err,
                    email: Some(stored.email),
                })
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Turns a session error from a command into [`CliError::SessionLost`],
    /// forgetting the session (here and in its file); other errors pass.
    pub fn explain_session_error(&mut self, error: CliError) -> CliError {
        match error {
            CliError::Core(
                err @ (chatcore::Error::SessionInvalid | chatcore::Error::SessionExpired),
            ) => {
                let email = self.active.take().map(|active| active.email);
                if email.is_some()
                    && let Ok(file) = self.session_file()
                {
                    // The session is gone either way; a file we cannot remove
                    // will be refused again on the next command.
                    let _ = file.remove();
                }
                CliError::SessionLost { source: err, email }
            }
            other => other,
        }
    }

    /// Makes `session` the logged-in one, in memory and in the session file,
    /// ending the session it replaces.
    pub fn start_session(
        &mut self,
        session: Session,
        email: &str,
        username: &str,
    ) -> CliResult<()> {
        let file = self.session_file()?;
        // The session being replaced would otherwise stay live, unused and
        // unseen, until it expires.
        let previous = match self.active.take() {
            Some(active) => Some(active.session),
            None => match file.load() {
                Ok(Some(stored)) => self.store()?.resume(&stored.token).ok(),
                _ => None,
            },
        };
        if let Some(previous) = previous
            && previous.token() != session.token()
        {
            // Already ended elsewhere is as good as ended here.
            let _ = previous.logout();
        }
        file.save(session.token(), email)?;
        self.active = Some(Active {
            session,
            email: email.to_string(),
            username: Some(username.to_string()),
        });
        Ok(())
    }

    /// Forgets the session, in memory and in the session file.
    pub fn end_session(&mut self) -> CliResult<()> {
        self.active = None;
        self.session_file()?.remove()
    }

    /// The session in memory, without reading the session file.
    pub fn session_in_memory(&self) -> Option<Session> {
        self.active.as_ref().map(|active| active.session.clone())
    }

    /// The logged-in username, when known without asking the store.
    pub fn known_username(&self) -> Option<&str> {
        self.active.as_ref()?.username.as_deref()
    }

    /// Remembers the logged-in username (for the REPL prompt).
    pub fn remember_username(&mut self, username: &str) {
        if let Some(active) = &mut self.active {
            active.username = Some(username.to_string());
        }
    }

    /// Standard input as this context reads it (for commands that take a
    /// whole file from it, like `chat import -`).
    pub fn stdin(&mut self) -> &mut dyn BufRead {
        &mut *self.input
    }

    /// The next line of standard input without its line ending, `None` at the end.
    pub fn read_line(&mut self) -> CliResult<Option<String>> {
        let mut line = String::new();
        let read = self
            .input
            .read_line(&mut line)
            .map_err(|err| CliError::io("cannot read standard input", err))?;
        if read == 0 {
            return Ok(None);
        }
        self.lines_read += 1;
        let trimmed = line.strip_suffix('\n').unwrap_or(&line);
        let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
        Ok(Some(trimmed.to_string()))
    }

    /// How many lines [`Context::read_line`] has read (the number of the last one).
    pub fn lines_read(&self) -> u64 {
        self.lines_read
    }

    /// A password: hidden prompt on a terminal, else the next line of
    /// standard input when `from_stdin`. A `new` password must pass the
    /// core's rule ([`chatcore::validate_password`]) and, on a terminal, is
    /// asked for a second time only once it does.
    ///
    /// # Errors
    /// [`CliError::Cancelled`] when a prompt is cancelled (Ctrl-C, Ctrl-D).
    pub fn password(&mut self, from_stdin: bool, new: bool) -> CliResult<String> {
        if self.stdin_is_terminal {
            let password = prompt::password("Password: ")?;
            if new {
                chatcore::validate_password(&password)?;
            }
            if new && prompt::password("Repeat the password: ")? != password {
                return Err(CliError::Usage(
                    "the two passwords differ; nothing was changed".into(),
                ));
            }
            return Ok(password);
        }
        if !from_stdin {
            return Err(CliError::Usage(
                "standard input is not a terminal, so the password cannot be asked for: \
                 pass --password-stdin and write it on the first line of standard input"
                    .into(),
            ));
        }
        self.read_line()?.ok_or_else(|| {
            CliError::Usage("--password-stdin: standard input ended before a password".into())
        })
    }

    /// Asks a yes/no question on the terminal; off a terminal, tells to pass `flag`.
    ///
    /// # Errors
    /// [`CliError::Cancelled`] when the question is cancelled (Ctrl-C, Ctrl-D).
    pub fn confirm(&mut self, question: &str, flag: &str) -> CliResult<bool> {
        if !self.stdin_is_terminal {
            return Err(CliError::Usage(format!(
                "standard input is not a terminal, so it cannot ask \"{question}\": pass {flag}"
            )));
        }
        let answer = prompt::line(&format!("{question} [y/N] "))?;
        Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
    }
}
