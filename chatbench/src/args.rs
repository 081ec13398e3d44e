//! The main run's command line and its sampling plan.

use crate::R;
use crate::stats::Plan;
use std::path::PathBuf;
use std::time::Duration;

pub(crate) struct Args {
    pub(crate) quick: bool,
    pub(crate) out: Option<PathBuf>,
    pub(crate) keep: Option<PathBuf>,
}

pub(crate) fn parse(argv: &[String]) -> R<Args> {
    let mut args = Args {
        quick: false,
        out: None,
        keep: None,
    };
    let mut rest = argv.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--quick" => args.quick = true,
            "--out" => args.out = Some(rest.next().ok_or("--out needs a file")?.into()),
            "--keep" => args.keep = Some(rest.next().ok_or("--keep needs a directory")?.into()),
            "-h" | "--help" => {
                println!(
                    "usage: chatbench [--quick] [--out FILE] [--keep DIR | --postgres URL]\n\
                     Full size by default (1,000,000-message thread); --quick for CI."
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}; see --help")),
        }
    }
    Ok(args)
}

/// The sampling plan of the main rows, at `--quick` or full size.
pub(crate) fn plan_for(quick: bool) -> Plan {
    if quick {
        Plan {
            rounds: 3,
            samples_per_round: 10,
            sample_time: Duration::from_micros(100),
            warmup_iterations: 2,
            max_iterations: 100_000,
        }
    } else {
        Plan {
            rounds: 50,
            samples_per_round: 6,
            sample_time: Duration::from_micros(300),
            warmup_iterations: 3,
            max_iterations: 1_000_000,
        }
    }
}
