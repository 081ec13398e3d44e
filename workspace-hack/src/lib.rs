//! No code. This crate's dependencies ask for the union of the features
//! the workspace's packages ask of the dependencies they share, so that a
//! build of one package (`cargo run -p chatcli`, `cargo test -p
//! chatcore-e2e`) reuses what `cargo test --workspace` compiled instead of
//! compiling those crates again with fewer features. See its `Cargo.toml`.
