//! One virtual host: its shells and commands (WinRS Create, Command, Send, Receive, Signal,
//! Delete), quotas, staging files and counters.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::commands::{self, HostContext, Outcome, Plan};
use super::faults::HostFaults;
use super::ntlm::ServerNames;
use super::soap::{self, Body, Fault, Request};
use super::Limits;

/// STATUS_CONTROL_C_EXIT, the exit code of a command stopped by Ctrl+C.
pub const CTRL_C_EXIT: i32 = 0xC000_013Au32 as i32;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Per-host counters (monotonic since start).
#[derive(Debug, Default)]
pub struct HostCounters {
    /// HTTP requests received (all of them: 401 challenges, faults, 405s included).
    pub requests: AtomicU64,
    /// Request body bytes.
    pub bytes_in: AtomicU64,
    /// Response body bytes.
    pub bytes_out: AtomicU64,
    /// TCP connections accepted.
    pub connections: AtomicU64,
    /// Completed NTLM handshakes.
    pub ntlm_handshakes: AtomicU64,
    /// Kerberos logons accepted (AP-REQs).
    pub kerberos_logons: AtomicU64,
    /// Rejected credentials (HTTP 401 after credentials were presented).
    pub auth_failures: AtomicU64,
    /// Shells created.
    pub shells_created: AtomicU64,
    /// Shells deleted by a client.
    pub shells_deleted: AtomicU64,
    /// Shells removed after their idle timeout.
    pub shells_expired: AtomicU64,
    /// Commands started.
    pub commands: AtomicU64,
    /// Runs of the real collector.
    pub collector_runs: AtomicU64,
    /// SOAP faults answered (TimedOut included).
    pub faults: AtomicU64,
    /// `w:TimedOut` faults answered.
    pub timeouts: AtomicU64,
    /// The `rsp:IdleTimeOut` of the last Create that carried one, seconds (0: none yet).
    pub idle_timeout_asked_secs: AtomicU64,
}

impl HostCounters {
    pub(crate) fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }
}

/// A snapshot of one host's counters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HostStats {
    /// Host name.
    pub name: String,
    /// Address it listens on.
    pub address: Ipv4Addr,
    /// HTTP requests.
    pub requests: u64,
    /// Request body bytes.
    pub bytes_in: u64,
    /// Response body bytes.
    pub bytes_out: u64,
    /// TCP connections.
    pub connections: u64,
    /// NTLM handshakes completed.
    pub ntlm_handshakes: u64,
    /// Kerberos logons accepted.
    pub kerberos_logons: u64,
    /// Credentials rejected.
    pub auth_failures: u64,
    /// Shells created.
    pub shells_created: u64,
    /// Shells deleted.
    pub shells_deleted: u64,
    /// Shells expired (idle).
    pub shells_expired: u64,
    /// Shells open now.
    pub shells_open: u64,
    /// Commands started.
    pub commands: u64,
    /// Collector runs.
    pub collector_runs: u64,
    /// SOAP faults sent.
    pub faults: u64,
    /// TimedOut faults sent.
    pub timeouts: u64,
    /// The idle timeout the client asked for on its last Create, seconds.
    pub idle_timeout_asked_secs: Option<u64>,
}

#[derive(Debug)]
enum Phase {
    AwaitStdin { bootstrap: bool },
    Hang,
    Finished,
}

#[derive(Debug)]
struct CommandInner {
    phase: Phase,
    stdin: Vec<u8>,
    stdout: Vec<u8>,
    stdout_pos: usize,
    stderr: Vec<u8>,
    stderr_pos: usize,
    ready_at: Instant,
    exit_code: i32,
}

impl CommandInner {
    fn finish(&mut self, o: Outcome) {
        self.phase = Phase::Finished;
        self.stdout = o.stdout;
        self.stderr = o.stderr;
        self.exit_code = o.exit_code;
        self.ready_at = Instant::now() + o.delay;
    }
}

#[derive(Debug)]
struct Command {
    inner: Mutex<CommandInner>,
    notify: Notify,
}

