//! A temporary world for running `chat` as a process: its own database,
//! state directory and home, and cheap password hashing.
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery";

pub struct World {
    pub dir: TempDir,
}

impl World {
    pub fn new() -> World {
        World {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("chat.db")
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// `chat` with this world's database and state directory.
    pub fn chat(&self) -> Command {
        self.chat_with(&self.db(), &self.state_dir())
    }

    /// `chat` on another database or state directory.
    pub fn chat_with(&self, db: &Path, state_dir: &Path) -> Command {
        let mut cmd = Command::cargo_bin("chat").expect("chat binary");
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("XDG_DATA_HOME", self.home().join("data"))
            .env("XDG_STATE_HOME", self.home().join("state"))
            .env("CHAT_DB", db)
            .env("CHAT_STATE_DIR", state_dir)
            .env("CHAT_INSECURE_FAST_PASSWORDS", "1");
        cmd
    }

    /// Registers (and so logs in) a user; returns the JSON of `register`.
    pub fn register(&self, username: &str) -> Value {
        let out = self
            .chat()
            .args([
                "--json",
                "register",
                "--password-stdin",
                "--username",
                username,
            ])
            .args(["--email", &format!("{username}@example.com")])
            .write_stdin(format!("{PASSWORD}\n"))
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        json(&out)
    }

    /// Logs in as `username` (registered with [`PASSWORD`]).
    pub fn login(&self, username: &str) {
        self.chat()
            .args(["login", "--password-stdin", "--email"])
            .arg(format!("{username}@example.com"))
            .write_stdin(format!("{PASSWORD}\n"))
            .assert()
            .success();
    }

    /// Runs `chat --json ARGS`, expects success, returns the JSON on stdout.
    pub fn ok_json(&self, args: &[&str]) -> Value {
        let out = self
            .chat()
            .arg("--json")
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        json(&out)
    }

    /// Runs `chat --json ARGS`, expects exit `code`, returns the error code on stderr.
    pub fn err_code(&self, args: &[&str], code: i32) -> String {
        let out = self
            .chat()
            .arg("--json")
            .args(args)
            .assert()
            .code(code)
            .stdout("")
            .get_output()
            .stderr
            .clone();
        let value = json(&out);
        assert!(value["error"]["message"].is_string(), "{value}");
        value["error"]["code"]
            .as_str()
            .expect("error code")
            .to_string()
    }

    /// Runs `chat ARGS` (human output), expects success, returns stdout.
    pub fn ok_text(&self, args: &[&str]) -> String {
        let out = self
            .chat()
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).expect("utf-8")
    }
}

pub fn json(bytes: &[u8]) -> Value {
    let text = std::str::from_utf8(bytes).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON value per command, got {text:?}");
    serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}
