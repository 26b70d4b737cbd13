//! `iis-sweep check PATH...`: evaluates snapshots (or bare applicationHost.config files) offline.

use std::path::PathBuf;

use crate::input::discover;
use crate::pipeline::{self, FailOn, Outcome};
use crate::report::{OutputOptions, Report};
use crate::rules::settings::RuleSettings;

/// Options of `check`.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub paths: Vec<PathBuf>,
    pub output: OutputOptions,
    pub settings: RuleSettings,
    pub fail_on: FailOn,
    pub baseline: Option<PathBuf>,
}

/// Runs `check`; every input ends up in the report, readable or not.
pub fn run(opts: &CheckOptions) -> anyhow::Result<(Outcome, Report)> {
    let inputs = discover(&opts.paths)?;
    if inputs.is_empty() {
        anyhow::bail!(
            "no snapshot (*.json) or applicationHost.config found in {}",
            opts.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let today = chrono::Utc::now().date_naive();
    let mut builder = pipeline::report_builder(
        "check",
        opts.paths.iter().map(|p| p.display().to_string()).collect(),
        &opts.settings,
        today,
    );
    for input in &inputs {
        let a = pipeline::analyze_input(input, &opts.settings, today);
        builder.add_host(a.host, a.findings);
    }
    pipeline::finish(
        builder,
        opts.baseline.as_deref(),
        &opts.output,
        opts.fail_on,
    )
}
