//! `iis-sweep ping`: what an operator runs first on a real fleet (like Ansible's `win_ping`).
//! For each selected host: connect, log on, open a shell and run a tiny script through the same
//! delivery as the collector, then report the auth scheme used, whether stdin delivery works,
//! and the remote PowerShell's version, language mode, execution policy, elevation and clock
//! skew. Same credential lockout guard, request budget and signals as `scan`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use crate::collect::sweep::{sweep, HostCollection, Stop, SweepOptions};
use crate::collect::PING_SCRIPT;
use crate::credentials::{CredentialRef, Credentials};
use crate::pipeline::Outcome;
use crate::target::Target;

use super::scan::select;

/// Options of `ping`.
#[derive(Debug, Clone)]
pub struct PingOptions {
    /// One or more inventories.
    pub inventory: Vec<PathBuf>,
    pub limit: Option<String>,
    pub concurrency: usize,
    /// Distinct hosts that may reject one credential before it is no longer used.
    pub max_auth_failures: usize,
}

/// Time one host gets: a logon and a tiny script.
const PING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// What the ping script prints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteFacts {
    pub computer: Option<String>,
    pub user: Option<String>,
    pub stdin_delivery: Option<bool>,
    pub powershell_version: Option<String>,
    pub language_mode: Option<String>,
    pub execution_policy: Option<String>,
    pub elevated: Option<bool>,
    pub time_utc: Option<String>,
}

/// One host's answer.
#[derive(Debug, Clone, Serialize)]
pub struct PingResult {
    pub name: String,
    pub endpoint: String,
    /// The authentication scheme used (or tried).
    pub auth: String,
    /// The collector's delivery that was used: `stdin` or `staged`.
    pub delivery: String,
    /// `ok`, or the status a sweep would give the host.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<RemoteFacts>,
    /// Host clock minus this machine's clock, seconds (Kerberos fails beyond 300).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_skew_secs: Option<i64>,
    /// What needs attention before a sweep.
    pub warnings: Vec<String>,
}

fn judge(t: &Target, c: HostCollection) -> PingResult {
    let mut r = PingResult {
        name: t.name.clone(),
        endpoint: t.endpoint(),
        auth: t.auth.to_string(),
        delivery: match t.delivery {
            crate::target::Delivery::Stdin => "stdin".into(),
            crate::target::Delivery::Staged => "staged".into(),
        },
        status: "ok".into(),
        reason: None,
        remote: None,
        clock_skew_secs: None,
        warnings: Vec::new(),
    };
    let stdout = match c.output {
        Ok(s) => s,
        Err(f) => {
            r.status = f.status.as_str().into();
            r.reason = Some(f.reason);
            return r;
        }
    };
    let text = String::from_utf8_lossy(&stdout);
    let facts: RemoteFacts = match serde_json::from_str(text.trim().trim_start_matches('\u{feff}'))
    {
        Ok(f) => f,
        Err(e) => {
            r.status = "collector-error".into();
            r.reason = Some(format!("the ping script's output is not its JSON: {e}"));
            return r;
        }
    };
    if let Some(t) = facts
        .time_utc
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    {
        let skew = t.timestamp() - chrono::Utc::now().timestamp();
        r.clock_skew_secs = Some(skew);
        if skew.abs() > 300 {
            r.warnings.push(format!(
                "the host's clock is {skew} s off: Kerberos refuses more than 300 s"
            ));
        }
    }
    if facts.language_mode.as_deref() != Some("FullLanguage") {
        r.warnings.push(format!(
            "PowerShell runs in {} mode: the collector needs FullLanguage (Constrained Language \
             Mode comes from AppLocker/WDAC policy)",
            facts.language_mode.as_deref().unwrap_or("an unknown")
        ));
    }
    if facts.elevated == Some(false) {
        r.warnings.push(
            "the session is not elevated: applicationHost.config and ACLs will be unreadable"
                .into(),
        );
    }
    if facts.stdin_delivery == Some(false) {
        r.warnings
            .push("stdin is not redirected: use `delivery = \"staged\"` for this host".into());
    }
    r.remote = Some(facts);
    r
}

/// Pings the hosts `opts` selects; returns the exit outcome (3 when a host failed) and the
/// results, in inventory order.
pub async fn run(opts: &PingOptions) -> anyhow::Result<(Outcome, Vec<PingResult>)> {
    let targets = select(&opts.inventory, opts.limit.as_deref(), None)?;
    if targets.is_empty() {
        anyhow::bail!(
            "{}: no host to ping",
            super::scan::shown_paths(&opts.inventory)
        );
    }
    let mut tickets = super::scan::KerberosTickets::default();
    let credentials = super::scan::resolve_credentials(&targets, &mut tickets)?;
    run_with_credentials(targets, &credentials, opts).await
}

/// [`run`] with credentials already resolved.
pub async fn run_with_credentials(
    targets: Vec<Target>,
    credentials: &HashMap<CredentialRef, Credentials>,
    opts: &PingOptions,
) -> anyhow::Result<(Outcome, Vec<PingResult>)> {
    let sweep_opts = SweepOptions {
        concurrency: opts.concurrency,
        host_timeout: PING_TIMEOUT,
        retries: 1,
        save_snapshots: None,
        progress: false,
        max_auth_failures: opts.max_auth_failures,
        script: PING_SCRIPT,
        max_output: 1 << 20,
    };
    let by_name: HashMap<String, Target> = targets
        .iter()
        .map(|t| (t.name.clone(), t.clone()))
        .collect();
    let order: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
    let (tx, mut rx) = mpsc::channel(targets.len().max(1));
    let (_stop_tx, stop_rx) = watch::channel(Stop::No);
    sweep(targets, credentials, &sweep_opts, tx, stop_rx).await?;
    let mut results: HashMap<String, PingResult> = HashMap::new();
    while let Some(c) = rx.recv().await {
        if let Some(t) = by_name.get(&c.name) {
            results.insert(c.name.clone(), judge(t, c));
        }
    }
    let ordered: Vec<PingResult> = order.iter().filter_map(|n| results.remove(n)).collect();
    let outcome = if ordered.iter().all(|r| r.status == "ok") {
        Outcome::Clean
    } else {
        Outcome::Incomplete
    };
    Ok((outcome, ordered))
}

/// The results as a terminal table.
pub fn to_text(results: &[PingResult]) -> String {
    let mut out = String::new();
    for r in results {
        let _ = write!(out, "{}  {}  {} ", r.name, r.endpoint, r.auth);
        match &r.remote {
            Some(f) => {
                let _ = writeln!(
                    out,
                    "ok  PowerShell {} {} policy {} {} skew {} s stdin {}",
                    f.powershell_version.as_deref().unwrap_or("?"),
                    f.language_mode.as_deref().unwrap_or("?"),
                    f.execution_policy.as_deref().unwrap_or("?"),
                    match f.elevated {
                        Some(true) => "elevated",
                        Some(false) => "NOT elevated",
                        None => "elevation unknown",
                    },
                    r.clock_skew_secs.map_or("?".into(), |s| s.to_string()),
                    match f.stdin_delivery {
                        Some(true) => "works",
                        Some(false) => "NOT redirected",
                        None => "?",
                    },
                );
            }
            None => {
                let _ = writeln!(out, "{}: {}", r.status, r.reason.as_deref().unwrap_or(""));
            }
        }
        for w in &r.warnings {
            let _ = writeln!(out, "    warning: {w}");
        }
    }
    out
}
