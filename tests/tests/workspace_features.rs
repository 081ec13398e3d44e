//! Every build of the workspace resolves the features of the dependencies
//! it shares with `cargo test --workspace` the same way, so no build
//! compiles them again (see `workspace-hack/Cargo.toml`).
//!
//! Runs `cargo tree --offline` for the builds the README and `.ci/run` make
//! (one package's tests, one package's binary or library) and compares
//! each crate's features with the whole workspace's test build.
//! Build-dependency and proc-macro edges are left out: those crates are
//! built for the host apart from the target's, with features of their own,
//! and `cargo tree` would show a crate built both ways (syn) as one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// The edges of a build of binaries and libraries, and of a test build.
const BUILD: &str = "normal,no-proc-macro";
const TEST: &str = "normal,dev,no-proc-macro";

/// `name version` → features, for every crate in one build's graph.
type Features = BTreeMap<String, BTreeSet<String>>;

fn tree(packages: &[&str], edges: &str) -> Features {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package lives inside the workspace");
    let output = Command::new(cargo)
        .current_dir(workspace)
        .args([
            "tree",
            "--offline",
            "--prefix",
            "none",
            "--format",
            "{p} [{f}]",
        ])
        .args(["--edges", edges])
        .args(packages)
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree {packages:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut features = Features::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        // `name vX.Y.Z (path) [f1,f2]`, possibly followed by ` (*)`.
        let Some((head, rest)) = line.split_once(" [") else {
            continue;
        };
        let Some((list, _)) = rest.split_once(']') else {
            continue;
        };
        let mut words = head.split(' ');
        let (Some(name), Some(version)) = (words.next(), words.next()) else {
            continue;
        };
        features
            .entry(format!("{name} {version}"))
            .or_default()
            .extend(list.split(',').filter(|f| !f.is_empty()).map(String::from));
    }
    features
}

#[test]
fn one_package_builds_resolve_shared_features_as_the_workspace_does() {
    let workspace = tree(&["--workspace"], TEST);
    assert!(
        workspace.keys().any(|krate| krate.starts_with("libc ")),
        "cargo tree printed no graph: {workspace:?}"
    );
    let builds: [(&str, &[&str], &str); 8] = [
        ("cargo doc --workspace", &["--workspace"], BUILD),
        ("cargo run -p chatcli", &["-p", "chatcli"], BUILD),
        ("cargo test -p chatcli", &["-p", "chatcli"], TEST),
        (
            "cargo build -p chatcore-ffi",
            &["-p", "chatcore-ffi"],
            BUILD,
        ),
        ("cargo test -p chatcore", &["-p", "chatcore"], TEST),
        ("cargo test -p chatcore-e2e", &["-p", "chatcore-e2e"], TEST),
        (
            "cargo test -p chatcore-reliability",
            &["-p", "chatcore-reliability"],
            TEST,
        ),
        ("cargo run -p chatbench", &["-p", "chatbench"], BUILD),
    ];
    let mut differences = Vec::new();
    for (build, packages, edges) in builds {
        for (krate, features) in tree(packages, edges) {
            if let Some(all) = workspace.get(&krate)
                && *all != features
            {
                let missing: Vec<_> = all.difference(&features).collect();
                differences.push(format!("{build}: {krate} lacks {missing:?}"));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "these builds would compile shared crates again; add the features to \
         workspace-hack/Cargo.toml:\n{}",
        differences.join("\n")
    );
}
