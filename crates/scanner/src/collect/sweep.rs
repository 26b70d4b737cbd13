//! The sweep: many hosts at once, each within its deadline, each ending with a
//! [`HostCollection`] — the collector's output or the status that says why there is none.
//!
//! Bounded: at most `concurrency` hosts in flight (so open connections and memory are bounded
//! too). Every host's collection is sent on a bounded channel as soon as it ends; whoever reads
//! the channel (the pipeline) evaluates it off this runtime's worker threads. A slow reader
//! slows the sweep instead of piling up snapshots. One WinRM client serves up to 32 hosts in
//! flight (winrm-rs' per-client limit), shared by every host with the same credentials and
//! transport settings. This module knows nothing of rules or reports.

use std::collections::{HashMap, VecDeque};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::{Id, JoinSet};
use winrm_rs::{EncryptionMode, RequestKind, WinrmClient, WinrmConfig, WinrmCredentials};

use super::session::{self, CollectFailure};

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
    /// Distinct hosts that may reject one credential before the sweep stops using it.
    pub max_auth_failures: usize,
    /// What runs on each host: [`super::COLLECTOR_SCRIPT`], or `ping`'s script.
    pub script: &'static str,
    /// Largest output accepted from one host, bytes.
    pub max_output: usize,
}

/// How hard the sweep is being stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Stop {
    /// Keep going.
    #[default]
    No,
    /// Start no host; hosts in flight stop their work and delete their shells.
    Gracefully,
    /// Abandon the hosts in flight at once (a second Ctrl-C or SIGTERM).
    Now,
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

impl HostCollection {
    fn failed(t: &Target, status: HostStatus, reason: impl Into<String>) -> Self {
        HostCollection {
            name: t.name.clone(),
            source: t.endpoint(),
            collect_ms: None,
            output: Err(CollectFailure::new(status, reason)),
        }
    }
}

/// One credential's standing in this sweep. A domain account has one lockout counter, whichever
/// host the logon goes to: until some host accepts the credential, one host at a time tries it;
/// once `max_auth_failures` distinct hosts rejected it, nobody tries it again.
#[derive(Debug, Default)]
struct CredentialState {
    accepted: AtomicBool,
    rejected_by: Mutex<Vec<String>>,
    /// Wakes the sweep when the credential is first accepted: held-back hosts may start.
    wake: Arc<Notify>,
}

