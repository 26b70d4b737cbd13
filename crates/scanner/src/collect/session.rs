//! One host over WinRM: open a shell, deliver and run the collector, read its output, and
//! always delete the shell — also on timeout and cancellation.

use std::time::{Duration, Instant};

use tokio::sync::watch;
use winrm_rs::{Shell, WinrmClient, WinrmError};

use super::delivery::{self, CommandLine};
use crate::finding::HostStatus;
use crate::target::Delivery;

/// Largest collector output accepted by default, MiB (a big host's snapshot is a few MiB);
/// `scan --max-output-mib` changes it.
pub const DEFAULT_MAX_OUTPUT_MIB: u32 = 64;
/// Stderr kept for the report.
const MAX_STDERR_CHARS: usize = 2000;
/// Time kept back from the script's own deadline to carry its output home.
const SCRIPT_MARGIN: Duration = Duration::from_secs(15);
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
    /// The exit code of the command that failed, when it ran to its end.
    pub exit_code: Option<i32>,
}

impl CollectFailure {
    pub fn new(status: HostStatus, reason: impl Into<String>) -> Self {
        CollectFailure {
            status,
            reason: reason.into(),
            race: false,
            exit_code: None,
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

/// The error and every error it wraps, joined with ": ".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut chain = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !chain.contains(&t) {
            chain.push_str(": ");
            chain.push_str(&t);
        }
        src = s.source();
    }
    chain
}

fn classify_status(e: &WinrmError) -> CollectFailure {
    // winrm-rs does not chain its HTTP variant to the transport error: walk that one.
    let chain = match e {
        WinrmError::Http(h) => format!("WinRM HTTP error: {}", error_chain(h)),
        other => error_chain(other),
    };
    let lc = chain.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lc.contains(w));
    // Whatever the variant: a certificate or pin problem is a TLS error, a broken connection
    // is connection-lost, an HTTP status that is not WS-Management is a protocol error.
    if has(&[
        "certificate",
        "pin mismatch",
        "pinned",
        "handshake",
        "unknownissuer",
    ]) {
        return CollectFailure::new(HostStatus::TlsError, chain);
    }
    if let Some(status) = http_status(&lc) {
        if (300..400).contains(&status) {
            return CollectFailure::new(
                HostStatus::ProtocolError,
                format!("the host answered HTTP {status} (a redirect, not followed): {chain}"),
            );
        }
        if status == 500 && has(&["empty", "no body", "body: \"\""]) {
            return CollectFailure::new(HostStatus::ProtocolError, empty_500_reason(&chain));
        }
    }
    if let Some(f) = kerberos_failure(&lc, &chain) {
        return f;
    }
    match e {
        WinrmError::AuthFailed(m) if is_feature_missing(m) => CollectFailure::new(
            HostStatus::CollectorError,
            format!("this build cannot use that authentication scheme: {m}"),
        ),
        WinrmError::AuthFailed(m) if has(&["http 500"]) => {
            CollectFailure::new(HostStatus::ProtocolError, empty_500_reason(m))
        }
        WinrmError::AuthFailed(m) => CollectFailure::new(
            HostStatus::AuthFailed,
            format!("the host rejected the credentials: {m}"),
        ),
        WinrmError::Ntlm(m) => CollectFailure::new(
            HostStatus::ProtocolError,
            format!("the NTLM exchange broke down (not a credential rejection): {m}"),
        ),
        WinrmError::Timeout(s) => {
            CollectFailure::new(HostStatus::Timeout, format!("no answer within {s} s"))
        }
        WinrmError::Cancelled => CollectFailure::new(
            HostStatus::ProtocolError,
            "stopped: this host used up its request budget for the sweep without finishing \
             (it keeps answering without making progress)",
        ),
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
        WinrmError::Soap(other) => CollectFailure::new(
            HostStatus::ProtocolError,
            format!("the answer is not WS-Management: {other}"),
        ),
        WinrmError::Http(h) => {
            if h.is_timeout() {
                CollectFailure::new(HostStatus::Timeout, chain)
            } else if h.is_connect() {
                CollectFailure::new(HostStatus::Unreachable, chain)
            } else if has(&[
                "reset",
                "broken pipe",
                "connection closed",
                "incomplete",
                "eof",
                "decoding response body",
            ]) {
                CollectFailure::new(
                    HostStatus::ConnectionLost,
                    format!("the connection broke during the exchange: {chain}"),
                )
            } else {
                CollectFailure::new(HostStatus::ProtocolError, chain)
            }
        }
        _ => CollectFailure::new(HostStatus::CollectorError, chain),
    }
}

