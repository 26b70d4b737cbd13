//! The sweep: many hosts at once, each within its deadline, each ending with a status.
//!
//! Bounded: at most `concurrency` hosts in flight (so open connections and memory are bounded
//! too); each snapshot is evaluated as soon as it arrives and dropped, only findings are kept.
//! One WinRM client serves up to 32 hosts in flight (winrm-rs' per-client limit), shared by
//! every host with the same credentials and transport settings.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use tokio::sync::watch;
use tokio::task::JoinSet;
use winrm_rs::{EncryptionMode, WinrmClient, WinrmConfig, WinrmCredentials};

use super::session::{self, CollectFailure};
use super::COLLECTOR_SCRIPT;
use crate::analyze::{analyze, failed_host};
use crate::credentials::Credentials;
use crate::inventory::{AuthMethod, ClientKey, Scheme, Target};
use crate::report::build::ReportBuilder;
use crate::report::model::{Finding, HostResult, HostStatus};
use crate::rules::settings::RuleSettings;

/// Hosts one winrm-rs client serves at once.
const HOSTS_PER_CLIENT: usize = 32;

/// How to sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    pub concurrency: usize,
    pub host_timeout: Duration,
    pub retries: u32,
    pub save_snapshots: Option<PathBuf>,
    pub progress: bool,
    pub settings: RuleSettings,
}

/// A stable shard assignment: FNV-1a (64-bit) of the lower-cased host name, modulo `of`;
/// shard `k` (1-based) takes the hosts whose value is `k - 1`.
pub fn in_shard(name: &str, k: u32, of: u32) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.to_lowercase().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % u64::from(of)) as u32 == k - 1
}

/// Parses `K/N` (1 ≤ K ≤ N).
pub fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?}: use K/N, e.g. 2/8"))?;
    let k: u32 = k
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: K is not a number"))?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: N is not a number"))?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("{s:?}: need 1 <= K <= N"));
    }
    Ok((k, n))
}

fn client_config(key: &ClientKey) -> WinrmConfig {
    let mut c = match key.scheme {
        Scheme::Https => WinrmConfig::https(),
        Scheme::Http => WinrmConfig::http(),
    };
    c.port = Some(key.port);
    c.accept_invalid_certs = !key.tls.verify;
    c.connect_timeout_secs = key.connect_secs;
    c.operation_timeout_secs = key.operation_secs;
    c.max_output_bytes = Some(session::MAX_STDOUT_BYTES);
    c.auth_method = match key.auth {
        AuthMethod::Ntlm => winrm_rs::AuthMethod::Ntlm,
        AuthMethod::Kerberos => winrm_rs::AuthMethod::Kerberos,
        AuthMethod::Basic => winrm_rs::AuthMethod::Basic,
        AuthMethod::Certificate => winrm_rs::AuthMethod::Certificate,
    };
    if key.auth == AuthMethod::Basic && key.scheme == Scheme::Http && key.allow_unencrypted_basic {
        c.encryption = EncryptionMode::Never;
    }
    c
}

/// Builds one client for a group of targets. The password is handed to winrm-rs, which keeps
/// it in a `SecretString` too.
pub fn build_client(key: &ClientKey, creds: &Credentials) -> anyhow::Result<WinrmClient> {
    let (domain, user) = creds.domain_and_user();
    let wc = WinrmCredentials::new(user, creds.password.expose_secret(), domain.unwrap_or(""));
    let mut b = WinrmClient::builder(client_config(key)).credentials(wc);
    if let Some(ca) = &key.tls.ca_file {
        b = b.add_root_certificates_pem(ca.clone());
    }
    if let Some(pin) = &key.tls.pin_sha256 {
        b = b.pin_server_certificate_sha256(pin);
    }
    b.build().map_err(|e| {
        anyhow::anyhow!(
            "cannot set up the WinRM client ({} over {}): {e}",
            key.auth,
            key.scheme
        )
    })
}

