//! `iis-sweep scan` end to end: the real binary sweeps the simulator over the real protocol
//! (NTLM with sealing over HTTP), every fault ends in its status, the other hosts still succeed,
//! and the password appears nowhere.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use iis_sweep_sim::server::{serve, AuthMode, ServerConfig, ServerHandle};
use serde_json::Value;

mod support;
use support::write_fleet;

const USER: &str = "scanner";
const PASSWORD: &str = "Tr0ub4dor&3-unique-9f2c";
const PASSWORD_ENV: &str = "IIS_SWEEP_SCAN_TEST_PASSWORD";

async fn start(dir: &Path) -> ServerHandle {
    let mut cfg = ServerConfig::new(dir, USER, PASSWORD);
    cfg.port = 0;
    cfg.auth = AuthMode::Ntlm;
    // As Windows by default: only sealed bodies over HTTP.
    cfg.allow_unencrypted = false;
    serve(cfg).await.unwrap()
}

fn inventory(dir: &Path, handle: &ServerHandle, extra_host_lines: &str) -> PathBuf {
    let mut text = format!(
        "[defaults]\nport = {}\nscheme = \"http\"\nauth = \"ntlm\"\nusername = \"{USER}\"\npassword_env = \"{PASSWORD_ENV}\"\n\n",
        handle.port()
    );
    for (name, ip) in handle.hosts() {
        text.push_str(&format!(
            "[[host]]\nname = \"{name}\"\naddress = \"{ip}\"\n{extra_host_lines}\n"
        ));
    }
    let path = dir.join("inventory.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn status_of(report: &Value, host: &str) -> (String, String) {
    let h = report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == host)
        .unwrap_or_else(|| panic!("{host} missing"));
    (
        h["status"].as_str().unwrap().to_string(),
        h["reason"].as_str().unwrap_or("").to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_ends_in_its_status_and_the_others_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet");
    write_fleet(
        &fleet,
        61,
        &[
            ("web01", &[]),
            ("web02", &[]),
            ("web03", &[]),
            ("down", &["refuse"]),
            ("badpass", &["auth-401"]),
            ("crash", &["collector-exit=1"]),
            ("garbage", &["garbage-stdout"]),
            ("cut", &["truncated-json"]),
            ("full", &["quota"]),
            ("stuck", &["hang"]),
            ("web04", &[]),
            ("web05", &[]),
        ],
    );
    let handle = start(&fleet).await;
    let inv = inventory(dir.path(), &handle, "");
    let out = dir.path().join("out");
    let snaps = dir.path().join("snaps");
    let (inv2, out2, snaps2) = (inv.clone(), out.clone(), snaps.clone());
    let assert = tokio::task::spawn_blocking(move || {
        Command::cargo_bin("iis-sweep")
            .unwrap()
            .args([
                "-vvv",
                "scan",
                "--host-timeout",
                "8",
                "--concurrency",
                "6",
                "-i",
            ])
            .arg(&inv2)
            .arg("--out")
            .arg(&out2)
            .arg("--save-snapshots")
            .arg(&snaps2)
            .args(["--format", "json,html"])
            .env(PASSWORD_ENV, PASSWORD)
            .assert()
    })
    .await
    .unwrap();
    let output = assert.get_output().clone();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(3), "some hosts failed: {stderr}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["totals"]["hosts"], 12);
    for ok in ["web01", "web02", "web03", "web04", "web05"] {
        assert_eq!(
            status_of(&report, ok).0,
            "ok",
            "{ok}: {:?}",
            status_of(&report, ok)
        );
    }
    let expect = [
        ("down", "unreachable"),
        ("badpass", "auth-failed"),
        ("crash", "collector-error"),
        ("garbage", "collector-error"),
        ("cut", "collector-error"),
        ("full", "quota"),
        ("stuck", "timeout"),
    ];
    for (host, status) in expect {
        let (s, reason) = status_of(&report, host);
        assert_eq!(s, status, "{host}: {reason}");
        assert!(!reason.is_empty(), "{host} has a reason");
    }
    // The findings of the healthy hosts are there (WEB-02's and WEB-03's copies).
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"U201") && rules.contains(&"U301"),
        "{rules:?}"
    );
    // Snapshots saved for the hosts that answered, and they replay offline.
    assert!(snaps.join("web01.json").exists());
    Command::cargo_bin("iis-sweep")
        .unwrap()
        .args(["check", "--fail-on", "none", "--out"])
        .arg(dir.path().join("replay"))
        .arg(snaps.join("web01.json"))
        .assert()
        .success();
    // The password is nowhere: not in logs at -vvv, not in any file written.
    assert!(!stderr.contains(PASSWORD), "password in stderr");
    assert!(!String::from_utf8_lossy(&output.stdout).contains(PASSWORD));
    for entry in walk(dir.path()) {
        if entry.starts_with(&fleet) {
            continue;
        }
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(PASSWORD),
            "password found in {}",
            entry.display()
        );
    }
    // Every host's shell was deleted: no shell left open on any virtual host.
    for s in handle.stats() {
        assert_eq!(s.shells_open, 0, "{s:?}");
    }
    handle.shutdown().await;
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_delivery_works_without_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet");
    write_fleet(&fleet, 62, &[("web01", &[]), ("web02", &[])]);
    let handle = start(&fleet).await;
    let inv = inventory(dir.path(), &handle, "delivery = \"staged\"\n");
    let out = dir.path().join("out");
    let (inv2, out2) = (inv.clone(), out.clone());
    tokio::task::spawn_blocking(move || {
        Command::cargo_bin("iis-sweep")
            .unwrap()
            .args(["scan", "--fail-on", "none", "-i"])
            .arg(&inv2)
            .arg("--out")
            .arg(&out2)
            .env(PASSWORD_ENV, PASSWORD)
            .assert()
            .success()
    })
    .await
    .unwrap();
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(status_of(&report, "web01").0, "ok");
    assert_eq!(status_of(&report, "web02").0, "ok");
    handle.shutdown().await;
}

