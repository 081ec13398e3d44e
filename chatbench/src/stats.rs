//! Criterion-like sampling: warm-up, many samples of batched iterations,
//! median and spread. Two subjects (chatcore and the floor) are sampled
//! alternately so that noise from other processes hits both alike.

use std::time::{Duration, Instant};

/// The distribution of one subject's per-iteration times.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Per-iteration time of each sample, in nanoseconds, sorted.
    pub samples_ns: Vec<f64>,
}

impl Summary {
    fn from(mut samples_ns: Vec<f64>) -> Summary {
        samples_ns.sort_by(f64::total_cmp);
        Summary { samples_ns }
    }

    fn quantile(&self, q: f64) -> f64 {
        if self.samples_ns.is_empty() {
            return f64::NAN;
        }
        let position = q * (self.samples_ns.len() - 1) as f64;
        let (low, high) = (position.floor() as usize, position.ceil() as usize);
        let weight = position - low as f64;
        self.samples_ns[low] * (1.0 - weight) + self.samples_ns[high] * weight
    }

    /// The median per-iteration time, in nanoseconds.
    pub fn median(&self) -> f64 {
        self.quantile(0.5)
    }

    /// The 10th and 90th percentiles of the samples, in nanoseconds.
    pub fn spread(&self) -> (f64, f64) {
        (self.quantile(0.1), self.quantile(0.9))
    }
}

/// How long and how often to sample.
///
/// Samples are short (a few hundred microseconds), so that a stall that hits
/// one operation in a hundred (a WAL checkpoint, another process taking the
/// CPU) shows in the spread and not in the median. The two subjects run in
/// alternating rounds: switching connections after a write empties the other
/// connection's page cache (WAL), so each round starts with untimed warm-up.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Rounds; each round samples both subjects.
    pub rounds: usize,
    /// Samples per subject and round.
    pub samples_per_round: usize,
    /// Target wall time of one sample.
    pub sample_time: Duration,
    /// Untimed iterations at the start of each round.
    pub warmup_iterations: u64,
    /// At most this many iterations per sample.
    pub max_iterations: u64,
}

impl Plan {
    /// Samples per subject.
    pub fn samples(&self) -> usize {
        self.rounds * self.samples_per_round
    }
}

type Step<'a> = &'a mut dyn FnMut() -> Result<(), String>;

/// Samples `a` and `b` in alternating rounds with the same iteration count
/// and returns their summaries.
pub fn compare(
    plan: Plan,
    a: Step<'_>,
    mut b: Option<Step<'_>>,
) -> Result<(Summary, Option<Summary>), String> {
    // Calibrate on `a`: iterations so that one sample takes about sample_time.
    let start = Instant::now();
    let mut calibration = 0u64;
    while calibration < 3
        || (start.elapsed() < plan.sample_time * 4 && calibration < plan.max_iterations)
    {
        a()?;
        calibration += 1;
    }
    let per_iteration = start.elapsed().as_secs_f64() / calibration as f64;
    let iterations =
        ((plan.sample_time.as_secs_f64() / per_iteration) as u64).clamp(1, plan.max_iterations);
    let mut a_samples = Vec::with_capacity(plan.samples());
    let mut b_samples = Vec::with_capacity(plan.samples());
    for _ in 0..plan.rounds {
        round(plan, iterations, a, &mut a_samples)?;
        if let Some(b) = b.as_mut() {
            round(plan, iterations, *b, &mut b_samples)?;
        }
    }
    let a = Summary::from(a_samples);
    let b = b.map(|_| Summary::from(b_samples));
    Ok((a, b))
}

fn round(plan: Plan, iterations: u64, step: Step<'_>, out: &mut Vec<f64>) -> Result<(), String> {
    for _ in 0..plan.warmup_iterations {
        step()?;
    }
    for _ in 0..plan.samples_per_round {
        let start = Instant::now();
        for _ in 0..iterations {
            step()?;
        }
        out.push(start.elapsed().as_nanos() as f64 / iterations as f64);
    }
    Ok(())
}

/// Formats nanoseconds with a unit that keeps 3 significant digits.
pub fn human(ns: f64) -> String {
    if ns.is_nan() {
        "—".to_string()
    } else if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.1} µs", ns / 1_000.0)
    } else if ns < 1_000_000_000.0 {
        format!("{:.1} ms", ns / 1_000_000.0)
    } else {
        format!("{:.2} s", ns / 1_000_000_000.0)
    }
}
