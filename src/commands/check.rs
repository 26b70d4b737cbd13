//! `iis-sweep check PATH...`: evaluates snapshots (or bare applicationHost.config files) offline.

use std::path::PathBuf;

use crate::analyze::{analyze, failed_host};
use crate::input::{discover, load};
use crate::report::build::ReportBuilder;
use crate::report::{self, OutputOptions};
use crate::rules::settings::RuleSettings;

use super::{outcome, FailOn, Outcome};

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
pub fn run(opts: &CheckOptions) -> anyhow::Result<(Outcome, crate::report::Report)> {
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
    let mut builder = ReportBuilder::new(
        "check",
        opts.paths.iter().map(|p| p.display().to_string()).collect(),
    );
    let today = chrono::Utc::now().date_naive();
    for note in opts.settings.expired_notes(today) {
        tracing::warn!("{note}");
        builder.note(note);
    }
    for input in &inputs {
        let source = input.path().display().to_string();
        match load(input) {
            Ok(snapshot) => {
                let a = analyze(&snapshot, &source, &opts.settings, today);
                for p in &a.host.problems {
                    tracing::warn!("{}: {p}", a.host.name);
                }
                builder.add_host(a.host, a.findings);
            }
            Err(e) => {
                tracing::error!("{e}");
                builder.add_host(
                    failed_host(
                        &input.fallback_host_name(),
                        &source,
                        crate::report::model::HostStatus::Error,
                        &e.message,
                    ),
                    Vec::new(),
                );
            }
        }
    }
    let mut rep = builder.finish();
    if let Some(b) = &opts.baseline {
        crate::report::drift::apply_baseline(&mut rep, b)?;
    }
    report::write_all(&rep, &opts.output)?;
    Ok((outcome(&rep, opts.fail_on), rep))
}