impl Command {
    /// Stops the command if it still runs (as Ctrl+C or terminate would) and wakes a waiting
    /// Receive.
    fn stop(&self) {
        let mut inner = lock(&self.inner);
        if !matches!(inner.phase, Phase::Finished) {
            inner.finish(Outcome {
                exit_code: CTRL_C_EXIT,
                ..Outcome::default()
            });
        }
        drop(inner);
        self.notify.notify_waiters();
    }
}

#[derive(Debug)]
struct Shell {
    owner: String,
    idle_timeout: Duration,
    last_used: Mutex<Instant>,
    operations: AtomicUsize,
    commands: Mutex<HashMap<String, Arc<Command>>>,
}

impl Shell {
    fn touch(&self) {
        *lock(&self.last_used) = Instant::now();
    }
    fn expired(&self, now: Instant) -> bool {
        now.duration_since(*lock(&self.last_used)) > self.idle_timeout
    }
}

/// Who sent a request, and from where.
#[derive(Debug, Clone)]
pub struct Caller<'a> {
    /// Authenticated user name.
    pub user: &'a str,
    /// The client's IP address.
    pub client_ip: String,
    /// The endpoint URL the client used.
    pub endpoint: String,
}

/// One virtual host.
#[derive(Debug)]
pub struct Host {
    /// Host name.
    pub name: String,
    /// Listening address.
    pub address: Ipv4Addr,
    /// Snapshot file.
    pub snapshot_path: PathBuf,
    /// Injected faults.
    pub faults: HostFaults,
    /// Counters.
    pub counters: HostCounters,
    /// NTLM names.
    pub names: ServerNames,
    shells: Mutex<HashMap<String, Arc<Shell>>>,
    staged: Mutex<HashMap<String, String>>,
}

impl Host {
    /// A host with no shells.
    pub fn new(
        name: String,
        address: Ipv4Addr,
        snapshot_path: PathBuf,
        faults: HostFaults,
    ) -> Self {
        Host {
            names: ServerNames::for_host(&name),
            name,
            address,
            snapshot_path,
            faults,
            counters: HostCounters::default(),
            shells: Mutex::new(HashMap::new()),
            staged: Mutex::new(HashMap::new()),
        }
    }

    /// The counters now.
    pub fn stats(&self) -> HostStats {
        let c = &self.counters;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        HostStats {
            name: self.name.clone(),
            address: self.address,
            requests: g(&c.requests),
            bytes_in: g(&c.bytes_in),
            bytes_out: g(&c.bytes_out),
            connections: g(&c.connections),
            ntlm_handshakes: g(&c.ntlm_handshakes),
            kerberos_logons: g(&c.kerberos_logons),
            auth_failures: g(&c.auth_failures),
            shells_created: g(&c.shells_created),
            shells_deleted: g(&c.shells_deleted),
            shells_expired: g(&c.shells_expired),
            shells_open: lock(&self.shells).len() as u64,
            commands: g(&c.commands),
            collector_runs: g(&c.collector_runs),
            faults: g(&c.faults),
            timeouts: g(&c.timeouts),
            idle_timeout_asked_secs: match g(&c.idle_timeout_asked_secs) {
                0 => None,
                n => Some(n),
            },
        }
    }

    /// Removes shells idle for longer than their idle timeout.
    pub fn purge_idle(&self) {
        let now = Instant::now();
        let mut shells = lock(&self.shells);
        let before = shells.len();
        shells.retain(|_, s| !s.expired(now));
        let gone = (before - shells.len()) as u64;
        if gone > 0 {
            HostCounters::add(&self.counters.shells_expired, gone);
        }
    }

    fn context<'a>(&'a self, user: &'a str) -> HostContext<'a> {
        HostContext {
            name: &self.name,
            user,
            snapshot_path: self.snapshot_path.clone(),
            faults: &self.faults,
            staged: &self.staged,
        }
    }

    fn shell(&self, req: &Request, user: &str) -> Result<Arc<Shell>, Fault> {
        let id = req.shell_id.as_deref().unwrap_or_default();
        let shell = lock(&self.shells)
            .get(&id.to_uppercase())
            .cloned()
            .filter(|s| s.owner == user.to_lowercase())
            .ok_or_else(|| Fault::shell_not_found(id))?;
        shell.touch();
        Ok(shell)
    }

