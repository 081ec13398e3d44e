//! From a connection string to connections: the parameters the driver
//! does not know (`sslmode=verify-ca|verify-full`, `sslrootcert`), libpq's
//! defaults (user, host, `PGPASSWORD`, `~/.pgpass`), and opening one
//! connection with the store's settings.
//!
//! Both of libpq's forms are accepted: a URL (`postgresql://user@host/db?
//! sslmode=require&options=-csearch_path%3Dchat`) and key-value pairs
//! (`host=db.example dbname=chat sslmode=verify-full`). A password is never
//! needed in the string: without one, `PGPASSWORD`, then the password file
//! (`PGPASSFILE`, else `~/.pgpass`, which must not be readable by others)
//! give it, as libpq does.

use super::client::Client;
use super::tls::{self, SslMode};
use super::{Conn, pgpass};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;
use tokio_postgres::config::Host;

/// Everything needed to open a connection to one store.
#[derive(Clone)]
pub(crate) struct Target {
    config: tokio_postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    /// The busy timeout, as `lock_timeout` on every connection.
    lock_timeout: Duration,
}

/// The parameters taken out of the string before the driver parses it.
const OURS: &[&str] = &["sslmode", "sslrootcert"];

impl Target {
    /// Parses `location` (a URL or key-value string; see the module docs).
    pub(crate) fn parse(location: &str, lock_timeout: Duration) -> Result<Target> {
        Target::parse_in(location, lock_timeout, &|name| std::env::var_os(name))
    }

    /// [`Target::parse`] with the environment variables `env` gives.
    pub(crate) fn parse_in(
        location: &str,
        lock_timeout: Duration,
        env: &Env<'_>,
    ) -> Result<Target> {
        let var = |name: &str| {
            env(name)
                .map(|value| value.to_string_lossy().into_owned())
                .filter(|value| !value.is_empty())
        };
        let (rest, ours) = split_params(location)?;
        let mut config = tokio_postgres::Config::from_str(&rest).map_err(|err| {
            Error::InvalidArgument(format!("not a valid PostgreSQL connection string: {err}"))
        })?;
        let mode = match ours.get("sslmode").cloned().or_else(|| var("PGSSLMODE")) {
            Some(text) => SslMode::parse(&text)?,
            None => SslMode::Prefer,
        };
        config.ssl_mode(mode.driver_mode());
        let root = ours
            .get("sslrootcert")
            .cloned()
            .or_else(|| var("PGSSLROOTCERT"))
            .map(PathBuf::from);
        apply_defaults(&mut config, &var);
        if config.get_password().is_none()
            && let Some(password) = find_password(&config, env)?
        {
            config.password(password);
        }
        if config.get_application_name().is_none() {
            config.application_name("chatcore");
        }
        Ok(Target {
            config,
            tls: tls::connector(mode, root.as_deref())?,
            lock_timeout,
        })
    }

    /// Opens one connection and applies the store's settings to it.
    pub(crate) fn connect(&self) -> Result<Conn> {
        let client = Client::connect(&self.config, self.tls.clone(), |err| {
            self.cannot_connect(err)
        })?;
        // `lock_timeout` is the busy timeout (0 would mean "no limit").
        let millis = self.lock_timeout.as_millis().clamp(1, i32::MAX as u128);
        client.batch_execute(&format!("SET lock_timeout = {millis}"))?;
        Ok(Conn {
            client,
            statements: HashMap::new(),
            dirty: false,
        })
    }

    /// Opens a connection of the synchronous `postgres` crate, which
    /// receives notifications (the change feed's listener, `watch`).
    pub(crate) fn listener(&self) -> Result<postgres::Client> {
        postgres::Config::from(self.config.clone())
            .connect(self.tls.clone())
            .map_err(|err| self.cannot_connect(err))
    }

    /// The error of a connection that could not be opened.
    fn cannot_connect(&self, err: tokio_postgres::Error) -> Error {
        let hosts: Vec<String> = self.config.get_hosts().iter().map(host_name).collect();
        Error::Storage {
            message: format!(
                "cannot connect to the PostgreSQL server at {}: {}",
                hosts.join(","),
                err.as_db_error()
                    .map_or_else(|| err.to_string(), |db| db.message().to_string())
            ),
            source: Some(Box::new(err)),
        }
    }
}

/// Reads an environment variable (the process's, or a test's).
pub(crate) type Env<'a> = dyn Fn(&str) -> Option<std::ffi::OsString> + 'a;

