//! Safe on production fleets: every fault ends in the status that says what happened, with the
//! requests and logons each host received counted by the simulator; a wrong password is not
//! sprayed across the fleet; SIGINT, a second SIGINT and SIGTERM still write the report and
//! leave no shell open; no host ever disappears from the report.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use iis_sweep_sim::server::{serve, AuthMode, HostStats, ServerConfig, ServerHandle};
use serde_json::Value;

mod support;
use support::write_fleet;

const USER: &str = "scanner";
const PASSWORD: &str = "Corr3ct-Horse-Battery-77ab";
const PASSWORD_ENV: &str = "IIS_SWEEP_SAFETY_TEST_PASSWORD";

async fn start(dir: &Path, auth: AuthMode) -> ServerHandle {
    let mut cfg = ServerConfig::new(dir, USER, PASSWORD);
    cfg.port = 0;
    cfg.auth = auth;
    // As Windows by default: only encrypted bodies over HTTP.
    cfg.allow_unencrypted = false;
    serve(cfg).await.unwrap()
}

/// A native inventory of every host of `handle`; `extra` goes into `[defaults]`.
fn inventory(dir: &Path, handle: &ServerHandle, extra: &str) -> PathBuf {
    let mut text = format!(
        "[defaults]\nport = {}\nscheme = \"http\"\nauth = \"ntlm\"\nusername = \"{USER}\"\n\
         password_env = \"{PASSWORD_ENV}\"\n{extra}\n",
        handle.port()
    );
    for (name, ip) in handle.hosts() {
        text.push_str(&format!(
            "[[host]]\nname = \"{name}\"\naddress = \"{ip}\"\n\n"
        ));
    }
    let path = dir.join("inventory.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn scan_command(inv: &Path, out: &Path, password: &str, extra: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("iis-sweep"));
    cmd.args(["scan", "-i"])
        .arg(inv)
        .arg("--out")
        .arg(out)
        .args(extra)
        .env(PASSWORD_ENV, password)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

async fn run(mut cmd: std::process::Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn report(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn host<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == name)
        .unwrap_or_else(|| panic!("{name} is missing from the report"))
}

fn stats(handle: &ServerHandle, name: &str) -> HostStats {
    handle.host_stats(name).unwrap()
}

/// Logon attempts a host saw: NTLM handshakes completed plus credentials rejected.
fn logons(s: &HostStats) -> u64 {
    s.ntlm_handshakes + s.auth_failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_matrix_statuses_requests_logons_and_shells() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet");
    // (host, faults, expected status, a word the reason must contain)
    let matrix: &[(&str, &[&str], &str, &str)] = &[
        ("ok01", &[], "ok", ""),
        ("ok02", &[], "ok", ""),
        ("refused", &["refuse"], "unreachable", ""),
        ("reset", &["reset"], "connection-lost", "broke"),
        ("slowfirst", &["delay-first-byte=300"], "ok", ""),
        ("drip", &["slow-drip=400000"], "ok", ""),
        ("quota", &["quota"], "quota", "quota"),
        ("exit1", &["collector-exit=1"], "collector-error", "code 1"),
        (
            "garbage",
            &["garbage-stdout"],
            "collector-error",
            "not a snapshot",
        ),
        (
            "truncated",
            &["truncated-json"],
            "collector-error",
            "not a snapshot",
        ),
        ("html", &["receive-html"], "protocol-error", ""),
        ("binary", &["receive-garbage"], "protocol-error", ""),
        ("redirect", &["redirect"], "protocol-error", "redirect"),
        ("hang", &["hang"], "timeout", ""),
        ("nostdin", &["no-stdin"], "ok", ""),
        (
            "clm",
            &["constrained-language"],
            "collector-error",
            "constrained language",
        ),
        (
            "oversized",
            &["oversized-stdout=3000000"],
            "collector-error",
            "more than",
        ),
    ];
    let hosts: Vec<(&str, &[&str])> = matrix.iter().map(|(n, f, _, _)| (*n, *f)).collect();
    write_fleet(&fleet, 71, &hosts);
    let handle = start(&fleet, AuthMode::Ntlm).await;
    let inv = inventory(dir.path(), &handle, "");
    let out = dir.path().join("out");
    let started = Instant::now();
    let output = run(scan_command(
        &inv,
        &out,
        PASSWORD,
        &[
            "--host-timeout",
            "8",
            "--concurrency",
            "17",
            "--max-output-mib",
            "1",
        ],
    ))
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    let rep = report(&out);
    assert_eq!(rep["totals"]["hosts"], matrix.len(), "no host disappears");
    let mut table = String::from("fault → status → requests → logons → shells left\n");
    for (name, faults, status, word) in matrix {
        let h = host(&rep, name);
        let reason = h["reason"].as_str().unwrap_or("");
        let s = stats(&handle, name);
        table.push_str(&format!(
            "{:<22} {:<16} {:>3} {:>2} {}\n",
            faults.first().unwrap_or(&"(none)"),
            h["status"].as_str().unwrap(),
            s.requests,
            logons(&s),
            s.shells_open
        ));
        assert_eq!(h["status"], *status, "{name}: {reason}\n{stderr}");
        assert!(
            reason.to_lowercase().contains(word),
            "{name}: {reason:?} should say {word:?}"
        );
        // A few dozen requests at most, whatever the host answers (the fallback to staged
        // delivery included).
        assert!(s.requests <= 50, "{name} got {} requests", s.requests);
        assert!(logons(&s) <= 2, "{name} saw {} logons", logons(&s));
        assert_eq!(s.shells_open, 0, "{name} has a shell left open");
        if s.shells_created > 0 {
            // A shell we could not delete (crash, lost network) closes itself on the host.
            let idle = s
                .idle_timeout_asked_secs
                .expect("Create carries rsp:IdleTimeOut");
            assert!((60..=600).contains(&idle), "{name}: idle timeout {idle} s");
        }
    }
    println!("{table}");
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(!stderr.contains(PASSWORD));
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_tried_on_two_hosts_only() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet");
    let names: Vec<String> = (1..=8).map(|i| format!("web{i:02}")).collect();
    let hosts: Vec<(&str, &[&str])> = names.iter().map(|n| (n.as_str(), &[][..])).collect();
    write_fleet(&fleet, 72, &hosts);
    let handle = start(&fleet, AuthMode::Ntlm).await;
    let inv = inventory(dir.path(), &handle, "");
    let out = dir.path().join("out");
    let output = run(scan_command(
        &inv,
        &out,
        "not-the-password",
        &["--concurrency", "8"],
    ))
    .await;
    assert_eq!(output.status.code(), Some(3));
    let rep = report(&out);
    let mut rejected = Vec::new();
    let mut skipped = 0;
    for n in &names {
        let h = host(&rep, n);
        let s = stats(&handle, n);
        match h["status"].as_str().unwrap() {
            "auth-failed" => {
                assert_eq!(s.auth_failures, 1, "{n}: one logon attempt, not a retry");
                rejected.push(n.clone());
            }
            "skipped" => {
                skipped += 1;
                assert_eq!(s.requests, 0, "{n} was contacted although skipped");
                let reason = h["reason"].as_str().unwrap();
                assert!(reason.contains("rejected by"), "{reason}");
                assert!(reason.contains("--max-auth-failures 2"), "{reason}");
            }
            other => panic!("{n}: {other}"),
        }
    }
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    assert_eq!(skipped, 6);
    let total: u64 = names.iter().map(|n| stats(&handle, n).auth_failures).sum();
    assert_eq!(total, 2, "failed logons fleet-wide");

    // With --max-auth-failures 1 the first rejection stops it.
    let out1 = dir.path().join("out1");
    let before: u64 = names.iter().map(|n| stats(&handle, n).auth_failures).sum();
    let output = run(scan_command(
        &inv,
        &out1,
        "not-the-password",
        &["--max-auth-failures", "1"],
    ))
    .await;
    assert_eq!(output.status.code(), Some(3));
    let after: u64 = names.iter().map(|n| stats(&handle, n).auth_failures).sum();
    assert_eq!(after - before, 1);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_500_says_unencrypted_traffic_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet");
    write_fleet(&fleet, 73, &[("plain01", &[])]);
    let handle = start(&fleet, AuthMode::Both).await;
    let inv = inventory(dir.path(), &handle, "allow_unencrypted_basic = true\n");
    let text = std::fs::read_to_string(&inv).unwrap();
    std::fs::write(&inv, text.replace("auth = \"ntlm\"", "auth = \"basic\"")).unwrap();
    let out = dir.path().join("out");
    let output = run(scan_command(&inv, &out, PASSWORD, &[])).await;
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rep = report(&out);
    let h = host(&rep, "plain01");
    let reason = h["reason"].as_str().unwrap();
    assert_eq!(h["status"], "protocol-error", "{reason}");
    assert!(reason.contains("AllowUnencrypted"), "{reason}");
    assert!(stats(&handle, "plain01").requests <= 4);
    handle.shutdown().await;
}

/// Starts a sweep of two fast and six hanging hosts and waits until shells are open.
async fn sweep_with_hanging_hosts(
    net: u8,
) -> (tempfile::TempDir, ServerHandle, std::process::Child) {
    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet");
    let mut hosts: Vec<(String, Vec<&str>)> =
        vec![("fast01".into(), vec![]), ("fast02".into(), vec![])];
    for i in 0..6 {
        hosts.push((format!("slow{i:02}"), vec!["hang"]));
    }
    let refs: Vec<(&str, &[&str])> = hosts
        .iter()
        .map(|(n, f)| (n.as_str(), f.as_slice()))
        .collect();
    write_fleet(&fleet, net, &refs);
    let handle = start(&fleet, AuthMode::Ntlm).await;
    let inv = inventory(dir.path(), &handle, "");
    let out = dir.path().join("out");
    let child = scan_command(
        &inv,
        &out,
        PASSWORD,
        &["--concurrency", "4", "--host-timeout", "120"],
    )
    .stdout(Stdio::null())
    .spawn()
    .unwrap();
    let started = Instant::now();
    while handle.stats().iter().map(|s| s.shells_open).sum::<u64>() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no shell opened"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (dir, handle, child)
}

fn kill(child: &std::process::Child, signal: &str) {
    let ok = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

async fn wait(child: std::process::Child) -> (std::process::Output, Duration) {
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    (output, started.elapsed())
}

fn assert_partial_report(dir: &Path) {
    let rep = report(&dir.join("out"));
    assert_eq!(rep["run"]["interrupted"], true);
    assert_eq!(rep["totals"]["hosts"], 8, "every host is in the report");
    let interrupted = rep["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["status"] == "interrupted")
        .count();
    assert!(interrupted >= 4, "{:#}", rep["totals"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_is_ctrl_c_report_written_shells_deleted() {
    let (dir, handle, child) = sweep_with_hanging_hosts(74).await;
    kill(&child, "-TERM");
    let (output, took) = wait(child).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert_partial_report(dir.path());
    let open: u64 = handle.stats().iter().map(|s| s.shells_open).sum();
    assert_eq!(open, 0, "shells left open: {:?}", handle.stats());
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sigint_stops_at_once_and_still_writes_the_report() {
    let (dir, handle, child) = sweep_with_hanging_hosts(75).await;
    kill(&child, "-INT");
    // Two signals sent at the same instant are one signal to the process: give it a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    kill(&child, "-INT");
    let (output, took) = wait(child).await;
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_partial_report(dir.path());
    handle.shutdown().await;
}

#[test]
fn list_hosts_previews_without_connecting_or_printing_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.toml");
    std::fs::write(
        &inv,
        "[defaults]\nusername = \"CONTOSO\\\\svc\"\npassword_env = \"SWEEP_PW\"\n\n\
         [[host]]\nname = \"web01\"\naddress = \"127.0.0.1\"\ngroups = [\"prod\"]\n\n\
         [[host]]\nname = \"web02\"\naddress = \"127.0.0.2\"\nscheme = \"http\"\ngroups = [\"test\"]\n",
    )
    .unwrap();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("iis-sweep"))
        .args(["scan", "--list-hosts", "--limit", "prod", "-i"])
        .arg(&inv)
        .env("SWEEP_PW", "s3cret-never-printed")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("web01") && !text.contains("web02"), "{text}");
    assert!(text.contains("https://127.0.0.1:5986/wsman"), "{text}");
    assert!(text.contains("$SWEEP_PW"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
    let json = std::process::Command::new(assert_cmd::cargo::cargo_bin("iis-sweep"))
        .args(["scan", "--list-hosts", "--json", "-i"])
        .arg(&inv)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[1]["scheme"], "http");
    assert_eq!(v[1]["port"], 5985);
}

#[test]
fn absurd_timeouts_are_refused_with_the_setting_named() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.toml");
    std::fs::write(
        &inv,
        "[[host]]\nname = \"web01\"\nhost_timeout_secs = 300000000000\n",
    )
    .unwrap();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("iis-sweep"))
        .args(["scan", "--list-hosts", "-i"])
        .arg(&inv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("host_timeout_secs"), "{err}");
    let cli = std::process::Command::new(assert_cmd::cargo::cargo_bin("iis-sweep"))
        .args(["scan", "--host-timeout", "99999999999", "-i"])
        .arg(&inv)
        .output()
        .unwrap();
    assert_eq!(cli.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_reports_what_an_operator_checks_first() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet");
    write_fleet(
        &fleet,
        76,
        &[("web01", &[]), ("web02", &[]), ("locked", &["auth-401"])],
    );
    let handle = start(&fleet, AuthMode::Ntlm).await;
    for (extra, delivery) in [("", true), ("delivery = \"staged\"\n", false)] {
        let inv = inventory(dir.path(), &handle, extra);
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("iis-sweep"));
        cmd.args(["ping", "--json", "-i"])
            .arg(&inv)
            .env(PASSWORD_ENV, PASSWORD);
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(3),
            "one host rejects the credentials"
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let rows = v.as_array().unwrap();
        assert_eq!(rows.len(), 3);
        for row in rows.iter().filter(|r| r["name"] != "locked") {
            assert_eq!(row["status"], "ok", "{row}");
            assert_eq!(row["auth"], "ntlm");
            assert_eq!(row["remote"]["stdin_delivery"], delivery, "{row}");
            assert_eq!(row["remote"]["language_mode"], "FullLanguage");
            assert_eq!(row["remote"]["elevated"], true);
            assert!(row["remote"]["powershell_version"]
                .as_str()
                .unwrap()
                .starts_with("5.1"));
            assert!(row["clock_skew_secs"].as_i64().unwrap().abs() <= 2, "{row}");
        }
        let locked = rows.iter().find(|r| r["name"] == "locked").unwrap();
        assert_eq!(locked["status"], "auth-failed", "{locked}");
    }
    // Nothing was collected: ping never runs the collector.
    for s in handle.stats() {
        assert_eq!(s.collector_runs, 0, "{s:?}");
        assert_eq!(s.shells_open, 0, "{s:?}");
    }
    handle.shutdown().await;
}

/// Host-supplied text with terminal escape sequences — a URL in an IIS log (log injection is an
/// old trick), a site name in applicationHost.config (XML allows C1 controls and bidi
/// characters) — is shown escaped by `logs` and `config`, never sent to the terminal.
#[test]
fn host_text_reaches_the_terminal_escaped() {
    const RAW: &[char] = &['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}', '\r'];
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("u_ex230101.log");
    std::fs::write(
        &log,
        "#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n\
         2023-01-01 08:00:01 10.0.0.5 GET /a\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m - 80 CONTOSO\\\u{202e}nimda 10.0.1.20 x - 401 1 1326 12\r\n",
    )
    .unwrap();
    for json in [false, true] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_iis-sweep"));
        cmd.arg("logs").arg(&log);
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains(RAW), "raw escapes printed: {text:?}");
        if json {
            let v: serde_json::Value = serde_json::from_str(&text).expect("still JSON");
            assert!(v.to_string().contains('\u{9b}'), "the data itself is kept");
        } else {
            assert!(text.contains("\u{27e6}U+001B\u{27e7}"), "{text}");
        }
    }

    let apphost = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("crates/scanner/assets/iis10-host/applicationHost.config"),
    )
    .unwrap();
    let site = "Default\u{9b}2J\u{202e}etiS";
    let file = dir.path().join("applicationHost.config");
    std::fs::write(&file, apphost.replace("Default Web Site", site)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_iis-sweep"))
        .arg("config")
        .arg(&file)
        .args(["--site", site])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains(RAW), "raw escapes printed: {text:?}");
    assert!(text.contains("Default\u{27e6}U+009B\u{27e7}2J"), "{text}");
    // An error naming the site escapes it too.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_iis-sweep"))
        .arg("config")
        .arg(&file)
        .args(["--site", "no\u{1b}[2Jsuch"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success());
    assert!(!err.contains('\u{1b}'), "{err:?}");
}