impl session::Logons for CredentialState {
    fn accepted(&self) {
        if !self.accepted.swap(true, Ordering::SeqCst) {
            self.wake.notify_one();
        }
    }
    fn proven(&self) -> bool {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// Per credential, fleet-wide.
#[derive(Debug)]
struct CredentialGuard {
    max_failures: usize,
    states: HashMap<CredentialRef, Arc<CredentialState>>,
    /// Hosts in flight per credential, while it is not yet proven.
    trying: HashMap<CredentialRef, usize>,
    /// Woken when a credential is accepted: held-back hosts may start.
    changed: Arc<Notify>,
}

enum Admit {
    Go(Arc<CredentialState>),
    /// Not yet: another host is trying this unproven credential.
    Wait,
    Skip(String),
}

impl CredentialGuard {
    fn state(&mut self, cred: &CredentialRef) -> Arc<CredentialState> {
        let wake = Arc::clone(&self.changed);
        Arc::clone(self.states.entry(cred.clone()).or_insert_with(|| {
            Arc::new(CredentialState {
                wake,
                ..CredentialState::default()
            })
        }))
    }

    fn admit(&mut self, cred: &CredentialRef) -> Admit {
        let state = self.state(cred);
        let rejected = state
            .rejected_by
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if rejected.len() >= self.max_failures.max(1) {
            return Admit::Skip(format!(
                "skipped: the credential of {} was rejected by {}; it is not tried again, so \
                 that the account is not locked out (--max-auth-failures {})",
                cred.username.as_deref().unwrap_or("(default user)"),
                rejected.join(", "),
                self.max_failures.max(1)
            ));
        }
        if !state.accepted.load(Ordering::SeqCst) {
            let trying = self.trying.entry(cred.clone()).or_default();
            if *trying > 0 {
                return Admit::Wait;
            }
            *trying += 1;
        }
        Admit::Go(state)
    }

    fn done(&mut self, cred: &CredentialRef, host: &str, status: Option<HostStatus>) {
        if let Some(n) = self.trying.get_mut(cred) {
            *n = n.saturating_sub(1);
        }
        if status == Some(HostStatus::AuthFailed) {
            if let Some(state) = self.states.get(cred) {
                let mut v = state.rejected_by.lock().unwrap_or_else(|e| e.into_inner());
                if !v.iter().any(|h| h == host) {
                    v.push(host.to_string());
                }
            }
        }
    }
}

/// Requests per host, fleet-wide; refuses what goes beyond the budget (never Signal or
/// Delete, which stop work).
#[derive(Debug)]
struct RequestBudget {
    limit: u32,
    sent: Mutex<HashMap<String, u32>>,
}

impl RequestBudget {
    fn allow(&self, host: &str, kind: RequestKind) -> bool {
        if matches!(kind, RequestKind::Signal | RequestKind::Delete) {
            return true;
        }
        let key = host.trim_end_matches('.').to_ascii_lowercase();
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        let n = sent.entry(key).or_default();
        *n = n.saturating_add(1);
        *n <= self.limit
    }
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
fn build_client(
    key: &ClientKey,
    creds: &Credentials,
    idle_timeout: Option<Duration>,
    budget: Arc<RequestBudget>,
    max_output: usize,
) -> anyhow::Result<WinrmClient> {
    let (domain, user) = creds.domain_and_user();
    let wc = WinrmCredentials::new(user, creds.password.expose_secret(), domain.unwrap_or(""));
    let mut config = client_config(key);
    // The server closes a shell we could not delete (crash, lost network) after this long.
    config.idle_timeout_secs = idle_timeout.map(|d| d.as_secs().max(60));
    // Retries are ours (session.rs): counted, backed off, never after a request went out.
    config.max_retries = 0;
    // Room for the stderr that comes with it.
    config.max_output_bytes = Some(max_output.saturating_add(1 << 20));
    let mut b = WinrmClient::builder(config).credentials(wc);
    if let Some(ca) = &key.tls.ca_file {
        b = b.add_root_certificates_pem(ca.clone());
    }
    if let Some(pin) = &key.tls.pin_sha256 {
        b = b.pin_server_certificate_sha256(pin);
    }
    b = b.before_send_with(move |req| budget.allow(req.host(), req.kind()));
    b.build().map_err(|e| {
        anyhow::anyhow!(
            "cannot set up the WinRM client ({} over {}): {e}",
            key.auth,
            key.scheme
        )
    })
}

/// Sweeps `targets`, sending every host's [`HostCollection`] to `done` — also for hosts never
/// started (interrupted, credential already rejected) and hosts whose task failed. Returns
/// `true` when interrupted.
pub async fn sweep(
    targets: Vec<Target>,
    credentials: &HashMap<CredentialRef, Credentials>,
    opts: &SweepOptions,
    done: mpsc::Sender<HostCollection>,
    mut stop: watch::Receiver<Stop>,
) -> anyhow::Result<bool> {
    let concurrency = opts.concurrency.max(1);
    let budget = Arc::new(RequestBudget {
        limit: session::request_budget(opts.script, opts.retries),
        sent: Mutex::new(HashMap::new()),
    });
    // Clients: per client key, enough for the hosts that can be in flight at once.
    let mut group_sizes: HashMap<ClientKey, usize> = HashMap::new();
    for t in &targets {
        *group_sizes.entry(t.client_key()).or_default() += 1;
    }
    let idle = opts.host_timeout.checked_add(Duration::from_secs(60));
    let mut pools: HashMap<ClientKey, (Vec<Arc<WinrmClient>>, usize)> = HashMap::new();
    for (key, size) in &group_sizes {
        let creds = credentials.get(&key.credential).ok_or_else(|| {
            anyhow::anyhow!("no credentials resolved for {:?}", key.credential.username)
        })?;
        let n = size.min(&concurrency).div_ceil(HOSTS_PER_CLIENT).max(1);
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(Arc::new(build_client(
                key,
                creds,
                idle,
                Arc::clone(&budget),
                opts.max_output,
            )?));
        }
        pools.insert(key.clone(), (v, 0));
    }

    let mut guard = CredentialGuard {
        max_failures: opts.max_auth_failures,
        states: HashMap::new(),
        trying: HashMap::new(),
        changed: Arc::new(Notify::new()),
    };
    let progress = progress_bar(targets.len() as u64, opts.progress);
    let mut failures = 0u64;
    let mut tasks: JoinSet<HostCollection> = JoinSet::new();
    let mut in_flight: HashMap<Id, Target> = HashMap::new();
    let mut pending: VecDeque<Target> = targets.into();
    let mut interrupted = false;
    // What hosts in flight see of a stop: any stop ends their work (and deletes their shell).
    let (cancel_tx, cancel) = watch::channel(false);
    let mut report = async |host: HostCollection| {
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
        let level = *stop.borrow();
        if level >= Stop::Gracefully {
            interrupted = true;
            cancel_tx.send_replace(true);
        }
        if level == Stop::Now {
            tasks.abort_all();
        }
        // Start what may start: first come, unless its credential is being tried elsewhere.
        let mut held = VecDeque::new();
        while !interrupted && tasks.len() < concurrency {
            let Some(target) = pending.pop_front() else {
                break;
            };
            match guard.admit(&target.credential) {
                Admit::Wait => held.push_back(target),
                Admit::Skip(reason) => {
                    report(HostCollection::failed(&target, HostStatus::Skipped, reason)).await
                }
                Admit::Go(state) => {
                    let key = target.client_key();
                    let (clients, next) =
                        pools.get_mut(&key).expect("a client exists for every key");
                    let client = Arc::clone(&clients[*next % clients.len()]);
                    *next += 1;
                    let opts = opts.clone();
                    let cancel = cancel.clone();
                    let t = target.clone();
                    let handle = tasks.spawn(async move {
                        one_host(client, t, &opts, state.as_ref(), cancel).await
                    });
                    in_flight.insert(handle.id(), target);
                }
            }
        }
        while let Some(t) = held.pop_back() {
            pending.push_front(t);
        }
        if tasks.is_empty() && (pending.is_empty() || interrupted) {
            break;
        }
        let changed = Arc::clone(&guard.changed);
        let finished = tokio::select! {
            r = tasks.join_next_with_id(), if !tasks.is_empty() => r,
            _ = changed.notified() => continue,
            r = stop.changed() => {
                if r.is_err() {
                    // Nobody can stop the sweep any more; keep going.
                    std::future::pending::<()>().await;
                }
                continue;
            }
        };
        let Some(result) = finished else { continue };
        let (id, host) = match result {
            Ok((id, host)) => (id, host),
            Err(e) => {
                // A host task that panicked or was aborted still ends in the report.
                let id = e.id();
                let Some(t) = in_flight.remove(&id) else {
                    continue;
                };
                guard.done(&t.credential, &t.name, None);
                let host = if e.is_cancelled() {
                    HostCollection::failed(
                        &t,
                        HostStatus::Interrupted,
                        "abandoned: the sweep was stopped a second time",
                    )
                } else {
                    HostCollection::failed(
                        &t,
                        HostStatus::Error,
                        format!("the collection of this host failed unexpectedly: {e}"),
                    )
                };
                report(host).await;
                continue;
            }
        };
        // (The session marked the credential accepted when the shell opened; the loop's next
        // turn starts the hosts that were held back for it.)
        if let Some(t) = in_flight.remove(&id) {
            let status = host.output.as_ref().err().map(|f| f.status);
            guard.done(&t.credential, &t.name, status);
        }
        report(host).await;
    }
    for t in pending {
        interrupted = true;
        report(HostCollection::failed(
            &t,
            HostStatus::Interrupted,
            "not started: the sweep was interrupted",
        ))
        .await;
    }
    progress.finish_and_clear();
    Ok(interrupted)
}

async fn one_host(
    client: Arc<WinrmClient>,
    target: Target,
    opts: &SweepOptions,
    logons: &dyn session::Logons,
    cancel: watch::Receiver<bool>,
) -> HostCollection {
    let started = Instant::now();
    let timeout = target
        .timeouts
        .host_timeout_secs
        .map(Duration::from_secs)
        .unwrap_or(opts.host_timeout);
    // An absurd timeout must not overflow the clock: a day is the most anyone means.
    let deadline = started
        .checked_add(timeout)
        .unwrap_or_else(|| started + Duration::from_secs(86_400));
    let url_host = target.url_host();
    let collected = session::collect(
        &client,
        &url_host,
        opts.script,
        target.delivery,
        deadline,
        opts.retries,
        opts.max_output,
        logons,
        cancel,
    )
    .await;
    // Kerberos asks the KDC for a ticket before connecting: a host that is simply down must
    // read "unreachable", not as a Kerberos problem.
    let collected = match collected {
        Err(f) if f.status == HostStatus::KerberosError => {
            match probe(&target.address, target.port).await {
                Err(e) => Err(CollectFailure::new(
                    HostStatus::Unreachable,
                    format!(
                        "no connection to {}:{}: {e} (and Kerberos: {})",
                        target.address, target.port, f.reason
                    ),
                )),
                Ok(()) => Err(f),
            }
        }
        other => other,
    };
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

/// Whether a TCP connection to the host can be made at all (3 s).
async fn probe(address: &str, port: u16) -> std::io::Result<()> {
    let addr = address.trim_start_matches('[').trim_end_matches(']');
    match tokio::time::timeout(
        Duration::from_secs(3),
        tokio::net::TcpStream::connect((addr, port)),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "connect timed out",
        )),
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
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} hosts · {rate} · ETA {eta} · {msg}",
        )
        .map(|style| {
            // indicatif's {per_sec} prints four decimals; a sweep rate needs one.
            style.with_key(
                "rate",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.1} hosts/s", state.per_sec());
                },
            )
        })
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    pb.enable_steady_tick(Duration::from_millis(200));
    pb
}
