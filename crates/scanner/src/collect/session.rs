//! One host over WinRM: open a shell, deliver and run the collector, read its output, and
//! always delete the shell — also on timeout and cancellation.

use std::time::{Duration, Instant};

use tokio::sync::watch;
use winrm_rs::{Shell, WinrmClient, WinrmError};

use super::delivery::{self, CommandLine};
use crate::finding::HostStatus;
use crate::target::Delivery;

/// Largest collector output accepted (a big host's snapshot is a few MiB).
pub const MAX_STDOUT_BYTES: usize = 64 << 20;
/// Stderr kept for the report.
const MAX_STDERR_CHARS: usize = 2000;
/// Time allowed to delete the shell after the work is over.
const CLEANUP: Duration = Duration::from_secs(10);

/// Why a host could not be collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectFailure {
    pub status: HostStatus,
    pub reason: String,
    /// The client lost its NTLM session to a connection race (see [`is_ntlm_race`]): worth
    /// another try with a new shell.
    pub race: bool,
}

impl CollectFailure {
    pub fn new(status: HostStatus, reason: impl Into<String>) -> Self {
        CollectFailure {
            status,
            reason: reason.into(),
            race: false,
        }
    }
}

/// winrm-rs 2.0.1 can lose its own NTLM handshake under load: hyper opens a spare connection
/// while the authenticate leg waits, and the next sealed request leaves on a connection that
/// has no NTLM session. The host refuses it (HTTP 400, as Windows does), or — on the
/// negotiate → authenticate leg — answers 401. Both are retried with a fresh shell; the second
/// at most once, since a wrong password looks the same and retries count towards lockout.
pub fn is_ntlm_race(e: &WinrmError) -> Option<bool> {
    let text = e.to_string();
    if matches!(e, WinrmError::Ntlm(_)) && text.contains("without sealing: HTTP 400") {
        Some(true)
    } else if matches!(e, WinrmError::AuthFailed(_))
        && text.contains("NTLM authentication rejected")
    {
        Some(false)
    } else {
        None
    }
}

/// What the collector printed.
#[derive(Debug)]
pub struct Collected {
    pub stdout: Vec<u8>,
    /// Number of connection attempts it took.
    pub attempts: u32,
}

/// Maps a winrm-rs error to a host status with a plain reason.
pub fn classify(e: &WinrmError) -> CollectFailure {
    let mut f = classify_status(e);
    f.race = is_ntlm_race(e).is_some();
    f
}

fn classify_status(e: &WinrmError) -> CollectFailure {
    use std::error::Error as _;
    match e {
        WinrmError::AuthFailed(m) => CollectFailure::new(
            HostStatus::AuthFailed,
            format!("the host rejected the credentials: {m}"),
        ),
        WinrmError::Ntlm(m) => {
            CollectFailure::new(HostStatus::AuthFailed, format!("NTLM failed: {m}"))
        }
        WinrmError::Timeout(s) => {
            CollectFailure::new(HostStatus::Timeout, format!("no answer within {s} s"))
        }
        WinrmError::Soap(winrm_rs::SoapError::Fault { code, reason }) => {
            let lc = format!("{code} {reason}").to_lowercase();
            if lc.contains("quota") || lc.contains("maxshells") {
                CollectFailure::new(
                    HostStatus::Quota,
                    format!("WinRM quota reached ({code}): {}", reason.trim()),
                )
            } else {
                CollectFailure::new(
                    HostStatus::CollectorError,
                    format!("WinRM fault {code}: {}", reason.trim()),
                )
            }
        }
        WinrmError::Http(h) => {
            let mut chain = h.to_string();
            let mut src = h.source();
            while let Some(s) = src {
                chain.push_str(": ");
                chain.push_str(&s.to_string());
                src = s.source();
            }
            let lc = chain.to_lowercase();
            if lc.contains("certificate") || lc.contains("tls") || lc.contains("handshake") {
                CollectFailure::new(HostStatus::TlsError, chain)
            } else if h.is_timeout() {
                CollectFailure::new(HostStatus::Timeout, chain)
            } else {
                CollectFailure::new(HostStatus::Unreachable, chain)
            }
        }
        other => {
            let text = other.to_string();
            let lc = text.to_lowercase();
            if lc.contains("certificate") || lc.contains("pin") && lc.contains("sha") {
                CollectFailure::new(HostStatus::TlsError, text)
            } else {
                CollectFailure::new(HostStatus::CollectorError, text)
            }
        }
    }
}

/// Runs the collector on `host` within `deadline`. Connection failures are retried with backoff
/// (`retries` times) while the deadline allows. `cancel` turning `true` stops the work; the
/// shell is deleted in every case.
pub async fn collect(
    client: &WinrmClient,
    host: &str,
    script: &str,
    how: Delivery,
    deadline: Instant,
    retries: u32,
    mut cancel: watch::Receiver<bool>,
) -> Result<Collected, CollectFailure> {
    let mut attempt = 0u32;
    let mut auth_races = 0u32;
    loop {
        attempt += 1;
        let failure = match once(client, host, script, how, deadline, &mut cancel).await {
            Ok(stdout) => {
                return Ok(Collected {
                    stdout,
                    attempts: attempt,
                })
            }
            Err(f) => f,
        };
        let backoff = Duration::from_millis(250 * u64::from(attempt));
        let retryable = if failure.race {
            if failure.status == HostStatus::AuthFailed {
                auth_races += 1;
                auth_races <= 1
            } else {
                true
            }
        } else {
            failure.status == HostStatus::Unreachable
        };
        if !retryable || attempt > retries.max(1) || Instant::now() + backoff >= deadline {
            return Err(failure);
        }
        tracing::debug!(
            "{host}: attempt {attempt} failed ({}), retrying",
            failure.reason
        );
        tokio::time::sleep(backoff).await;
    }
}

