//! `iis-sweep scan -i INVENTORY`: sweeps live hosts over WinRM and writes the same reports as
//! `check`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::collect::sweep::{sweep, HostCollection, Stop, SweepOptions};
use crate::credentials::{
    resolve_all, ticket_cache, CredentialError, CredentialRef, Credentials, TerminalPrompter,
};
use crate::finding::HostStatus;
use crate::inventory::{self, shard::in_shard};
use crate::pipeline::{self, Evaluator, FailOn, Outcome};
use crate::report::{OutputOptions, Report};
use crate::rules::settings::RuleSettings;
use crate::target::{AuthMethod, Target};

/// Options of `scan`.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// One or more inventories, swept as one.
    pub inventory: Vec<PathBuf>,
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
    /// Distinct hosts that may reject one credential before it is no longer used.
    pub max_auth_failures: usize,
    /// Largest collector output accepted from one host, MiB.
    pub max_output_mib: usize,
}

/// Loads the inventory and applies `--limit` and `--shard`.
pub fn targets(opts: &ScanOptions) -> anyhow::Result<Vec<Target>> {
    select(&opts.inventory, opts.limit.as_deref(), opts.shard)
}

/// The hosts of `inventory` that `limit` and `shard` select (scan, ping, --list-hosts).
pub fn select(
    inventories: &[PathBuf],
    limit: Option<&str>,
    shard: Option<(u32, u32)>,
) -> anyhow::Result<Vec<Target>> {
    let inv = inventory::load_all(inventories).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut targets = match limit {
        Some(p) => inventory::apply_limit(&inv, p).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => inv.targets.clone(),
    };
    if let Some((k, n)) = shard {
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
    let mut tickets = KerberosTickets::default();
    let credentials = resolve_credentials(&targets, &mut tickets)?;
    let (targets, refused): (Vec<Target>, Vec<Target>) = targets
        .into_iter()
        .partition(|t| !tickets.problems.contains_key(&t.credential));
    let refused = refused
        .into_iter()
        .map(|t| {
            let why = tickets.problems[&t.credential].clone();
            (t, HostStatus::KerberosError, why)
        })
        .collect();
    run_inner(targets, refused, &credentials, opts, command).await
}

/// Every target's credentials: passwords from their sources (prompting on a terminal); for
/// Kerberos targets, the ticket cache — or, when a password is given (file or variable), a
/// ticket got with it once for the whole sweep (see [`KerberosTickets`]).
pub fn resolve_credentials(
    targets: &[Target],
    tickets: &mut KerberosTickets,
) -> anyhow::Result<HashMap<CredentialRef, Credentials>> {
    let mut prompter = TerminalPrompter;
    let with_password = targets
        .iter()
        .filter(|t| t.auth != AuthMethod::Kerberos)
        .map(|t| &t.credential);
    let mut credentials =
        resolve_all(with_password, &mut prompter).map_err(|e| anyhow::anyhow!("{e}"))?;
    for t in targets.iter().filter(|t| t.auth == AuthMethod::Kerberos) {
        if credentials.contains_key(&t.credential) {
            continue;
        }
        let c = tickets.credentials(&t.credential)?;
        credentials.insert(t.credential.clone(), c);
    }
    Ok(credentials)
}

/// Kerberos tickets got from passwords for this run, in a private folder removed at the end.
/// The process's default cache (`KRB5CCNAME`) points at the first one: one Kerberos account
/// with a password per run (others: `kinit` them yourself).
#[derive(Debug, Default)]
pub struct KerberosTickets {
    dir: Option<PathBuf>,
    user: Option<String>,
    /// Credentials whose ticket could not be got, and why (their hosts are not contacted).
    pub problems: HashMap<CredentialRef, String>,
}

impl KerberosTickets {
    fn credentials(&mut self, r: &CredentialRef) -> anyhow::Result<Credentials> {
        let user = r.username.clone().unwrap_or_default();
        // No password from the file or the variable (never prompted for): the ticket cache.
        let c = match r.resolve(&mut crate::credentials::NoPrompt) {
            Ok(c) => c,
            Err(CredentialError::NoPassword { .. }) => return Ok(ticket_cache(r)),
            Err(e) => anyhow::bail!("{e}"),
        };
        match &self.user {
            Some(u) if !u.eq_ignore_ascii_case(&user) => {
                self.problems.insert(
                    r.clone(),
                    format!(
                        "a Kerberos ticket was already got for {u} in this run; only one account \
                         per run can log on with a password: run `kinit {user}` yourself"
                    ),
                );
                return Ok(ticket_cache(r));
            }
            Some(_) => return Ok(ticket_cache(r)),
            None => {}
        }
        let dir = self.private_dir()?;
        match crate::credentials::kinit(&user, &c.password, &dir) {
            Ok(cache) => {
                // Set before any WinRM client exists; winrm-rs reads the default cache.
                std::env::set_var("KRB5CCNAME", format!("FILE:{}", cache.display()));
                self.user = Some(user);
            }
            Err(problem) => {
                tracing::error!("{problem}");
                self.problems.insert(r.clone(), problem);
            }
        }
        Ok(ticket_cache(r))
    }

    fn private_dir(&mut self) -> anyhow::Result<PathBuf> {
        if let Some(d) = &self.dir {
            return Ok(d.clone());
        }
        let d = std::env::temp_dir().join(format!("iis-sweep-krb5-{}", std::process::id()));
        std::fs::create_dir_all(&d)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700))?;
        }
        self.dir = Some(d.clone());
        Ok(d)
    }
}