/// Sweeps `targets`, adding every host to `builder`. Returns `true` when interrupted.
pub async fn sweep(
    targets: Vec<Target>,
    credentials: &HashMap<crate::credentials::CredentialRef, Credentials>,
    opts: &SweepOptions,
    builder: &mut ReportBuilder,
    cancel: watch::Receiver<bool>,
) -> anyhow::Result<bool> {
    let concurrency = opts.concurrency.max(1);
    // Clients: per client key, enough for the hosts that can be in flight at once.
    let mut group_sizes: HashMap<ClientKey, usize> = HashMap::new();
    for t in &targets {
        *group_sizes.entry(t.client_key()).or_default() += 1;
    }
    let mut pools: HashMap<ClientKey, (Vec<Arc<WinrmClient>>, usize)> = HashMap::new();
    for (key, size) in &group_sizes {
        let creds = credentials.get(&key.credential).ok_or_else(|| {
            anyhow::anyhow!("no credentials resolved for {:?}", key.credential.username)
        })?;
        let n = size.min(&concurrency).div_ceil(HOSTS_PER_CLIENT).max(1);
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(Arc::new(build_client(key, creds)?));
        }
        pools.insert(key.clone(), (v, 0));
    }

    let progress = progress_bar(targets.len() as u64, opts.progress);
    let mut failures = 0u64;
    let mut tasks: JoinSet<(HostResult, Vec<Finding>)> = JoinSet::new();
    let mut pending = targets.into_iter();
    let mut interrupted = false;
    let today = chrono::Utc::now().date_naive();
    let mut on_done = |builder: &mut ReportBuilder, host: HostResult, findings: Vec<Finding>| {
        if !host.status.evaluated() {
            failures += 1;
            tracing::warn!(
                "{}: {} — {}",
                host.name,
                host.status.as_str(),
                host.reason.as_deref().unwrap_or("")
            );
        }
        progress.set_message(format!("{failures} failed"));
        progress.inc(1);
        builder.add_host(host, findings);
    };
    loop {
        if *cancel.borrow() {
            interrupted = true;
        }
        while !interrupted && tasks.len() < concurrency {
            let Some(target) = pending.next() else { break };
            let key = target.client_key();
            let (clients, next) = pools.get_mut(&key).expect("a client exists for every key");
            let client = Arc::clone(&clients[*next % clients.len()]);
            *next += 1;
            let opts = opts.clone();
            let cancel = cancel.clone();
            tasks.spawn(async move { one_host(client, target, &opts, cancel, today).await });
        }
        match tasks.join_next().await {
            Some(Ok((host, findings))) => on_done(builder, host, findings),
            Some(Err(e)) => tracing::error!("a host task failed: {e}"),
            None => break,
        }
    }
    for t in pending {
        interrupted = true;
        on_done(
            builder,
            failed_host(
                &t.name,
                &t.endpoint(),
                HostStatus::Interrupted,
                "not started: the sweep was interrupted",
            ),
            Vec::new(),
        );
    }
    progress.finish_and_clear();
    Ok(interrupted)
}

async fn one_host(
    client: Arc<WinrmClient>,
    target: Target,
    opts: &SweepOptions,
    cancel: watch::Receiver<bool>,
    today: chrono::NaiveDate,
) -> (HostResult, Vec<Finding>) {
    let started = Instant::now();
    let timeout = target
        .timeouts
        .host_timeout_secs
        .map(Duration::from_secs)
        .unwrap_or(opts.host_timeout);
    let source = target.endpoint();
    let collected = session::collect(
        &client,
        &target.address,
        COLLECTOR_SCRIPT,
        target.delivery,
        started + timeout,
        opts.retries,
        cancel,
    )
    .await;
    let collect_ms = started.elapsed().as_millis() as u64;
    let fail = |f: CollectFailure| {
        let mut h = failed_host(&target.name, &source, f.status, &f.reason);
        h.timings.collect_ms = Some(collect_ms);
        (h, Vec::new())
    };
    let out = match collected {
        Ok(c) => c,
        Err(f) => return fail(f),
    };
    if let Some(dir) = &opts.save_snapshots {
        let file = dir.join(format!("{}.json", safe_file_name(&target.name)));
        if let Err(e) = std::fs::write(&file, &out.stdout) {
            tracing::error!("{}: cannot save snapshot: {e}", file.display());
        }
    }
    let mut snapshot = match crate::input::parse_snapshot(&out.stdout) {
        Ok(s) => s,
        Err(e) => {
            return fail(CollectFailure::new(
                HostStatus::CollectorError,
                format!("the collector's output is not a snapshot: {e}"),
            ))
        }
    };
    drop(out);
    // Reports name hosts as the inventory does; the host's own names stay in the facts.
    snapshot.host.name = target.name.clone();
    let mut a = analyze(&snapshot, &source, &opts.settings, today);
    a.host.timings.collect_ms = Some(collect_ms);
    (a.host, a.findings)
}

fn safe_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn progress_bar(len: u64, enabled: bool) -> indicatif::ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(len);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} hosts · {per_sec} · ETA {eta} · {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    pb.enable_steady_tick(Duration::from_millis(200));
    pb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_hosts() {
        let names: Vec<String> = (0..1000).map(|i| format!("WEB-{i:04}")).collect();
        let mut counts = [0usize; 4];
        for n in &names {
            let hits: Vec<u32> = (1..=4).filter(|k| in_shard(n, *k, 4)).collect();
            assert_eq!(hits.len(), 1, "{n} in exactly one shard");
            counts[(hits[0] - 1) as usize] += 1;
        }
        assert!(counts.iter().all(|c| *c > 150), "roughly even: {counts:?}");
        assert!(in_shard("Web-0001", 1, 1));
        assert_eq!(in_shard("WEB-0001", 2, 4), in_shard("web-0001", 2, 4));
    }

    #[test]
    fn shard_syntax() {
        assert_eq!(parse_shard("2/8"), Ok((2, 8)));
        assert!(parse_shard("0/8").is_err());
        assert!(parse_shard("9/8").is_err());
        assert!(parse_shard("x").is_err());
    }
}
