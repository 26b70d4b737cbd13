//! `iis-sweep scan -i INVENTORY`: sweeps live hosts over WinRM and writes the same reports as
//! `check`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::collect::sweep::{sweep, HostCollection, SweepOptions};
use crate::credentials::{resolve_all, CredentialRef, Credentials, TerminalPrompter};
use crate::inventory::{self, shard::in_shard};
use crate::pipeline::{self, Evaluator, FailOn, Outcome};
use crate::report::{OutputOptions, Report};
use crate::rules::settings::RuleSettings;
use crate::target::Target;

/// Options of `scan`.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub inventory: PathBuf,
    pub limit: Option<String>,
    pub concurrency: usize,
    pub host_timeout: Duration,
    pub retries: u32,
    pub shard: Option<(u32, u32)>,
    pub save_snapshots: Option<PathBuf>,
    pub output: OutputOptions,
    pub settings: RuleSettings,
    pub fail_on: FailOn,
    pub baseline: Option<PathBuf>,
    pub progress: bool,
}

/// Loads the inventory and applies `--limit` and `--shard`.
pub fn targets(opts: &ScanOptions) -> anyhow::Result<Vec<Target>> {
    let inv = inventory::load(&opts.inventory).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut targets = match &opts.limit {
        Some(p) => inventory::apply_limit(&inv, p).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => inv.targets.clone(),
    };
    if let Some((k, n)) = opts.shard {
        targets.retain(|t| in_shard(&t.name, k, n));
    }
    Ok(targets)
}

/// Runs a sweep over `targets` (already filtered) and writes the reports. Ctrl-C stops
/// launching hosts, lets the ones in flight delete their shells, and still writes the report.
pub async fn run_targets(
    targets: Vec<Target>,
    opts: &ScanOptions,
    command: &str,
) -> anyhow::Result<(Outcome, Report)> {
    let mut prompter = TerminalPrompter;
    let credentials = resolve_all(targets.iter().map(|t| &t.credential), &mut prompter)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    run_with_credentials(targets, &credentials, opts, command).await
}

/// [`run_targets`] with credentials already resolved.
pub async fn run_with_credentials(
    targets: Vec<Target>,
    credentials: &HashMap<CredentialRef, Credentials>,
    opts: &ScanOptions,
    command: &str,
) -> anyhow::Result<(Outcome, Report)> {
    if let Some(dir) = &opts.save_snapshots {
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    }
    let today = chrono::Utc::now().date_naive();
    let mut builder = pipeline::report_builder(
        command,
        vec![opts.inventory.display().to_string()],
        &opts.settings,
        today,
    );
    builder.run_mut().shard = opts.shard.map(|(k, n)| format!("{k}/{n}"));
    let (tx, rx) = watch::channel(false);
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::warn!("interrupted: finishing the hosts in flight, then writing the report");
            let _ = tx.send(true);
        }
    });
    let sweep_opts = SweepOptions {
        concurrency: opts.concurrency,
        host_timeout: opts.host_timeout,
        retries: opts.retries,
        save_snapshots: opts.save_snapshots.clone(),
        progress: opts.progress,
    };
    // Collection and evaluation overlap: hosts are evaluated on the blocking pool as they
    // arrive, while the sweep goes on; the channel's bound keeps few snapshots in memory.
    let evaluator = Evaluator::per_core(opts.settings.clone(), today);
    let (done_tx, done_rx) = mpsc::channel::<HostCollection>(opts.concurrency.max(1));
    let collecting = sweep(targets, credentials, &sweep_opts, done_tx, rx);
    let evaluating = async {
        let mut done_rx = done_rx;
        let mut running = JoinSet::new();
        let mut open = true;
        while open || !running.is_empty() {
            tokio::select! {
                c = done_rx.recv(), if open => match c {
                    Some(c) => {
                        let evaluator = evaluator.clone();
                        running.spawn(async move { evaluator.evaluate(c).await });
                    }
                    None => open = false,
                },
                Some(a) = running.join_next(), if !running.is_empty() => match a {
                    Ok(a) => builder.add_host(a.host, a.findings),
                    Err(e) => tracing::error!("a host evaluation task failed: {e}"),
                },
            }
        }
    };
    let (interrupted, ()) = tokio::join!(collecting, evaluating);
    let interrupted = interrupted?;
    ctrl_c.abort();
    builder.run_mut().interrupted = interrupted;
    pipeline::finish(
        builder,
        opts.baseline.as_deref(),
        &opts.output,
        opts.fail_on,
    )
}

/// `scan`.
pub async fn run(opts: &ScanOptions) -> anyhow::Result<(Outcome, Report)> {
    let targets = targets(opts)?;
    if targets.is_empty() {
        anyhow::bail!(
            "{}: no host to sweep{}",
            opts.inventory.display(),
            if opts.limit.is_some() || opts.shard.is_some() {
                " after --limit/--shard"
            } else {
                ""
            }
        );
    }
    run_targets(targets, opts, "scan").await
}