impl Drop for KerberosTickets {
    fn drop(&mut self) {
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// [`run_targets`] with credentials already resolved.
pub async fn run_with_credentials(
    targets: Vec<Target>,
    credentials: &HashMap<CredentialRef, Credentials>,
    opts: &ScanOptions,
    command: &str,
) -> anyhow::Result<(Outcome, Report)> {
    run_inner(targets, Vec::new(), credentials, opts, command).await
}

/// The sweep of `targets`; `refused` hosts are in the report with their status, uncontacted.
async fn run_inner(
    targets: Vec<Target>,
    refused: Vec<(Target, HostStatus, String)>,
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
        opts.inventory
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        &opts.settings,
        today,
    );
    builder.run_mut().shard = opts.shard.map(|(k, n)| format!("{k}/{n}"));
    builder.run_mut().scope.limit = opts.limit.clone();
    for (t, status, why) in refused {
        builder.add_host(
            pipeline::failed_host(&t.name, &t.endpoint(), status, &why),
            Vec::new(),
        );
    }
    let (tx, rx) = watch::channel(Stop::No);
    let signals = tokio::spawn(stop_on_signals(tx));
    let sweep_opts = SweepOptions {
        concurrency: opts.concurrency,
        host_timeout: opts.host_timeout,
        retries: opts.retries,
        save_snapshots: opts.save_snapshots.clone(),
        progress: opts.progress,
        max_auth_failures: opts.max_auth_failures,
        script: crate::collect::COLLECTOR_SCRIPT,
        max_output: opts.max_output_mib.saturating_mul(1 << 20),
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
    signals.abort();
    builder.run_mut().interrupted = interrupted;
    pipeline::finish(
        builder,
        opts.baseline.as_deref(),
        &opts.output,
        opts.fail_on,
    )
}

/// Ctrl-C (SIGINT) and SIGTERM — how Kubernetes, systemd and CI stop a job — both stop the
/// sweep: the first lets the hosts in flight delete their shells, the second abandons them;
/// either way the report of what is done is written.
async fn stop_on_signals(tx: watch::Sender<Stop>) {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    for level in [Stop::Gracefully, Stop::Now] {
        #[cfg(unix)]
        let terminated = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminated = std::future::pending::<()>();
        tokio::select! {
            r = tokio::signal::ctrl_c() => if r.is_err() { return },
            () = terminated => {},
        }
        match level {
            Stop::Gracefully => tracing::warn!(
                "interrupted: stopping the hosts in flight and deleting their shells, then \
                 writing the report (interrupt again to stop at once)"
            ),
            _ => tracing::warn!("interrupted again: writing the report of what is done"),
        }
        let _ = tx.send(level);
    }
}

/// `scan`.
pub async fn run(opts: &ScanOptions) -> anyhow::Result<(Outcome, Report)> {
    let targets = targets(opts)?;
    if targets.is_empty() {
        anyhow::bail!(
            "{}: no host to sweep{}",
            shown_paths(&opts.inventory),
            if opts.limit.is_some() || opts.shard.is_some() {
                " after --limit/--shard"
            } else {
                ""
            }
        );
    }
    run_targets(targets, opts, "scan").await
}

/// One line of `scan --list-hosts`: what would be contacted and how, never a secret.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ListedHost {
    pub name: String,
    pub address: String,
    pub port: u16,
    pub scheme: String,
    pub auth: String,
    pub endpoint: String,
    pub credential: String,
    pub groups: Vec<String>,
}

/// `scan --list-hosts`: the hosts the inventory, `--limit` and `--shard` select, without
/// connecting to any (Ansible's `--list-hosts`), as text or JSON.
pub fn list_hosts(opts: &ScanOptions, json: bool) -> anyhow::Result<String> {
    let listed: Vec<ListedHost> = targets(opts)?
        .into_iter()
        .map(|t| ListedHost {
            endpoint: t.endpoint(),
            credential: t.credential.to_string(),
            name: t.name,
            address: t.address,
            port: t.port,
            scheme: t.scheme.to_string(),
            auth: t.auth.to_string(),
            groups: t.groups,
        })
        .collect();
    if json {
        return Ok(serde_json::to_string_pretty(&listed)? + "\n");
    }
    let mut out = format!("  hosts ({}):\n", listed.len());
    for h in &listed {
        out.push_str(&format!(
            "    {}  {} {} as {}\n",
            h.name, h.endpoint, h.auth, h.credential
        ));
    }
    if opts.inventory.iter().any(|p| is_ansible(p)) {
        out.push_str(ANSIBLE_DEFAULT_TRANSPORT);
    }
    Ok(out)
}

/// Where iis-sweep's default differs from Ansible's, said where hosts are listed.
pub const ANSIBLE_DEFAULT_TRANSPORT: &str = "  note: a host without ansible_winrm_transport uses \
kerberos when its user is user@REALM (as Ansible) and otherwise ntlm; Ansible would use basic \
(plaintext over http, ssl over https) there. iis-sweep never sends a password with Basic unless \
asked: set ansible_winrm_transport=basic to get Ansible's behaviour.\n";

fn is_ansible(path: &std::path::Path) -> bool {
    if path.is_dir() {
        // Inventory directories are Ansible's.
        return true;
    }
    let format = inventory::Format::from_extension(path).or_else(|| {
        std::fs::read_to_string(path)
            .ok()
            .map(|t| inventory::Format::sniff(&t))
    });
    !matches!(format, Some(inventory::Format::Native) | None)
}

/// `a.yml, b.ini` for messages.
pub fn shown_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