#[test]
fn a_missing_password_is_a_clear_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.toml");
    std::fs::write(
        &inv,
        "[defaults]\nscheme = \"http\"\nusername = \"x\"\npassword_env = \"IIS_SWEEP_NOT_SET_ANYWHERE\"\n[[host]]\nname = \"a\"\naddress = \"127.63.0.1\"\n",
    )
    .unwrap();
    Command::cargo_bin("iis-sweep")
        .unwrap()
        .args(["scan", "-i"])
        .arg(&inv)
        .env_remove("IIS_SWEEP_NOT_SET_ANYWHERE")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("IIS_SWEEP_NOT_SET_ANYWHERE"));
}

fn generated_fleet(dir: &Path, hosts: usize) {
    iis_sweep_sim::generate::generate(
        &iis_sweep_sim::generate::GenerateOptions {
            hosts,
            seed: 7,
            faults: Vec::new(),
            pretty: false,
        },
        dir,
    )
    .unwrap();
}

fn scan(inv: &Path, out: &Path, extra: &[&str]) -> Value {
    Command::cargo_bin("iis-sweep")
        .unwrap()
        .args(["scan", "--fail-on", "none", "--format", "json", "-i"])
        .arg(inv)
        .arg("--out")
        .arg(out)
        .args(extra)
        .env(PASSWORD_ENV, PASSWORD)
        .assert()
        .success();
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

/// What must be equal between a single sweep and its merged shards.
fn essence(report: &Value) -> (Vec<(String, String)>, Vec<String>, Value) {
    let mut hosts: Vec<(String, String)> = report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap().to_string(),
                h["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    hosts.sort();
    let mut fps: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    fps.sort();
    (hosts, fps, report["totals"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_hosts_over_ntlm_and_merged_shards_equal_the_single_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet");
    generated_fleet(&fleet, 50);
    let handle = start(&fleet).await;
    let inv = inventory(dir.path(), &handle, "");
    let d = dir.path().to_path_buf();
    let (full, merged) = tokio::task::spawn_blocking(move || {
        let full = scan(&inv, &d.join("full"), &[]);
        let mut shard_reports = Vec::new();
        for k in 1..=3 {
            let out = d.join(format!("shard{k}"));
            let r = scan(&inv, &out, &["--shard", &format!("{k}/3")]);
            assert_eq!(r["run"]["shard"], format!("{k}/3"));
            shard_reports.push(out.join("report.json"));
        }
        let mut cmd = Command::cargo_bin("iis-sweep").unwrap();
        cmd.args(["merge", "--fail-on", "none", "--format", "json", "--out"])
            .arg(d.join("merged"));
        for r in &shard_reports {
            cmd.arg(r);
        }
        cmd.assert().success();
        // Merging a shard twice is refused, naming the host and both files.
        let mut dup = Command::cargo_bin("iis-sweep").unwrap();
        dup.args(["merge", "--out"])
            .arg(d.join("dup"))
            .arg(&shard_reports[0])
            .arg(&shard_reports[0]);
        dup.assert()
            .code(2)
            .stderr(predicates::str::contains("must be in one report"));
        let merged: Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("merged/report.json")).unwrap())
                .unwrap();
        (full, merged)
    })
    .await
    .unwrap();
    assert_eq!(full["totals"]["hosts"], 50);
    // Every host evaluated (partial: a planted malformed web.config, reported as C004).
    let by = &full["totals"]["hosts_by_status"];
    let evaluated = by["ok"].as_u64().unwrap_or(0) + by["partial"].as_u64().unwrap_or(0);
    assert_eq!(evaluated, 50, "{:#}", full["totals"]);
    assert_eq!(
        by["partial"].as_u64().unwrap_or(0),
        full["totals"]["by_rule"]["C004"].as_u64().unwrap_or(0),
        "only C004 hosts are partial: {:#}",
        full["totals"]
    );
    assert!(full["totals"]["findings"].as_u64().unwrap() > 0);
    assert_eq!(essence(&full), essence(&merged));
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_over_https_with_the_ca_trusted_and_a_wrong_pin_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet");
    write_fleet(&fleet, 64, &[("tls01", &[]), ("tls02", &[])]);
    let mut cfg = ServerConfig::new(&fleet, USER, PASSWORD);
    cfg.port = 0;
    cfg.auth = AuthMode::Basic;
    cfg.tls = Some(Default::default());
    let handle = serve(cfg).await.unwrap();
    let tls = handle.tls().unwrap();
    let ca = dir.path().join("sim-ca.pem");
    std::fs::write(&ca, &tls.cert_pem).unwrap();
    let mut text = format!(
        "[defaults]\nport = {}\nscheme = \"https\"\nauth = \"basic\"\nusername = \"{USER}\"\npassword_env = \"{PASSWORD_ENV}\"\nca_file = \"{}\"\n\n",
        handle.port(),
        ca.display()
    );
    for (name, ip) in handle.hosts() {
        text.push_str(&format!(
            "[[host]]\nname = \"{name}\"\naddress = \"{ip}\"\n"
        ));
        if name == "tls02" {
            text.push_str(&format!("pin_sha256 = \"{}\"\n", "ab".repeat(32)));
        }
        text.push('\n');
    }
    let inv = dir.path().join("inv.toml");
    std::fs::write(&inv, text).unwrap();
    let d = dir.path().to_path_buf();
    let report = tokio::task::spawn_blocking(move || scan(&inv, &d.join("out"), &[]))
        .await
        .unwrap();
    assert_eq!(
        status_of(&report, "tls01").0,
        "ok",
        "{:?}",
        status_of(&report, "tls01")
    );
    assert_eq!(
        status_of(&report, "tls02").0,
        "tls-error",
        "{:?}",
        status_of(&report, "tls02")
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_mid_sweep_writes_a_valid_partial_report_and_deletes_the_shells() {
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
    write_fleet(&fleet, 65, &refs);
    let handle = start(&fleet).await;
    let inv = inventory(dir.path(), &handle, "");
    let out = dir.path().join("out");
    let bin = assert_cmd::cargo::cargo_bin("iis-sweep");
    let child = std::process::Command::new(bin)
        .args(["scan", "--concurrency", "4", "--host-timeout", "60", "-i"])
        .arg(&inv)
        .arg("--out")
        .arg(&out)
        .env(PASSWORD_ENV, PASSWORD)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the hanging hosts hold shells, then interrupt.
    let started = std::time::Instant::now();
    while handle.stats().iter().map(|s| s.shells_open).sum::<u64>() < 2 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no shell opened"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["run"]["interrupted"], true);
    assert_eq!(report["totals"]["hosts"], 8, "every host is in the report");
    let interrupted = report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["status"] == "interrupted")
        .count();
    assert!(interrupted >= 2, "{:#}", report["totals"]);
    // The shells of the interrupted hosts were deleted on the way out.
    let open: u64 = handle.stats().iter().map(|s| s.shells_open).sum();
    assert_eq!(open, 0, "shells left open: {:?}", handle.stats());
    handle.shutdown().await;
}