/// What went wrong before a Kerberos logon could even be tried, from GSSAPI's words. `None`
/// when the text is not about Kerberos or is the host rejecting the ticket.
fn kerberos_failure(lc: &str, chain: &str) -> Option<CollectFailure> {
    if !lc.contains("kerberos") && !lc.contains("gss") && !lc.contains("krb5") {
        return None;
    }
    let unknown = lc.contains("not found in kerberos database");
    let reason = if unknown && lc.contains("server ") {
        format!(
            "no service principal HTTP/<host> in the realm: check `setspn -Q HTTP/<host>`; a \
             pool account holding that SPN breaks WinRM's Kerberos — use the name the SPN is \
             registered for, or NTLM over HTTPS ({chain})"
        )
    } else if lc.contains("cannot contact any kdc")
        || lc.contains("cannot find kdc")
        || lc.contains("unable to reach any kdc")
    {
        format!(
            "cannot reach the KDC for the realm: check `kdc` in /etc/krb5.conf (or $KRB5_CONFIG) \
             and that port 88 is open from here ({chain})"
        )
    } else if lc.contains("no kerberos credentials")
        || lc.contains("no credentials cache")
        || lc.contains("credentials cache file")
        || lc.contains("no credentials were supplied")
        || lc.contains("ticket expired")
        || lc.contains("ccache")
    {
        format!(
            "no valid Kerberos ticket: run `kinit user@REALM` first (the cache is $KRB5CCNAME) \
             ({chain})"
        )
    } else if lc.contains("clock skew") {
        format!(
            "the clocks of this machine, the KDC or the host differ by more than 5 minutes: fix \
             time synchronisation ({chain})"
        )
    } else if unknown || lc.contains("client not found") {
        format!("the KDC does not know the user principal: check the user name and realm ({chain})")
    } else if lc.contains("kerberos init") {
        format!("Kerberos could not start: {chain}")
    } else {
        return None;
    };
    Some(CollectFailure::new(HostStatus::KerberosError, reason))
}

