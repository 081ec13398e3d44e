//! The main table's rows: sampling one row against its floor.

use crate::R;
use crate::stats::{self, Plan, Summary, human};

/// One row of the table.
pub(crate) struct Row {
    pub(crate) name: String,
    pub(crate) core: Summary,
    pub(crate) floor: Option<Summary>,
    pub(crate) note: String,
}

impl Row {
    pub(crate) fn ratio(&self) -> Option<f64> {
        self.floor
            .as_ref()
            .map(|floor| self.core.median() / floor.median())
    }
}

/// Samples one row and prints its line.
pub(crate) fn measure(
    name: &str,
    note: &str,
    plan: Plan,
    core: &mut dyn FnMut() -> R<()>,
    floor: Option<&mut dyn FnMut() -> R<()>>,
    against: &str,
) -> R<Row> {
    let (core, floor) = stats::compare(plan, core, floor)?;
    let row = Row {
        name: name.to_string(),
        core,
        floor,
        note: note.to_string(),
    };
    eprintln!(
        "  {:<44} {:>10}  {against} {:>10}  ratio {}",
        row.name,
        human(row.core.median()),
        row.floor.as_ref().map_or("—".into(), |f| human(f.median())),
        row.ratio().map_or("—".into(), |r| format!("{r:.2}")),
    );
    Ok(row)
}

pub(crate) struct Bench {
    pub(crate) plan: Plan,
    /// chatcore against the floor.
    pub(crate) rows: Vec<Row>,
    /// The C ABI (`core` in the row) against the Rust API (`floor`).
    pub(crate) ffi: Vec<Row>,
}

impl Bench {
    pub(crate) fn row(
        &mut self,
        name: &str,
        note: &str,
        plan: Plan,
        core: &mut dyn FnMut() -> R<()>,
        floor: Option<&mut dyn FnMut() -> R<()>>,
    ) -> R<()> {
        let row = measure(name, note, plan, core, floor, "floor")?;
        self.rows.push(row);
        Ok(())
    }

    /// A row of the C ABI (`ffi`, sampled first) against the Rust API.
    pub(crate) fn ffi_row(
        &mut self,
        name: &str,
        note: &str,
        ffi: &mut dyn FnMut() -> R<()>,
        rust: &mut dyn FnMut() -> R<()>,
    ) -> R<()> {
        let row = measure(name, note, self.plan, ffi, Some(rust), "Rust API")?;
        self.ffi.push(row);
        Ok(())
    }

    pub(crate) fn find(&self, name: &str) -> Option<&Row> {
        self.rows.iter().find(|row| row.name == name)
    }

    /// A plan for an operation that uses up `supply` prepared items.
    pub(crate) fn limited(&self, supply: u64, warmup: u64) -> Plan {
        let plan = Plan {
            warmup_iterations: warmup,
            ..self.plan
        };
        // calibration (≤ max + 3) + both subjects' rounds
        let rounds = plan.rounds as u64;
        let spare = supply.saturating_sub(3 + 2 * rounds * warmup);
        let max = spare / (2 * rounds * plan.samples_per_round as u64 + 1);
        Plan {
            max_iterations: max.max(1),
            ..plan
        }
    }
}
