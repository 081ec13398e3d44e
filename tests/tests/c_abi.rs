//! The C programs in `examples/c/`, compiled with the system C compiler
//! against `include/chatcore.h` and the built `chatcore-ffi` library, run
//! plainly, under AddressSanitizer + UBSan, and under valgrind.
//!
//! `cargo test` runs each program plainly (and the quickstart linked
//! statically too). The valgrind run takes minutes and the sanitizer run
//! builds every program again, so both are `#[ignore]`d there and run by
//! `.ci/run` as steps of their own, printing each program's time:
//! `cargo test -p chatcore-e2e --test c_abi -- --ignored --nocapture`.
//!
//! The library is the one cargo built for this test: `chatcore-ffi` is a
//! dev-dependency of this package, and cargo compiles a library target
//! with every crate type it declares (`cdylib`, `staticlib`, `rlib`) into
//! the test's own `deps` directory. (It used to be built again by a nested
//! `cargo build` into a target directory of its own: a second build of
//! every dependency, SQLCipher and OpenSSL included, on each fresh clone.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package lives inside the workspace")
        .to_path_buf()
}

fn show(output: &Output) -> String {
    format!(
        "status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|err| panic!("cannot run {command:?}: {err}"))
}

/// The directory holding `libchatcore_ffi.{so,a}`: this test program's own
/// (`target/<profile>/deps`), where cargo put the dev-dependency's
/// libraries before running it.
fn library_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test program's own path");
        let dir = exe
            .parent()
            .expect("the test program lives in a directory")
            .to_path_buf();
        for file in ["libchatcore_ffi.so", "libchatcore_ffi.a"] {
            assert!(
                dir.join(file).exists(),
                "cargo built no {} for this test (is chatcore-ffi still a dev-dependency \
                 with the cdylib and staticlib crate types?)",
                dir.join(file).display()
            );
        }
        dir
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Build {
    Shared,
    Static,
    Sanitized,
}

/// Compiles `examples/c/<name>.c` into `out_dir`, warnings as errors.
fn compile(name: &str, build: Build, out_dir: &Path) -> PathBuf {
    let lib = library_dir();
    let source = workspace().join("examples/c").join(format!("{name}.c"));
    let exe = out_dir.join(name);
    let mut cc = match build {
        Build::Sanitized => Command::new("gcc"),
        _ => Command::new("cc"),
    };
    cc.args([
        "-std=c11",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-pedantic",
        "-g",
        "-pthread",
    ])
    .arg("-I")
    .arg(workspace().join("include"))
    .arg(&source)
    .arg("-o")
    .arg(&exe);
    if build == Build::Sanitized {
        cc.args([
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=all",
            "-fno-omit-frame-pointer",
        ]);
    }
    match build {
        Build::Static => {
            cc.arg(lib.join("libchatcore_ffi.a"));
            cc.args([
                "-lm",
                "-lrt",
                "-lpthread",
                "-lgcc_s",
                "-lutil",
                "-ldl",
                "-lc",
            ]);
        }
        _ => {
            cc.arg("-L").arg(lib).arg("-lchatcore_ffi");
            cc.arg(format!("-Wl,-rpath,{}", lib.display()));
        }
    }
    let output = run(&mut cc);
    assert!(
        output.status.success(),
        "compiling {name}.c failed: {cc:?}\n{}",
        show(&output)
    );
    exe
}

/// Runs a compiled program (optionally under a wrapper such as valgrind)
/// in a fresh directory and returns its output, failing on a non-zero exit.
fn run_program(exe: &Path, wrapper: &[&str], sanitized: bool) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (program, args) = match wrapper.split_first() {
        Some((first, rest)) => (first.to_string(), rest.to_vec()),
        None => (exe.display().to_string(), Vec::new()),
    };
    let mut command = Command::new(program);
    command.args(args);
    if !wrapper.is_empty() {
        command.arg(exe);
    }
    let name = exe.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    match name {
        "quickstart" => command.arg(dir.path().join("quickstart.db")),
        "migrate" => command
            .arg(dir.path())
            .arg(workspace().join("examples/c/dumpdata.json")),
        _ => command.arg(dir.path()),
    };
    // `cargo test` puts target/debug on LD_LIBRARY_PATH, which the loader
    // searches before the program's RUNPATH: a stale library there would
    // be tested instead of the one just built.
    command
        .current_dir(dir.path())
        .env_remove("LD_LIBRARY_PATH")
        .env("CHATCORE_INSECURE_FAST_HASHING", "1");
    if sanitized {
        command
            .env(
                "ASAN_OPTIONS",
                "detect_leaks=1:abort_on_error=0:exitcode=23",
            )
            .env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1");
    }
    let output = run(&mut command);
    assert!(
        output.status.success(),
        "{command:?} failed\n{}",
        show(&output)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn assert_quickstart_output(stdout: &str) {
    for line in [
        "registered ann (id 1) and bob (id 2)",
        "thread 1 created",
        "ann sent message 3: the usual place",
        "bob has 3 unread",
        "page 1: [2] lunch at noon?; [3] the usual place;",
        "page 2: [1] hi Bob;",
        "bob read message 1 (read_at set: yes)",
        "bob has 2 unread",
        "bob marked the thread read (2 more); 0 unread",
        "bob's inbox: with ann, last \"the usual place\", 0 unread",
        "bob searched \"LÜNCH\": [2] lunch at noon? (with ann, match \"lunch\")",
        "done",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "quickstart did not print {line:?}:\n{stdout}"
        );
    }
}

fn assert_migrate_output(stdout: &str) {
    for line in [
        "dry run: 2 users (1 without login), 1 threads (0 merged), 2 messages, 1 skipped",
        "imported: 2 users (1 without login), 1 threads (0 merged), 2 messages, 1 skipped",
        "max's thread 3 with Léa: 1 unread, last \"tu viens ?\"",
        "  [11] bonjour Max (read)",
        "  [12] tu viens ?",
        "backup opens: 2 users, 0 unread mismatches",
        "export imported into a fresh store: 2 users (0 without login), 1 threads (0 merged), 2 messages, 0 skipped",
        "done",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "migrate did not print {line:?}:\n{stdout}"
        );
    }
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("import again: refused (cannot import: user.user pk 7")),
        "{stdout}"
    );
}