/// The first three-digit HTTP status named in an error text ("HTTP 500", "status 302").
fn http_status(lc: &str) -> Option<u16> {
    for marker in ["http ", "status ", "status code ", "got "] {
        let mut rest = lc;
        while let Some(at) = rest.find(marker) {
            let digits: String = rest[at + marker.len()..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if digits.len() == 3 {
                return digits.parse().ok();
            }
            rest = &rest[at + marker.len()..];
        }
    }
    None
}

fn empty_500_reason(detail: &str) -> String {
    format!(
        "the host answered an empty HTTP 500, which is how Windows refuses unencrypted WinRM \
         traffic (AllowUnencrypted=false): use HTTPS, or NTLM/Kerberos with message encryption \
         over HTTP ({detail})"
    )
}

/// winrm-rs built without an authentication scheme says so in an `AuthFailed`.
fn is_feature_missing(m: &str) -> bool {
    let lc = m.to_lowercase();
    lc.contains("feature") && (lc.contains("kerberos") || lc.contains("credssp"))
}

/// Requests one host may receive in one sweep (Signal and Delete, which stop work, are never
/// refused): a collection over stdin takes about a dozen, staged delivery two or three per
/// chunk, and retries repeat the lot; anything far beyond is a loop against a host that answers
/// without making progress.
pub fn request_budget(script: &str, retries: u32) -> u32 {
    let chunks = delivery::stage_payload(script).len() as u32;
    (16 + 3 * chunks).saturating_mul(retries.saturating_add(1))
}
/// An empty, unfinished Receive answer that comes back faster than this is not Windows' long
/// poll (which holds the request for the operation timeout): something else answered.
const QUICK_EMPTY_POLL: Duration = Duration::from_millis(500);
/// Quick empty polls in a row tolerated before the host is given up as a protocol error.
const QUICK_EMPTY_POLLS: u32 = 5;

/// What one host's collection may share with the rest of the sweep.
pub trait Logons: Send + Sync {
    /// The credential was accepted by some host (a shell was created).
    fn accepted(&self);
    /// Whether the credential is known to be right: then a rejection that looks like the
    /// client's NTLM connection race may be retried once without risking the account.
    fn proven(&self) -> bool;
}

/// Runs the collector on `host` within `deadline` (shell clean-up included). Failures to
/// connect — nothing was sent — are retried with exponential backoff and jitter (`retries`
/// times) while the deadline allows; nothing that may have reached the host is repeated.
/// `cancel` turning `true` stops the work; every shell whose id was learned is deleted.
#[allow(clippy::too_many_arguments)]
pub async fn collect(
    client: &WinrmClient,
    host: &str,
    script: &str,
    how: Delivery,
    deadline: Instant,
    retries: u32,
    max_output: usize,
    logons: &dyn Logons,
    mut cancel: watch::Receiver<bool>,
) -> Result<Collected, CollectFailure> {
    let mut attempt = 0u32;
    let mut auth_races = 0u32;
    loop {
        attempt += 1;
        let failure = match once(
            client,
            host,
            script,
            how,
            deadline,
            max_output,
            logons,
            &mut cancel,
        )
        .await
        {
            Ok(stdout) => {
                return Ok(Collected {
                    stdout,
                    attempts: attempt,
                })
            }
            Err(f) => f,
        };
        let backoff = backoff(attempt);
        let retryable = match failure.status {
            // A rejection is retried only when the credential is proven right elsewhere
            // (the client's connection race), once.
            HostStatus::AuthFailed if failure.race && logons.proven() => {
                auth_races += 1;
                auth_races <= 1
            }
            // Sealed request on a connection without a session: nothing ran.
            HostStatus::ProtocolError if failure.race => true,
            HostStatus::Unreachable => !failure.reason.to_lowercase().contains("dns"),
            _ => false,
        };
        if !retryable
            || attempt > retries
            || Instant::now()
                .checked_add(backoff)
                .is_none_or(|t| t >= deadline)
        {
            return Err(failure);
        }
        tracing::debug!(
            "{host}: attempt {attempt} failed ({}), retrying in {backoff:?}",
            failure.reason
        );
        tokio::time::sleep(backoff).await;
    }
}

/// 0.5 s, 1 s, 2 s, … (capped at 30 s), each with up to 50 % random jitter so that hosts
/// behind one failing network element do not retry in lockstep.
fn backoff(attempt: u32) -> Duration {
    let base_ms = 500u64
        .saturating_mul(1u64 << attempt.saturating_sub(1).min(6))
        .min(30_000);
    let jitter = u64::from(uuid::Uuid::new_v4().as_u128() as u16) % (base_ms / 2 + 1);
    Duration::from_millis(base_ms + jitter)
}

/// One attempt: open a shell, run the collector, delete the shell — the deletion within the
/// same deadline.
#[allow(clippy::too_many_arguments)]
async fn once(
    client: &WinrmClient,
    host: &str,
    script: &str,
    how: Delivery,
    deadline: Instant,
    max_output: usize,
    logons: &dyn Logons,
    cancel: &mut watch::Receiver<bool>,
) -> Result<Vec<u8>, CollectFailure> {
    let now = Instant::now();
    let remaining = deadline.saturating_duration_since(now);
    // Keep part of the deadline for deleting the shell: `--host-timeout` is a promise.
    let reserve = CLEANUP.min(remaining / 4);
    let work_deadline = deadline.checked_sub(reserve).unwrap_or(now);
    if *cancel.borrow() {
        return Err(interrupted());
    }
    // A Create is not abandoned half-way on a stop: once it went out, the host may have made
    // the shell, and only its answer tells which shell to delete.
    let opened = tokio::time::timeout(
        work_deadline.saturating_duration_since(now),
        client.open_shell(host),
    )
    .await;
    let shell = match opened {
        Err(_) => return Err(timed_out()),
        Ok(Err(e)) => {
            let mut f = classify(&e);
            f.reason = f.reason.replace("<host>", host);
            return Err(f);
        }
        Ok(Ok(shell)) => shell,
    };
    logons.accepted();
    if *cancel.borrow() {
        let _ = tokio::time::timeout(CLEANUP, shell.close()).await;
        return Err(interrupted());
    }
    let remaining = work_deadline.saturating_duration_since(Instant::now());
    // The script gets the time that is left, less a margin to send its output back.
    let script_secs = remaining.saturating_sub(SCRIPT_MARGIN).as_secs().max(5);
    let script = delivery::with_deadline(script, script_secs);
    let result = tokio::select! {
        r = tokio::time::timeout(remaining, run_collector(&shell, &script, how, max_output)) => {
            r.unwrap_or_else(|_| Err(timed_out()))
        }
        _ = wait_cancel(cancel) => Err(interrupted()),
    };
    let cleanup = deadline
        .saturating_duration_since(Instant::now())
        .clamp(Duration::from_secs(1), CLEANUP);
    if tokio::time::timeout(cleanup, shell.close()).await.is_err() {
        tracing::warn!("{host}: the shell could not be deleted within {cleanup:?}");
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
    max_output: usize,
) -> Result<Vec<u8>, CollectFailure> {
    match how {
        Delivery::Stdin => {
            let cmd = delivery::stdin_bootstrap_command();
            let id = start(shell, &cmd).await?;
            let sent = send_all(shell, &id, script.as_bytes()).await;
            let done = match sent {
                Ok(()) => finish(shell, &id, max_output).await,
                // The bootstrap may already have exited (stdin not redirected).
                Err(e) => finish(shell, &id, max_output).await.and(Err(e)),
            };
            match done {
                Err(f) if f.exit_code == Some(delivery::STDIN_UNAVAILABLE_EXIT) => {
                    tracing::info!("stdin is not redirected on this host: delivering staged");
                    Box::pin(run_collector(shell, script, Delivery::Staged, max_output)).await
                }
                other => other,
            }
        }
        Delivery::Staged => {
            let token = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
            for chunk in delivery::stage_payload(script) {
                let cmd = delivery::stage_append_command(&token, &chunk);
                let id = start(shell, &cmd).await?;
                finish(shell, &id, max_output).await?;
            }
            let id = start(shell, &delivery::stage_run_command(&token)).await?;
            finish(shell, &id, max_output).await
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

/// Sends the script on stdin. A `w:TimedOut` fault means the host did not take the input
/// within the operation timeout — nothing was consumed — so it is sent again, like a Receive.
async fn send_all(shell: &Shell<'_>, id: &str, input: &[u8]) -> Result<(), CollectFailure> {
    for attempt in 0..3 {
        match shell.send_input(id, input, true).await {
            Ok(()) => return Ok(()),
            Err(WinrmError::Soap(f)) if attempt < 2 && is_timed_out(&f) => {
                tracing::debug!("Send timed out (w:TimedOut); sending again");
            }
            Err(e) => return Err(classify(&e)),
        }
    }
    Err(timed_out())
}

fn is_timed_out(f: &winrm_rs::SoapError) -> bool {
    let text = f.to_string();
    text.contains("TimedOut") || text.contains("2150858793")
}

/// Polls until the command is done; stdout bounded by `max_output` bytes. An unfinished,
/// empty answer that comes back at once (again and again) is not a WS-Management Receive
/// response: the host is given up instead of being polled in a tight loop.
async fn finish(shell: &Shell<'_>, id: &str, max_output: usize) -> Result<Vec<u8>, CollectFailure> {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut quick_empty = 0u32;
    loop {
        let asked = Instant::now();
        let out = shell.receive_next(id).await.map_err(|e| classify(&e))?;
        if !out.done && out.stdout.is_empty() && out.stderr.is_empty() {
            if asked.elapsed() < QUICK_EMPTY_POLL {
                quick_empty += 1;
                if quick_empty >= QUICK_EMPTY_POLLS {
                    let _ = shell.signal_ctrl_c(id).await;
                    return Err(CollectFailure::new(
                        HostStatus::ProtocolError,
                        "the host answers Receive at once with nothing in it — not a \
                         WS-Management ReceiveResponse (an HTML page from a proxy or WAF?); \
                         stopped polling",
                    ));
                }
            }
        } else {
            quick_empty = 0;
        }
        if stdout.len() + out.stdout.len() > max_output {
            let _ = shell.signal_ctrl_c(id).await;
            return Err(CollectFailure::new(
                HostStatus::CollectorError,
                format!(
                    "the collector printed more than {max_output} bytes; stopped (raise \
                     --max-output-mib for a host this large)"
                ),
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
                let mut f =
                    if text.contains("language mode") || text.contains("ConstrainedLanguage") {
                        CollectFailure::new(
                            HostStatus::CollectorError,
                            "PowerShell runs in Constrained Language Mode on this host (an \
                         AppLocker or WDAC policy): the collector needs FullLanguage for the \
                         account that sweeps; collect offline (`iis-sweep collector`) or \
                         exempt the account",
                        )
                    } else if code == delivery::STAGED_DELIVERY_EXIT {
                        CollectFailure::new(
                            HostStatus::CollectorError,
                            format!("the staged delivery itself failed (exit {code}): {text}"),
                        )
                    } else {
                        CollectFailure::new(
                            HostStatus::CollectorError,
                            format!(
                                "the collector exited with code {code}{}",
                                if text.is_empty() {
                                    String::new()
                                } else {
                                    format!(": {text}")
                                }
                            ),
                        )
                    };
                f.exit_code = Some(code);
                return Err(f);
            }
            return Ok(stdout);
        }
    }
}