/// One attempt: open a shell, run the collector, delete the shell.
async fn once(
    client: &WinrmClient,
    host: &str,
    script: &str,
    how: Delivery,
    deadline: Instant,
    cancel: &mut watch::Receiver<bool>,
) -> Result<Vec<u8>, CollectFailure> {
    let remaining = deadline.saturating_duration_since(Instant::now());
    let shell = tokio::select! {
        r = tokio::time::timeout(remaining, client.open_shell(host)) => match r {
            Err(_) => return Err(timed_out()),
            Ok(Err(e)) => return Err(classify(&e)),
            Ok(Ok(shell)) => shell,
        },
        _ = wait_cancel(cancel) => return Err(interrupted()),
    };
    let remaining = deadline.saturating_duration_since(Instant::now());
    let result = tokio::select! {
        r = tokio::time::timeout(remaining, run_collector(&shell, script, how)) => {
            r.unwrap_or_else(|_| Err(timed_out()))
        }
        _ = wait_cancel(cancel) => Err(interrupted()),
    };
    if tokio::time::timeout(CLEANUP, shell.close()).await.is_err() {
        tracing::warn!("{host}: the shell could not be deleted within {CLEANUP:?}");
    }
    result
}

async fn wait_cancel(cancel: &mut watch::Receiver<bool>) {
    while !*cancel.borrow() {
        if cancel.changed().await.is_err() {
            // Sender gone: never cancelled.
            std::future::pending::<()>().await;
        }
    }
}

fn interrupted() -> CollectFailure {
    CollectFailure::new(HostStatus::Interrupted, "the sweep was interrupted")
}

fn timed_out() -> CollectFailure {
    CollectFailure::new(
        HostStatus::Timeout,
        "the host did not finish within --host-timeout",
    )
}

async fn run_collector(
    shell: &Shell<'_>,
    script: &str,
    how: Delivery,
) -> Result<Vec<u8>, CollectFailure> {
    match how {
        Delivery::Stdin => {
            let cmd = delivery::stdin_bootstrap_command();
            let id = start(shell, &cmd).await?;
            shell
                .send_input(&id, script.as_bytes(), true)
                .await
                .map_err(|e| classify(&e))?;
            finish(shell, &id).await
        }
        Delivery::Staged => {
            let token = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
            for chunk in delivery::stage_payload(script) {
                let cmd = delivery::stage_append_command(&token, &chunk);
                let id = start(shell, &cmd).await?;
                finish(shell, &id).await?;
            }
            let id = start(shell, &delivery::stage_run_command(&token)).await?;
            finish(shell, &id).await
        }
    }
}

async fn start(shell: &Shell<'_>, cmd: &CommandLine) -> Result<String, CollectFailure> {
    let joined = cmd.joined();
    if joined.len() >= delivery::CMD_LINE_LIMIT {
        return Err(CollectFailure::new(
            HostStatus::CollectorError,
            format!(
                "command line of {} characters exceeds cmd.exe's limit of {}",
                joined.len(),
                delivery::CMD_LINE_LIMIT
            ),
        ));
    }
    let args: Vec<&str> = cmd.args.iter().map(String::as_str).collect();
    shell
        .start_command(&cmd.program, &args)
        .await
        .map_err(|e| classify(&e))
}

/// Polls until the command is done; stdout bounded by [`MAX_STDOUT_BYTES`].
async fn finish(shell: &Shell<'_>, id: &str) -> Result<Vec<u8>, CollectFailure> {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    loop {
        let out = shell.receive_next(id).await.map_err(|e| classify(&e))?;
        if stdout.len() + out.stdout.len() > MAX_STDOUT_BYTES {
            let _ = shell.signal_ctrl_c(id).await;
            return Err(CollectFailure::new(
                HostStatus::CollectorError,
                format!("the collector printed more than {MAX_STDOUT_BYTES} bytes; stopped"),
            ));
        }
        stdout.extend_from_slice(&out.stdout);
        if stderr.len() < MAX_STDERR_CHARS * 4 {
            stderr.extend_from_slice(&out.stderr);
        }
        if out.done {
            let code = out.exit_code.unwrap_or(0);
            if code != 0 {
                let text = String::from_utf8_lossy(&stderr);
                let text: String = text.trim().chars().take(MAX_STDERR_CHARS).collect();
                return Err(CollectFailure::new(
                    HostStatus::CollectorError,
                    format!(
                        "the collector exited with code {code}{}",
                        if text.is_empty() {
                            String::new()
                        } else {
                            format!(": {text}")
                        }
                    ),
                ));
            }
            return Ok(stdout);
        }
    }
}
