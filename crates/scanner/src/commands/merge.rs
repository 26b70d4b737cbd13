//! `iis-sweep merge REPORT.json... --out DIR`: one fleet report from the reports of several
//! shards (`scan --shard K/N`) or sweeps.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::pipeline::{self, FailOn, Outcome};
use crate::report::model::Report;
use crate::report::{json, OutputOptions};

/// Merges reports: hosts and findings united, totals recomputed. A host present in two inputs
/// is an error naming both files — a host must be swept once.
pub fn merge_reports(inputs: &[(String, Report)]) -> anyhow::Result<Report> {
    let Some((_, first)) = inputs.first() else {
        anyhow::bail!("no report to merge");
    };
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (source, r) in inputs {
        for h in &r.hosts {
            if let Some(prev) = seen.insert(h.name.to_lowercase(), source) {
                anyhow::bail!(
                    "host {} is in both {prev} and {source}: each host must be in one report \
                     (were the shards run with the same N?)",
                    h.name
                );
            }
        }
    }
    let mut out = first.clone();
    out.hosts.clear();
    out.findings.clear();
    out.notes.clear();
    out.baseline = None;
    out.run.command = "merge".into();
    out.run.shard = None;
    out.run.inputs = Vec::new();
    for (source, r) in inputs {
        if r.tool.ruleset != first.tool.ruleset {
            out.notes.push(format!(
                "{source} was written with rule set {}, the first input with {}",
                r.tool.ruleset, first.tool.ruleset
            ));
        }
        out.run.started = out.run.started.clone().min(r.run.started.clone());
        out.run.finished = out.run.finished.clone().max(r.run.finished.clone());
        out.run.interrupted |= r.run.interrupted;
        for i in &r.run.inputs {
            if !out.run.inputs.contains(i) {
                out.run.inputs.push(i.clone());
            }
        }
        out.hosts.extend(r.hosts.iter().cloned());
        out.findings.extend(r.findings.iter().cloned());
        out.notes.extend(r.notes.iter().cloned());
    }
    out.notes.dedup();
    out.sort();
    out.recompute_totals();
    Ok(out)
}

/// Reads, merges and writes.
pub fn run(
    inputs: &[PathBuf],
    output: &OutputOptions,
    fail_on: FailOn,
) -> anyhow::Result<(Outcome, Report)> {
    let mut reports = Vec::new();
    for p in inputs {
        reports.push((p.display().to_string(), json::read(p)?));
    }
    pipeline::publish(merge_reports(&reports)?, None, output, fail_on)
}
