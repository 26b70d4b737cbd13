//! The sweep: many hosts at once, each within its deadline, each ending with a
//! [`HostCollection`] — the collector's output or the status that says why there is none.
//!
//! Bounded: at most `concurrency` hosts in flight (so open connections and memory are bounded
//! too). Every host's collection is sent on a bounded channel as soon as it ends; whoever reads
//! the channel (the pipeline) evaluates it off this runtime's worker threads. A slow reader
//! slows the sweep instead of piling up snapshots. One WinRM client serves up to 32 hosts in
//! flight (winrm-rs' per-client limit), shared by every host with the same credentials and
//! transport settings. This module knows nothing of rules or reports.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use winrm_rs::{EncryptionMode, WinrmClient, WinrmConfig, WinrmCredentials};

use super::session::{self, CollectFailure};
use super::COLLECTOR_SCRIPT;
use crate::credentials::{CredentialRef, Credentials};
use crate::finding::HostStatus;
use crate::target::{AuthMethod, ClientKey, Scheme, Target};

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
}

/// How one host's collection ended.
#[derive(Debug)]
pub struct HostCollection {
    /// The inventory name.
    pub name: String,
    /// The endpoint the facts came from.
    pub source: String,
    /// Time spent on the host; `None` when it was never started.
    pub collect_ms: Option<u64>,
    /// The collector's standard output (a snapshot document), or why there is none.
    pub output: Result<Vec<u8>, CollectFailure>,
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

/// Sweeps `targets`, sending every host's [`HostCollection`] to `done` — also for hosts never
/// started because the sweep was interrupted. Returns `true` when interrupted.
pub async fn sweep(
    targets: Vec<Target>,
    credentials: &HashMap<CredentialRef, Credentials>,
    opts: &SweepOptions,
    done: mpsc::Sender<HostCollection>,
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
    let mut tasks: JoinSet<HostCollection> = JoinSet::new();
    let mut pending = targets.into_iter();
    let mut interrupted = false;
    let mut on_done = async |host: HostCollection| {
        if let Err(f) = &host.output {
            failures += 1;
            tracing::warn!("{}: {} — {}", host.name, f.status.as_str(), f.reason);
        }
        progress.set_message(format!("{failures} failed"));
        progress.inc(1);
        // The reader only goes away when the run is being torn down.
        let _ = done.send(host).await;
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
            tasks.spawn(async move { one_host(client, target, &opts, cancel).await });
        }
        match tasks.join_next().await {
            Some(Ok(host)) => on_done(host).await,
            Some(Err(e)) => tracing::error!("a host task failed: {e}"),
            None => break,
        }
    }
    for t in pending {
        interrupted = true;
        on_done(HostCollection {
            name: t.name.clone(),
            source: t.endpoint(),
            collect_ms: None,
            output: Err(CollectFailure::new(
                HostStatus::Interrupted,
                "not started: the sweep was interrupted",
            )),
        })
        .await;
    }
    progress.finish_and_clear();
    Ok(interrupted)
}

async fn one_host(
    client: Arc<WinrmClient>,
    target: Target,
    opts: &SweepOptions,
    cancel: watch::Receiver<bool>,
) -> HostCollection {
    let started = Instant::now();
    let timeout = target
        .timeouts
        .host_timeout_secs
        .map(Duration::from_secs)
        .unwrap_or(opts.host_timeout);
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
    let output = collected.map(|c| c.stdout);
    if let (Ok(stdout), Some(dir)) = (&output, &opts.save_snapshots) {
        let file = dir.join(format!("{}.json", safe_file_name(&target.name)));
        if let Err(e) = std::fs::write(&file, stdout) {
            tracing::error!("{}: cannot save snapshot: {e}", file.display());
        }
    }
    HostCollection {
        source: target.endpoint(),
        name: target.name,
        collect_ms: Some(started.elapsed().as_millis() as u64),
        output,
    }
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