    /// Handles one WS-Management request for `caller`; the response envelope, or a fault.
    pub async fn handle(
        &self,
        req: &Request,
        caller: &Caller<'_>,
        limits: &Limits,
    ) -> Result<String, Fault> {
        let relates = req.message_id.as_deref();
        let uri = req.resource_uri.as_deref().unwrap_or_default();
        if !matches!(req.body, Body::Other) && !uri.eq_ignore_ascii_case(soap::RESOURCE_CMD) {
            return Err(Fault::resource_not_found(uri));
        }
        match &req.body {
            Body::Create { idle_timeout } => {
                if let Some(asked) = idle_timeout {
                    self.counters
                        .idle_timeout_asked_secs
                        .store(asked.as_secs().max(1), Ordering::Relaxed);
                }
                self.purge_idle();
                let owner = caller.user.to_lowercase();
                let mut shells = lock(&self.shells);
                let mine = shells.values().filter(|s| s.owner == owner).count();
                if self.faults.quota() || mine >= limits.max_shells_per_user {
                    return Err(Fault::max_shells(limits.max_shells_per_user));
                }
                let id = soap::new_guid();
                let idle = idle_timeout
                    .unwrap_or(limits.idle_timeout)
                    .min(limits.idle_timeout);
                shells.insert(
                    id.clone(),
                    Arc::new(Shell {
                        owner,
                        idle_timeout: idle,
                        last_used: Mutex::new(Instant::now()),
                        operations: AtomicUsize::new(0),
                        commands: Mutex::new(HashMap::new()),
                    }),
                );
                drop(shells);
                HostCounters::add(&self.counters.shells_created, 1);
                Ok(soap::create_response(
                    relates,
                    &soap::ShellInfo {
                        address: &caller.endpoint,
                        shell_id: &id,
                        owner: caller.user,
                        client_ip: &caller.client_ip,
                        idle_timeout: idle,
                    },
                ))
            }
            Body::Command { command, arguments } => {
                let shell = self.shell(req, caller.user)?;
                if shell.operations.fetch_add(1, Ordering::Relaxed)
                    >= limits.max_operations_per_shell
                {
                    return Err(Fault::max_operations(limits.max_operations_per_shell));
                }
                let mut line = command.trim().to_string();
                for a in arguments.iter().filter(|a| !a.is_empty()) {
                    line.push(' ');
                    line.push_str(a);
                }
                let plan = commands::start(&self.context(caller.user), &line);
                let mut inner = CommandInner {
                    phase: Phase::Hang,
                    stdin: Vec::new(),
                    stdout: Vec::new(),
                    stdout_pos: 0,
                    stderr: Vec::new(),
                    stderr_pos: 0,
                    ready_at: Instant::now(),
                    exit_code: 0,
                };
                match plan {
                    Plan::Finished(o) => {
                        if o.collector {
                            HostCounters::add(&self.counters.collector_runs, 1);
                        }
                        inner.finish(o);
                    }
                    Plan::AwaitStdin { bootstrap } => inner.phase = Phase::AwaitStdin { bootstrap },
                    Plan::Hang => {}
                }
                let id = soap::new_guid();
                lock(&shell.commands).insert(
                    id.clone(),
                    Arc::new(Command {
                        inner: Mutex::new(inner),
                        notify: Notify::new(),
                    }),
                );
                HostCounters::add(&self.counters.commands, 1);
                Ok(soap::command_response(relates, &id))
            }
            Body::Send { streams } => {
                let shell = self.shell(req, caller.user)?;
                for s in streams
                    .iter()
                    .filter(|s| s.name.eq_ignore_ascii_case("stdin"))
                {
                    let cid = s.command_id.clone().unwrap_or_default();
                    let cmd = lock(&shell.commands)
                        .get(&cid.to_uppercase())
                        .cloned()
                        .ok_or_else(|| Fault::command_not_found(&cid))?;
                    let mut inner = lock(&cmd.inner);
                    if let Phase::AwaitStdin { bootstrap } = inner.phase {
                        if inner.stdin.len() + s.data.len() > (64 << 20) {
                            inner.finish(Outcome {
                                stderr: b"The pipe has been ended.\r\n".to_vec(),
                                exit_code: 1,
                                ..Outcome::default()
                            });
                        } else {
                            inner.stdin.extend_from_slice(&s.data);
                            if s.end {
                                let stdin = std::mem::take(&mut inner.stdin);
                                let o = commands::finish_stdin(
                                    &self.context(caller.user),
                                    &stdin,
                                    bootstrap,
                                );
                                if o.collector {
                                    HostCounters::add(&self.counters.collector_runs, 1);
                                }
                                inner.finish(o);
                            }
                        }
                        drop(inner);
                        cmd.notify.notify_waiters();
                    }
                }
                Ok(soap::send_response(relates))
            }
            Body::Receive { command_id } => {
                let shell = self.shell(req, caller.user)?;
                let cid = command_id.clone().unwrap_or_default();
                let cmd = lock(&shell.commands)
                    .get(&cid.to_uppercase())
                    .cloned()
                    .ok_or_else(|| Fault::command_not_found(&cid))?;
                let timeout = req
                    .operation_timeout
                    .unwrap_or(limits.max_operation_timeout)
                    .min(limits.max_operation_timeout);
                let envelope = req
                    .max_envelope_size
                    .unwrap_or(limits.default_max_envelope_size)
                    .max(8192);
                let result = self.receive(&cmd, &cid, relates, timeout, envelope).await;
                shell.touch();
                result
            }
            Body::Signal { command_id, code } => {
                let shell = self.shell(req, caller.user)?;
                let cid = command_id.clone().unwrap_or_default().to_uppercase();
                let cmd = if code.ends_with("/terminate") {
                    lock(&shell.commands).remove(&cid)
                } else {
                    lock(&shell.commands).get(&cid).cloned()
                };
                if let Some(cmd) = cmd {
                    cmd.stop();
                }
                Ok(soap::signal_response(relates))
            }
            Body::Delete => {
                let id = req.shell_id.as_deref().unwrap_or_default().to_uppercase();
                let owner = caller.user.to_lowercase();
                let mut shells = lock(&self.shells);
                match shells.get(&id) {
                    Some(s) if s.owner == owner => {
                        let s = shells.remove(&id).expect("present");
                        drop(shells);
                        for c in lock(&s.commands).values() {
                            c.stop();
                        }
                        HostCounters::add(&self.counters.shells_deleted, 1);
                        Ok(soap::delete_response(relates))
                    }
                    _ => Err(Fault::shell_not_found(&id)),
                }
            }
            Body::Other => Err(Fault::action_not_supported(&req.action)),
        }
    }