/// libpq's defaults the driver lacks: the user (`PGUSER`, else the login
/// name) and the host (`PGHOST`, else the local socket folder).
fn apply_defaults(config: &mut tokio_postgres::Config, env: &dyn Fn(&str) -> Option<String>) {
    if config.get_user().is_none()
        && let Some(user) = env("PGUSER").or_else(|| env("USER"))
    {
        config.user(&user);
    }
    if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
        let host = env("PGHOST").unwrap_or_else(|| "/var/run/postgresql".to_string());
        config.host(&host);
    }
    if config.get_dbname().is_none()
        && let Some(db) = env("PGDATABASE")
    {
        config.dbname(&db);
    }
}

/// The host as libpq names it in a password file: a socket is `localhost`.
fn host_name(host: &Host) -> String {
    match host {
        Host::Tcp(name) => name.clone(),
        #[cfg(unix)]
        Host::Unix(_) => "localhost".to_string(),
    }
}

/// The password from `PGPASSWORD`, else from the password file.
fn find_password(config: &tokio_postgres::Config, env: &Env<'_>) -> Result<Option<String>> {
    if let Some(password) = env("PGPASSWORD") {
        return Ok(Some(password.to_string_lossy().into_owned()));
    }
    let Some(file) = pgpass::file(env) else {
        return Ok(None);
    };
    let host = config
        .get_hosts()
        .first()
        .map_or_else(|| "localhost".to_string(), host_name);
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default();
    let db = config.get_dbname().unwrap_or(user);
    pgpass::lookup(&file, [&host, &port, db, user])
}

/// Splits `location` into the string the driver parses and the parameters
/// in [`OURS`], for both forms.
pub(crate) fn split_params(location: &str) -> Result<(String, HashMap<String, String>)> {
    let mut ours = HashMap::new();
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        let Some((base, query)) = location.split_once('?') else {
            return Ok((location.to_string(), ours));
        };
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match OURS.contains(&key) {
                true => {
                    ours.insert(key.to_string(), percent_decode(value)?);
                }
                false => kept.push(pair),
            }
        }
        let rest = match kept.is_empty() {
            true => base.to_string(),
            false => format!("{base}?{}", kept.join("&")),
        };
        return Ok((rest, ours));
    }
    let mut kept = Vec::new();
    for (key, value) in key_values(location)? {
        match OURS.contains(&key.as_str()) {
            true => {
                ours.insert(key, value);
            }
            false => kept.push(format!(
                "{key}='{}'",
                value.replace('\\', "\\\\").replace('\'', "\\'")
            )),
        }
    }
    Ok((kept.join(" "), ours))
}

/// The pairs of a libpq key-value string (`key = value`, values optionally
/// in single quotes, `\` escaping the next character).
fn key_values(text: &str) -> Result<Vec<(String, String)>> {
    let bad = |why: &str| Error::InvalidArgument(format!("not a valid connection string: {why}"));
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(bad(&format!("{key:?} has no `=`")));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => return Err(bad("a quoted value is not closed")),
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                match c {
                    '\\' => value.extend(chars.next()),
                    c => value.push(c),
                }
            }
        }
        pairs.push((key, value));
    }
}

/// Decodes `%XX` escapes (a URL's query value).
fn percent_decode(text: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'%' => {
                let hex = text
                    .get(at + 1..at + 3)
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                    .ok_or_else(|| {
                        Error::InvalidArgument(format!("a bad %-escape in the URL: {text:?}"))
                    })?;
                out.push(hex);
                at += 3;
            }
            byte => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8(out)
        .map_err(|_| Error::InvalidArgument(format!("the URL value {text:?} is not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::split_params;

    #[test]
    fn our_parameters_are_taken_out_of_both_forms() {
        let (rest, ours) = split_params(
            "postgresql://u@h/db?sslmode=verify-full&options=-csearch_path%3Ds&sslrootcert=%2Ftmp%2Fca.pem",
        )
        .unwrap();
        assert_eq!(rest, "postgresql://u@h/db?options=-csearch_path%3Ds");
        assert_eq!(ours["sslmode"], "verify-full");
        assert_eq!(ours["sslrootcert"], "/tmp/ca.pem");

        let (rest, ours) =
            split_params("host=h  dbname = 'my db' sslmode=require password='a\\'b'").unwrap();
        assert_eq!(rest, "host='h' dbname='my db' password='a\\'b'");
        assert_eq!(ours["sslmode"], "require");
        assert!(split_params("host='h").is_err());
        assert!(split_params("host").is_err());
    }
}
