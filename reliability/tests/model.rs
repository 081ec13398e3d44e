//! A model-based test: random sequences of register / login / resume /
//! logout / create-or-get / send / send with a key / list / mark read /
//! mark thread read / delete thread / unread / reopen / edit / withdraw
//! (delete for everyone) / clear for me, run against a file store and
//! against a plain in-memory model, compared after every step (and after
//! each edit, withdrawal and clear, `verify_unread` finds every counter
//! exact).
//!
//! `RELIABILITY_MODEL_CASES` sets the number of sequences, each of up to
//! 100 steps (`cargo test`: 32; CI: 256; the longer run in the README's
//! "Guarantees": 5,000). The same model runs on PostgreSQL when
//! `CHATCORE_TEST_POSTGRES_URL` names a server (`cargo test`: 8 cases).

#[path = "model/ops.rs"]
mod ops;
#[path = "model/postgres.rs"]
mod postgres;
#[path = "model/real.rs"]
mod real;
#[path = "model/reference.rs"]
mod reference;
#[path = "model/step.rs"]
mod step;

use crate::ops::op;
use crate::postgres::stored_messages;
use crate::real::Real;
use crate::reference::Model;
use crate::step::step;
use chatcore::Store;
use chatcore_reliability::{config, grouped, size};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use std::path::PathBuf;

#[test]
fn the_store_behaves_like_the_model() {
    run_model("file", 32, &|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.db");
        (path, Box::new(dir))
    });
}

/// The same model against PostgreSQL (issue 14), one new schema per case,
/// on the server named by `CHATCORE_TEST_POSTGRES_URL` (else skipped).
#[test]
fn the_postgres_store_behaves_like_the_model() {
    let Some(server) = pgtest::server("the model on PostgreSQL") else {
        return;
    };
    // Fewer cases by default: each opens a new schema and its connections.
    run_model("postgres", 8, &|| {
        let schema = pgtest::Schema::new(&server, "chatrel_model");
        (PathBuf::from(schema.url()), Box::new(schema))
    });
}

/// Runs the model's cases, each on a new store at the location `fresh`
/// gives (with a guard that removes it when dropped).
fn run_model(
    backend: &str,
    default_cases: u64,
    fresh: &dyn Fn() -> (PathBuf, Box<dyn std::any::Any>),
) {
    let cases = size("RELIABILITY_MODEL_CASES", default_cases) as u32;
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        max_shrink_iters: 2_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let steps = std::cell::Cell::new(0u64);
    let started = std::time::Instant::now();
    let result = runner.run(&prop::collection::vec(op(), 1..=100), |ops| {
        let (path, _guard) = fresh();
        let mut model = Model::default();
        let mut real = Real {
            path: &path,
            store: Some(Store::open_with(&path, config()).unwrap()),
            sessions: Vec::new(),
            tokens: Vec::new(),
        };
        for (n, op) in ops.iter().enumerate() {
            step(&mut model, &mut real, op)
                .map_err(|why| TestCaseError::fail(format!("step {n}: {why}")))?;
            steps.set(steps.get() + 1);
        }
        drop(real);
        prop_assert_eq!(stored_messages(&path), model.messages.len() as u64);
        Ok(())
    });
    if let Err(err) = result {
        panic!("{err}");
    }
    println!(
        "model ({backend}): {cases} cases, {} steps (up to 100 per case), store and model agreed at every step ({:.1} s)",
        grouped(steps.get()),
        started.elapsed().as_secs_f64()
    );
}