    /// One Receive: output as soon as there is some (chunked to fit `envelope` bytes), Done
    /// with its ExitCode once everything was sent, `w:TimedOut` after `timeout` of silence.
    async fn receive(
        &self,
        cmd: &Command,
        command_id: &str,
        relates: Option<&str>,
        timeout: Duration,
        envelope: usize,
    ) -> Result<String, Fault> {
        let deadline = Instant::now() + timeout;
        let budget = envelope.saturating_sub(soap::RECEIVE_OVERHEAD).max(1024) / 4 * 3;
        loop {
            let notified = cmd.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let wake_at = {
                let mut g = lock(&cmd.inner);
                let now = Instant::now();
                match g.phase {
                    Phase::Finished if now >= g.ready_at => {
                        let out_n = (g.stdout.len() - g.stdout_pos).min(budget);
                        let err_n = (g.stderr.len() - g.stderr_pos).min(budget - out_n);
                        let (o0, e0) = (g.stdout_pos, g.stderr_pos);
                        g.stdout_pos += out_n;
                        g.stderr_pos += err_n;
                        let done = g.stdout_pos == g.stdout.len() && g.stderr_pos == g.stderr.len();
                        return Ok(soap::receive_response(
                            relates,
                            command_id,
                            &g.stdout[o0..o0 + out_n],
                            &g.stderr[e0..e0 + err_n],
                            done.then_some(g.exit_code),
                        ));
                    }
                    Phase::Finished => g.ready_at.min(deadline),
                    _ => deadline,
                }
            };
            if Instant::now() >= deadline {
                HostCounters::add(&self.counters.timeouts, 1);
                return Err(Fault::timed_out());
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(wake_at) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::soap::InputChunk;

    fn host(faults: &[&str]) -> (Host, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let snap = dir.path().join("web01.json");
        std::fs::write(&snap, vec![b'x'; 10_000]).unwrap();
        (
            Host::new(
                "web01".into(),
                Ipv4Addr::new(127, 1, 0, 1),
                snap,
                HostFaults::parse(faults).unwrap(),
            ),
            dir,
        )
    }

    fn req(body: Body, shell: Option<&str>) -> Request {
        Request {
            action: String::new(),
            message_id: Some("uuid:M".into()),
            resource_uri: Some(soap::RESOURCE_CMD.into()),
            shell_id: shell.map(str::to_string),
            operation_timeout: Some(Duration::from_millis(200)),
            max_envelope_size: None,
            options: Vec::new(),
            body,
        }
    }

    fn caller() -> Caller<'static> {
        Caller {
            user: "scanner",
            client_ip: "127.0.0.1".into(),
            endpoint: "http://127.1.0.1:5985/wsman".into(),
        }
    }

    fn text(xml: &str, name: &str) -> String {
        let doc = roxmltree::Document::parse(xml).unwrap();
        doc.descendants()
            .find(|n| n.tag_name().name() == name)
            .and_then(|n| n.text())
            .unwrap_or_default()
            .to_string()
    }

    async fn create(h: &Host, limits: &Limits, idle: Option<Duration>) -> Result<String, Fault> {
        let xml = h
            .handle(
                &req(Body::Create { idle_timeout: idle }, None),
                &caller(),
                limits,
            )
            .await?;
        Ok(text(&xml, "ShellId"))
    }

    async fn command(h: &Host, limits: &Limits, shell: &str, line: &str) -> Result<String, Fault> {
        let body = Body::Command {
            command: line.into(),
            arguments: vec![],
        };
        let xml = h.handle(&req(body, Some(shell)), &caller(), limits).await?;
        Ok(text(&xml, "CommandId"))
    }

    async fn receive(
        h: &Host,
        limits: &Limits,
        shell: &str,
        cid: &str,
        envelope: Option<usize>,
    ) -> Result<String, Fault> {
        let mut r = req(
            Body::Receive {
                command_id: Some(cid.into()),
            },
            Some(shell),
        );
        r.max_envelope_size = envelope;
        h.handle(&r, &caller(), limits).await
    }

    #[tokio::test]
    async fn idle_shells_expire_and_free_the_quota() {
        let (h, _d) = host(&[]);
        let limits = Limits {
            max_shells_per_user: 2,
            idle_timeout: Duration::from_millis(100),
            ..Limits::default()
        };
        create(&h, &limits, None).await.unwrap();
        create(&h, &limits, Some(Duration::from_secs(3600)))
            .await
            .unwrap();
        let full = create(&h, &limits, None).await.unwrap_err();
        assert_eq!(
            (full.subcode, full.wsman_code),
            ("w:QuotaLimit", 2_150_859_173)
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
        create(&h, &limits, None).await.unwrap();
        let s = h.stats();
        assert_eq!(
            (s.shells_open, s.shells_expired, s.shells_created),
            (1, 2, 3)
        );
    }

    #[tokio::test]
    async fn operations_per_shell_are_capped() {
        let (h, _d) = host(&[]);
        let limits = Limits {
            max_operations_per_shell: 2,
            ..Limits::default()
        };
        let shell = create(&h, &limits, None).await.unwrap();
        command(&h, &limits, &shell, "echo 1").await.unwrap();
        command(&h, &limits, &shell, "echo 2").await.unwrap();
        let e = command(&h, &limits, &shell, "echo 3").await.unwrap_err();
        assert_eq!(e.wsman_code, 2_150_859_174);
    }

    #[tokio::test]
    async fn output_is_chunked_to_the_envelope_and_done_comes_last() {
        let (h, _d) = host(&[]);
        let limits = Limits::default();
        let shell = create(&h, &limits, None).await.unwrap();
        let cid = command(&h, &limits, &shell, r"type C:\x\snapshot.json")
            .await
            .unwrap();
        let mut got = 0;
        let mut responses = 0;
        loop {
            let xml = receive(&h, &limits, &shell, &cid, Some(8192))
                .await
                .unwrap();
            assert!(xml.len() <= 8192, "{}", xml.len());
            responses += 1;
            let doc = roxmltree::Document::parse(&xml).unwrap();
            for s in doc
                .descendants()
                .filter(|n| n.tag_name().name() == "Stream")
            {
                got += base64::Engine::decode(
                    &base64::engine::general_purpose::STANDARD,
                    s.text().unwrap_or(""),
                )
                .unwrap()
                .len();
            }
            if xml.contains(soap::STATE_DONE) {
                assert_eq!(text(&xml, "ExitCode"), "0");
                break;
            }
            assert!(!xml.contains("ExitCode"));
        }
        assert_eq!(got, 10_000);
        assert!(responses >= 2);
    }

    #[tokio::test]
    async fn stdin_commands_wait_and_hang_times_out_until_signalled() {
        let (h, _d) = host(&[]);
        let limits = Limits::default();
        let shell = create(&h, &limits, None).await.unwrap();
        let cid = command(&h, &limits, &shell, "powershell -Command -")
            .await
            .unwrap();
        let e = receive(&h, &limits, &shell, &cid, None).await.unwrap_err();
        assert_eq!(e.subcode, "w:TimedOut");
        let send = Body::Send {
            streams: vec![InputChunk {
                name: "stdin".into(),
                command_id: Some(cid.clone()),
                end: true,
                data: b"Write-Output piped".to_vec(),
            }],
        };
        h.handle(&req(send, Some(&shell)), &caller(), &limits)
            .await
            .unwrap();
        let xml = receive(&h, &limits, &shell, &cid, None).await.unwrap();
        assert!(xml.contains(soap::STATE_DONE));

        let (stuck, _d2) = host(&["hang"]);
        let shell = create(&stuck, &limits, None).await.unwrap();
        let cid = command(&stuck, &limits, &shell, "echo hi").await.unwrap();
        for _ in 0..2 {
            let e = receive(&stuck, &limits, &shell, &cid, None)
                .await
                .unwrap_err();
            assert_eq!(e.wsman_code, 2_150_858_793);
        }
        let signal = Body::Signal {
            command_id: Some(cid.clone()),
            code: soap::SIGNAL_CTRL_C.into(),
        };
        stuck
            .handle(&req(signal, Some(&shell)), &caller(), &limits)
            .await
            .unwrap();
        let xml = receive(&stuck, &limits, &shell, &cid, None).await.unwrap();
        assert_eq!(text(&xml, "ExitCode"), CTRL_C_EXIT.to_string());
        assert_eq!(stuck.stats().timeouts, 2);
    }

    #[tokio::test]
    async fn unknown_shells_and_other_users_get_invalid_selectors() {
        let (h, _d) = host(&[]);
        let limits = Limits::default();
        let shell = create(&h, &limits, None).await.unwrap();
        let other = Caller {
            user: "intruder",
            ..caller()
        };
        let e = h
            .handle(&req(Body::Delete, Some(&shell)), &other, &limits)
            .await
            .unwrap_err();
        assert_eq!(e.subcode, "w:InvalidSelectors");
        h.handle(&req(Body::Delete, Some(&shell)), &caller(), &limits)
            .await
            .unwrap();
        let e = h
            .handle(&req(Body::Delete, Some(&shell)), &caller(), &limits)
            .await
            .unwrap_err();
        assert_eq!(e.wsman_code, 2_150_858_843);
        let mut psrp = req(Body::Create { idle_timeout: None }, None);
        psrp.resource_uri =
            Some("http://schemas.microsoft.com/powershell/Microsoft.PowerShell".into());
        assert_eq!(
            h.handle(&psrp, &caller(), &limits)
                .await
                .unwrap_err()
                .wsman_code,
            2_150_858_752
        );
    }
}