fn assert_feed_output(stdout: &str) {
    for line in [
        "waiter woke: yes",
        "change: message 1 in thread 1 from user 1: hello from another process",
        "whole feed: 2 entries (thread created, message sent)",
        "nothing new: timed out",
        "interrupted wait returned: not available",
        "refusals ok",
        "done",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "feed did not print {line:?}:\n{stdout}"
        );
    }
}

#[test]
fn feed_wakes_a_waiter_thread_when_another_process_sends() {
    let out = tempfile::tempdir().unwrap();
    let exe = compile("feed", Build::Shared, out.path());
    assert_feed_output(&run_program(&exe, &[], false));
}

/// The abuse program's closing `N passed, 0 failed` line; returns N.
fn assert_abuse_output(stdout: &str) -> u32 {
    let last = stdout.lines().last().unwrap_or_default();
    let passed = last
        .strip_suffix(" passed, 0 failed")
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or_else(|| panic!("abuse did not end with `N passed, 0 failed`:\n{stdout}"));
    assert!(passed >= 200, "only {passed} checks ran:\n{stdout}");
    passed
}

#[test]
fn quickstart_runs_and_prints_the_walkthrough() {
    let out = tempfile::tempdir().unwrap();
    let exe = compile("quickstart", Build::Shared, out.path());
    assert_quickstart_output(&run_program(&exe, &[], false));
}

/// Without a path, quickstart makes a fresh temporary database each run and
/// removes it: it runs twice in a row, and leaves nothing in cwd or TMPDIR.
#[test]
fn quickstart_runs_twice_in_a_row_on_a_fresh_temporary_database() {
    let out = tempfile::tempdir().expect("a temporary directory");
    let exe = compile("quickstart", Build::Shared, out.path());
    let cwd = tempfile::tempdir().expect("a temporary directory");
    let tmp = tempfile::tempdir().expect("a temporary directory");
    for _ in 0..2 {
        let output = run(Command::new(&exe)
            .current_dir(cwd.path())
            .env_remove("LD_LIBRARY_PATH")
            .env("TMPDIR", tmp.path())
            .env("CHATCORE_INSECURE_FAST_HASHING", "1"));
        assert!(output.status.success(), "{}", show(&output));
        assert_quickstart_output(&String::from_utf8_lossy(&output.stdout));
    }
    for dir in [cwd.path(), tmp.path()] {
        let left: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
        assert!(left.is_empty(), "quickstart left {left:?} in {dir:?}");
    }
}

/// The quickstart on a PostgreSQL store: the same program, the same
/// output, with a `postgres://` URL (a fresh schema of the server named by
/// `CHATCORE_TEST_POSTGRES_URL`) where the file path was.
#[test]
fn quickstart_runs_on_postgresql() {
    let Some(server) = pgtest::server("the quickstart on PostgreSQL") else {
        return;
    };
    let schema = pgtest::Schema::new(&server, "chatc_test");

    let out = tempfile::tempdir().unwrap();
    let exe = compile("quickstart", Build::Shared, out.path());
    let output = run(Command::new(&exe)
        .arg(schema.url())
        .current_dir(out.path())
        .env_remove("LD_LIBRARY_PATH")
        .env("CHATCORE_INSECURE_FAST_HASHING", "1"));
    assert!(output.status.success(), "{}", show(&output));
    assert_quickstart_output(&String::from_utf8_lossy(&output.stdout));
}

#[test]
fn quickstart_links_against_the_static_library() {
    let out = tempfile::tempdir().unwrap();
    let exe = compile("quickstart", Build::Static, out.path());
    assert_quickstart_output(&run_program(&exe, &[], false));
}

#[test]
fn abuse_gets_the_documented_status_from_every_function() {
    let out = tempfile::tempdir().unwrap();
    let exe = compile("abuse", Build::Shared, out.path());
    assert_abuse_output(&run_program(&exe, &[], false));
}

