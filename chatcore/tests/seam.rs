//! The storage seam's shape (issue 14, part 1), checked on the sources:
//! only the SQLite backend (`src/sqlite/`) names the SQLite driver, only
//! the PostgreSQL backend (`src/postgres/`) its driver, pool and TLS
//! crates, and the
//! core's modules depend on each other without cycles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            files.push((path, text));
        }
    }
    files
}

/// The code of a file without its comment lines (docs may name anything).
fn code(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn only_the_sqlite_backend_names_the_driver() {
    let backend = src().join("sqlite");
    let offenders: Vec<String> = sources(&src())
        .into_iter()
        .filter(|(path, _)| !path.starts_with(&backend))
        .filter(|(_, text)| code(text).contains("rusqlite"))
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "outside src/sqlite/, these name rusqlite: {offenders:?}"
    );
}

/// Outside `src/postgres/`, nothing names the PostgreSQL driver, its
/// runtime, its pool or its TLS crates (the backend module itself is
/// `crate::postgres`).
#[test]
fn only_the_postgres_backend_names_its_crates() {
    let backend = src().join("postgres");
    let names_a_crate = |code: &str| {
        [
            "r2d2",
            "rustls",
            "tokio_postgres",
            "tokio::",
            "futures_util",
        ]
        .iter()
        .any(|name| code.contains(name))
            || code
                .match_indices("postgres::")
                .any(|(at, _)| !code[..at].ends_with("crate::") && !code[..at].ends_with("tokio_"))
    };
    let offenders: Vec<String> = sources(&src())
        .into_iter()
        .filter(|(path, _)| !path.starts_with(&backend))
        .filter(|(_, text)| names_a_crate(&code(text)))
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "outside src/postgres/, these name the PostgreSQL crates: {offenders:?}"
    );
    // The check sees a use of the driver where there is one.
    assert!(names_a_crate("use postgres::Client;"));
    assert!(!names_a_crate("crate::postgres::Backend::open"));
}

/// The module a file belongs to: its name at the top level, or the folder
/// under `src/` it is in (`sqlite` for everything in `src/sqlite/`).
fn module_of(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(src()).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_string())
}

#[test]
fn the_core_modules_have_no_import_cycles() {
    let mut code_of: BTreeMap<String, String> = BTreeMap::new();
    for (path, text) in sources(&src()) {
        if let Some(module) = module_of(&path) {
            code_of.entry(module).or_default().push_str(&code(&text));
        }
    }
    let modules: BTreeSet<String> = code_of.keys().cloned().collect();
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &code_of {
        let used = text
            .split("crate::")
            .skip(1)
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .filter(|name| modules.contains(name) && name != module)
            .collect();
        deps.insert(module.clone(), used);
    }
    // A module is on a cycle if it can reach itself.
    let mut on_cycles = Vec::new();
    for start in &modules {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&String> = deps[start].iter().collect();
        while let Some(next) = stack.pop() {
            if next == start {
                on_cycles.push(start.clone());
                break;
            }
            if seen.insert(next.clone()) {
                stack.extend(deps[next].iter());
            }
        }
    }
    assert!(
        on_cycles.is_empty(),
        "modules on an import cycle: {on_cycles:?} (dependencies: {deps:?})"
    );
}