fn assert_encrypted_output(stdout: &str) {
    for line in [
        "sent message 1 in an encrypted store",
        "wrong key: status 25 (wrong key)",
        "no key: status 25 (wrong key)",
        "key on a plain file: status 25 (wrong key)",
        "16-byte raw key: invalid argument",
        "rekey to no key: invalid argument",
        "old key after rekey: status 25 (wrong key)",
        "reopened with the passphrase: bob has 1 unread",
        "done",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "encrypted did not print {line:?}:\n{stdout}"
        );
    }
}

#[test]
fn encrypted_opens_refuses_wrong_keys_and_rekeys() {
    let out = tempfile::tempdir().unwrap();
    let exe = compile("encrypted", Build::Shared, out.path());
    assert_encrypted_output(&run_program(&exe, &[], false));
}

#[test]
fn migrate_imports_backs_up_and_exports() {
    let out = tempfile::tempdir().unwrap();
    let exe = compile("migrate", Build::Shared, out.path());
    assert_migrate_output(&run_program(&exe, &[], false));
}

fn require_sanitizers() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("probe.c");
    std::fs::write(&source, "int main(void) { return 0; }\n").unwrap();
    let output = run(Command::new("gcc")
        .args(["-fsanitize=address,undefined"])
        .arg(&source)
        .arg("-o")
        .arg(dir.path().join("probe")));
    assert!(
        output.status.success(),
        "gcc cannot build with -fsanitize=address,undefined: install the sanitizer \
         runtimes (Debian/Ubuntu: apt-get install gcc libasan8 libubsan1)\n{}",
        show(&output)
    );
}

/// Compiles and runs the three C programs under `label`'s tool, checks
/// their output, and prints how long each run took (the CI step's figures).
fn run_all_three(label: &str, build: Build, wrapper: &[&str], sanitized: bool) {
    let out = tempfile::tempdir().unwrap();
    for name in ["quickstart", "abuse", "migrate", "feed", "encrypted"] {
        let exe = compile(name, build, out.path());
        let started = std::time::Instant::now();
        let stdout = run_program(&exe, wrapper, sanitized);
        let elapsed = started.elapsed();
        let detail = match name {
            "quickstart" => {
                assert_quickstart_output(&stdout);
                String::new()
            }
            "abuse" => format!(", {} checks passed", assert_abuse_output(&stdout)),
            "feed" => {
                assert_feed_output(&stdout);
                String::new()
            }
            "encrypted" => {
                assert_encrypted_output(&stdout);
                String::new()
            }
            _ => {
                assert_migrate_output(&stdout);
                String::new()
            }
        };
        println!("{label}: {name} clean in {elapsed:.1?}{detail}");
    }
}

#[test]
#[ignore = "sanitizer run: a step of its own in .ci/run (--ignored)"]
fn c_programs_are_clean_under_asan_and_ubsan() {
    require_sanitizers();
    run_all_three("ASan + UBSan", Build::Sanitized, &[], true);
}

#[test]
#[ignore = "slow (minutes): a step of its own in .ci/run (--ignored)"]
fn c_programs_are_clean_under_valgrind() {
    let probe = Command::new("valgrind").arg("--version").output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "valgrind is not installed: apt-get install valgrind ({probe:?})"
    );
    let valgrind = [
        "valgrind",
        "--error-exitcode=1",
        "--leak-check=full",
        "--errors-for-leak-kinds=definite,possible",
        "--quiet",
    ];
    run_all_three("valgrind", Build::Shared, &valgrind, false);
}

#[test]
fn the_header_compiles_as_cpp() {
    let output = run(Command::new("c++")
        .args(["-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-x", "c++"])
        .arg(workspace().join("include/chatcore.h")));
    assert!(
        output.status.success(),
        "the header is not valid C++\n{}",
        show(&output)
    );
}

/// Every function the header declares is called by one of the C programs.
#[test]
fn every_header_function_is_exercised_by_the_c_programs() {
    let root = workspace();
    let header = std::fs::read_to_string(root.join("include/chatcore.h")).unwrap();
    let programs = [
        "quickstart.c",
        "abuse.c",
        "migrate.c",
        "feed.c",
        "encrypted.c",
    ]
    .map(|file| std::fs::read_to_string(root.join("examples/c").join(file)).unwrap())
    .join("\n");
    let mut functions = Vec::new();
    for line in header.lines().filter(|l| !l.trim_start().starts_with("//")) {
        let Some(open) = line.find('(') else { continue };
        let before = &line[..open];
        if let Some(start) = before.rfind(|c: char| !(c.is_alphanumeric() || c == '_')) {
            let name = &before[start + 1..];
            if name.starts_with("chat_") {
                functions.push(name.to_string());
            }
        }
    }
    assert!(functions.len() >= 40, "found only {functions:?}");
    let missing: Vec<_> = functions
        .iter()
        .filter(|name| !programs.contains(&format!("{name}(")))
        .collect();
    assert!(
        missing.is_empty(),
        "not called by any C program: {missing:?}"
    );
}
