//! `iis-sweep check` end to end, through the real binary.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/examples")
}

fn iis_sweep() -> Command {
    Command::cargo_bin("iis-sweep").unwrap()
}

fn read_report(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

fn host<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == name)
        .unwrap_or_else(|| panic!("host {name} missing from report"))
}

fn rules_fired(report: &Value, host: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["host"] == host)
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn example_fleet_writes_json_and_html() {
    let out = tempfile::tempdir().unwrap();
    let assert = iis_sweep()
        .args(["check", "--out"])
        .arg(out.path())
        .arg(examples())
        .assert();
    // WEB-02 and WEB-03 have high-severity findings.
    assert.code(1);
    let report = read_report(out.path());
    assert_eq!(report["schema"], "iis-sweep/report/1");
    // Three snapshots and the bare applicationHost.config.
    assert_eq!(report["totals"]["hosts"], 4);
    assert_eq!(host(&report, "WEB-01")["status"], "ok");
    assert!(rules_fired(&report, "WEB-01").is_empty(), "WEB-01 is clean");
    assert!(rules_fired(&report, "WEB-02").contains(&"U201".to_string()));
    assert!(rules_fired(&report, "WEB-03").contains(&"U301".to_string()));
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(html.contains("WEB-03"));
    assert!(html.contains("Content-Security-Policy"));
}

#[test]
fn bare_apphost_config_is_a_host_with_only_configuration() {
    let out = tempfile::tempdir().unwrap();
    iis_sweep()
        .args(["check", "--fail-on", "none", "--out"])
        .arg(out.path())
        .arg(examples().join("applicationHost.config"))
        .assert()
        .code(0);
    let report = read_report(out.path());
    let h = &report["hosts"][0];
    assert_eq!(h["status"], "partial");
    let not_evaluated: Vec<&str> = h["not_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["rule"].as_str().unwrap())
        .collect();
    assert!(
        not_evaluated.contains(&"U301"),
        "the ACL rule must be listed as not evaluated: {not_evaluated:?}"
    );
    assert!(h["rules_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "U201"));
}

fn copy_example(dir: &Path, name: &str) {
    std::fs::copy(examples().join(name), dir.join(name)).unwrap();
}

#[test]
fn a_file_that_is_not_json_is_an_error_host_and_the_others_are_still_evaluated() {
    let input = tempfile::tempdir().unwrap();
    copy_example(input.path(), "WEB-01.json");
    std::fs::write(input.path().join("broken.json"), "{ \"schema\": ").unwrap();
    let out = tempfile::tempdir().unwrap();
    let assert = iis_sweep()
        .args(["check", "--out"])
        .arg(out.path())
        .arg(input.path())
        .assert()
        .code(3);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("broken.json"),
        "error names the file: {stderr}"
    );
    let report = read_report(out.path());
    assert_eq!(host(&report, "WEB-01")["status"], "ok");
    let broken = host(&report, "broken");
    assert_eq!(broken["status"], "error");
    assert!(broken["reason"].as_str().unwrap().contains("line 1"));
}

#[test]
fn a_wrong_schema_version_is_refused_with_the_version_named() {
    let input = tempfile::tempdir().unwrap();
    copy_example(input.path(), "WEB-01.json");
    std::fs::write(
        input.path().join("old.json"),
        r#"{"schema":"iis-sweep/snapshot/0","host":{"name":"old"}}"#,
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    iis_sweep()
        .args(["check", "--out"])
        .arg(out.path())
        .arg(input.path())
        .assert()
        .code(3);
    let report = read_report(out.path());
    let old = host(&report, "old");
    assert_eq!(old["status"], "error");
    assert!(old["reason"]
        .as_str()
        .unwrap()
        .contains("iis-sweep/snapshot/0"));
    assert_eq!(host(&report, "WEB-01")["status"], "ok");
}

#[test]
fn malformed_applicationhost_xml_names_file_line_and_column() {
    let input = tempfile::tempdir().unwrap();
    copy_example(input.path(), "WEB-01.json");
    let mut snap: Value =
        serde_json::from_str(&std::fs::read_to_string(examples().join("WEB-02.json")).unwrap())
            .unwrap();
    snap["host"]["name"] = "BADXML".into();
    snap["files"][0]["text"] =
        "<configuration>\n  <system.webServer>\n    <oops attr=\"x>\n</configuration>".into();
    std::fs::write(input.path().join("BADXML.json"), snap.to_string()).unwrap();
    let out = tempfile::tempdir().unwrap();
    iis_sweep()
        .args(["check", "--out"])
        .arg(out.path())
        .arg(input.path())
        .assert()
        .code(3);
    let report = read_report(out.path());
    let bad = host(&report, "BADXML");
    assert_eq!(bad["status"], "error");
    let reason = bad["reason"].as_str().unwrap();
    assert!(reason.contains("applicationHost.config"), "{reason}");
    assert!(reason.contains("line"), "{reason}");
    assert_eq!(host(&report, "WEB-01")["status"], "ok");
}

#[test]
fn host_supplied_markup_is_escaped_in_html() {
    let input = tempfile::tempdir().unwrap();
    let mut snap: Value =
        serde_json::from_str(&std::fs::read_to_string(examples().join("WEB-02.json")).unwrap())
            .unwrap();
    let evil = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>{{7*7}}";
    snap["host"]["name"] = evil.into();
    std::fs::write(input.path().join("evil.json"), snap.to_string()).unwrap();
    let out = tempfile::tempdir().unwrap();
    iis_sweep()
        .args(["check", "--fail-on", "none", "--out"])
        .arg(out.path())
        .arg(input.path())
        .assert()
        .code(0);
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(!html.contains("<script>alert(1)"), "raw script tag leaked");
    assert!(!html.contains("<img src=x"), "raw img tag leaked");
    assert!(
        html.contains("&lt;script&gt;alert(1)") || html.contains("\\u003cscript\\u003ealert(1)")
    );
    // Only our own two scripts exist in the page.
    assert_eq!(html.matches("<script").count(), 2);
}

#[test]
fn missing_path_is_a_usage_error_naming_it() {
    iis_sweep()
        .args(["check", "/nonexistent/iis-sweep-input"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("/nonexistent/iis-sweep-input"));
}

#[test]
fn rules_lists_the_catalogue() {
    let assert = iis_sweep().arg("rules").assert().success();
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(out.contains("U201") && out.contains("U301"));
}

#[test]
fn why_ranks_the_acl_cause_with_log_evidence() {
    let assert = iis_sweep()
        .args([
            "why",
            "--site",
            "Shop",
            "--url",
            "/cart/checkout.aspx",
            "--substatus",
            "401.3",
        ])
        .arg(examples().join("WEB-03.json"))
        .assert()
        .code(1);
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(out.contains("1. [401.3] U301"), "{out}");
    assert!(out.contains("412 matching responses"), "{out}");
    assert!(
        out.contains("icacls \"D:\\Sites\\Shop\" /grant \"*S-1-5-17:(OI)(CI)RX\""),
        "{out}"
    );
}

#[test]
fn why_says_no_config_cause_and_what_was_checked() {
    let assert = iis_sweep()
        .args([
            "why",
            "--site",
            "Shop",
            "--url",
            "/",
            "--substatus",
            "401.3",
        ])
        .arg(examples().join("WEB-01.json"))
        .assert()
        .code(0);
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(
        out.contains("No configuration cause found for 401.3"),
        "{out}"
    );
    assert!(out.contains("Checked: ") && out.contains("U301"), "{out}");
}

#[test]
fn why_names_the_sites_when_the_site_is_unknown() {
    iis_sweep()
        .args(["why", "--site", "Nope"])
        .arg(examples().join("WEB-01.json"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("Intranet"));
}

#[test]
fn access_shows_the_identity_and_the_verdict() {
    let assert = iis_sweep()
        .args(["access", "--site", "Shop", "--json"])
        .arg(examples().join("WEB-03.json"))
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(v["physical_path"], "D:\\Sites\\Shop");
    let ids = v["identities"].as_array().unwrap();
    assert_eq!(ids.len(), 1, "{v:#}");
    assert_eq!(ids[0]["principal"], "NT AUTHORITY\\IUSR");
    assert_eq!(ids[0]["folder"], "not granted");
    // The same folder with the default ACL on WEB-01 is readable.
    let assert = iis_sweep()
        .args(["access", "--site", "Shop", "--json"])
        .arg(examples().join("WEB-01.json"))
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(v["identities"][0]["folder"], "granted");
}

#[test]
fn config_prints_values_with_their_origin() {
    let assert = iis_sweep()
        .args([
            "config",
            "--site",
            "Intranet",
            "--path",
            "/hr",
            "--section",
            "system.webServer/security/authentication/windowsAuthentication",
        ])
        .arg(examples().join("WEB-02.json"))
        .assert()
        .success();
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(out.contains("applicationHost.config:113"), "{out}");
    assert!(out.contains("schema default"), "{out}");
}

#[test]
fn rules_config_disables_overrides_and_waives_with_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("rules.toml");
    std::fs::write(
        &cfg,
        r#"
[rules.U201]
severity = "low"

[[waiver]]
rule = "U301"
host = "WEB-0*"
site = "Shop"
justification = "Shop content moves to the CDN in December (CHG-1234)"
expires = "2099-12-31"

[[waiver]]
rule = "U201"
host = "*"
justification = "old exception"
expires = "2001-01-01"
"#,
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    iis_sweep()
        .args(["check", "--rules-config"])
        .arg(&cfg)
        .arg("--out")
        .arg(out.path())
        .arg(examples().join("WEB-02.json"))
        .arg(examples().join("WEB-03.json"))
        // U201 is now low and U301 waived: nothing at or above high remains.
        .assert()
        .code(0);
    let report = read_report(out.path());
    let findings = report["findings"].as_array().unwrap();
    let u201 = findings.iter().find(|f| f["rule"] == "U201").unwrap();
    assert_eq!(u201["severity"], "low");
    assert!(
        u201.get("waived").is_none(),
        "the expired waiver must not apply"
    );
    let u301 = findings.iter().find(|f| f["rule"] == "U301").unwrap();
    assert!(u301["waived"]["justification"]
        .as_str()
        .unwrap()
        .contains("CHG-1234"));
    assert_eq!(report["totals"]["waived"], 1);
    let notes = report["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("expired")),
        "{notes:?}"
    );

    // Disabling a rule removes it from the run.
    std::fs::write(&cfg, "[rules.U301]\nenabled = false\n").unwrap();
    iis_sweep()
        .args(["check", "--fail-on", "none", "--rules-config"])
        .arg(&cfg)
        .arg("--out")
        .arg(out.path())
        .arg(examples().join("WEB-03.json"))
        .assert()
        .success();
    let report = read_report(out.path());
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["rule"] != "U301"));
    assert!(!report["hosts"][0]["rules_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "U301"));
}

#[test]
fn a_bad_rules_config_names_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("rules.toml");
    std::fs::write(
        &cfg,
        "[[waiver]]\nrule = \"U999\"\njustification = \"x\"\nexpires = \"2030-01-01\"\n",
    )
    .unwrap();
    iis_sweep()
        .args(["check", "--rules-config"])
        .arg(&cfg)
        .arg(examples().join("WEB-01.json"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("rules.toml"))
        .stderr(predicates::str::contains("U999"));
}

#[test]
fn report_rerenders_every_format_and_marks_drift_against_a_baseline() {
    let first = tempfile::tempdir().unwrap();
    iis_sweep()
        .args(["check", "--fail-on", "none", "--format", "json", "--out"])
        .arg(first.path())
        .arg(examples().join("WEB-02.json"))
        .arg(examples().join("WEB-03.json"))
        .assert()
        .success();
    // The next sweep: WEB-03 fixed (its findings resolved), WEB-02 unchanged.
    let second = tempfile::tempdir().unwrap();
    iis_sweep()
        .args(["check", "--fail-on", "none", "--format", "json", "--out"])
        .arg(second.path())
        .arg(examples().join("WEB-02.json"))
        .arg(examples().join("WEB-01.json"))
        .assert()
        .success();
    let out = tempfile::tempdir().unwrap();
    iis_sweep()
        .args(["report", "--format", "all", "--input"])
        .arg(second.path().join("report.json"))
        .arg("--baseline")
        .arg(first.path().join("report.json"))
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    for f in [
        "report.json",
        "report.html",
        "findings.csv",
        "junit.xml",
        "report.sarif",
        "findings.ndjson",
        "inspec.json",
    ] {
        let p = out.path().join(f);
        assert!(
            p.metadata().map(|m| m.len() > 0).unwrap_or(false),
            "{f} missing or empty"
        );
    }
    let report = read_report(out.path());
    let u201 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "U201")
        .unwrap();
    assert_eq!(u201["drift"], "unchanged");
    let resolved = report["baseline"]["resolved"].as_array().unwrap();
    assert!(resolved
        .iter()
        .any(|f| f["rule"] == "U301" && f["host"] == "WEB-03"));
}

// ---- input kinds: by content, never by name -----------------------------------------------------

fn inputs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/inputs")
}

#[test]
fn a_bare_web_config_that_denies_everyone_is_evaluated_and_exits_1() {
    let out = tempfile::tempdir().unwrap();
    let a = iis_sweep()
        .args(["check", "--out"])
        .arg(out.path())
        .arg(inputs().join("deny-everyone.web.config"))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        stderr.contains("Default Web Site"),
        "the assumption is stated: {stderr}"
    );
    let report = read_report(out.path());
    let h = &report["hosts"][0];
    assert_eq!(h["status"], "partial");
    assert!(h["reason"]
        .as_str()
        .unwrap()
        .contains("default IIS 10 host"));
    // On a default IIS 10 host URL Authorization is not installed: the deny rules do not run,
    // and that is what is reported; the evidence names the file given.
    let f = &report["findings"][0];
    assert_eq!(f["rule"], "H010");
    let evidence = f["evidence"].to_string();
    assert!(evidence.contains("deny-everyone.web.config"), "{evidence}");
    assert!(!evidence.contains("inetpub"), "{evidence}");
}

#[test]
fn a_real_web_config_and_a_fragment_are_checked_as_web_configs() {
    let out = tempfile::tempdir().unwrap();
    iis_sweep()
        .args(["check", "--fail-on", "none", "--format", "json", "--out"])
        .arg(out.path())
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/iis/real/iis10-server2019/web.config"),
        )
        .arg(inputs().join("webserver-fragment.xml"))
        .assert()
        .success();
    let report = read_report(out.path());
    for h in report["hosts"].as_array().unwrap() {
        assert_eq!(h["status"], "partial", "{h}");
        assert!(!h["rules_evaluated"].as_array().unwrap().is_empty(), "{h}");
    }
    // The fragment sets authentication sections that a default host locks: 500.19 (C001), as
    // on a real server, with the fragment's own line.
    let fired = rules_fired(&report, "webserver-fragment");
    assert!(fired.iter().any(|r| r == "C001"), "{fired:?}");
}

#[test]
fn an_applicationhost_saved_as_txt_is_checked_like_one() {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/scanner/assets/iis10-host/applicationHost.config");
    let txt = dir.path().join("server-config.txt");
    let named = dir.path().join("applicationHost.config");
    std::fs::copy(&src, &txt).unwrap();
    std::fs::copy(&src, &named).unwrap();
    let mut results = Vec::new();
    for p in [&txt, &named] {
        let out = dir
            .path()
            .join(format!("out-{}", p.file_name().unwrap().to_string_lossy()));
        iis_sweep()
            .args(["check", "--fail-on", "none", "--format", "json", "--out"])
            .arg(&out)
            .arg(p)
            .assert()
            .success();
        let r = read_report(&out);
        results.push((
            r["hosts"][0]["status"].clone(),
            r["hosts"][0]["rules_evaluated"].clone(),
            r["findings"].as_array().unwrap().len(),
        ));
    }
    assert_eq!(results[0], results[1]);
}

#[test]
fn transforms_logs_and_other_xml_are_refused_with_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("settings.xml");
    std::fs::write(
        &other,
        "<?xml version=\"1.0\"?>\n<settings><a/></settings>\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    iis_sweep()
        .args(["check", "--format", "json", "--out"])
        .arg(&out)
        .arg(inputs().join("web.Release.config"))
        .arg(inputs().join("u_ex230101.log"))
        .arg(&other)
        .assert()
        .code(3);
    let report = read_report(&out);
    let reasons: Vec<String> = report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            assert_eq!(h["status"], "error");
            h["reason"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("XDT transform")),
        "{reasons:?}"
    );
    assert!(reasons.iter().any(|r| r.contains("W3C log")), "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.contains("root <settings>")),
        "{reasons:?}"
    );
}

#[test]
fn config_and_access_report_the_parse_error_not_an_empty_site_list() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("server.xml");
    std::fs::write(
        &bad,
        "<?xml version=\"1.0\"?>\n<configuration>\n <system.applicationHost>\n  <sites>\n   <site name=\"A\" id=\"1\">\n</configuration>\n",
    )
    .unwrap();
    for cmd in ["config", "access"] {
        let out = iis_sweep()
            .args([cmd, "--site", "A"])
            .arg(&bad)
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(err.contains("server.xml: line 6, column 1"), "{cmd}: {err}");
        assert!(!err.contains("(none)"), "{cmd}: {err}");
    }
}

/// The real IIS 10 applicationHost.config (origin: crates/scanner/assets/iis10-host/README.md)
/// with a location tag appended.
fn real_apphost_with(dir: &Path, location: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/scanner/assets/iis10-host/applicationHost.config");
    let text = std::fs::read_to_string(src).unwrap();
    let at = text.rfind("</configuration>").unwrap();
    let p = dir.join("applicationHost.config");
    std::fs::write(&p, format!("{}{location}\n{}", &text[..at], &text[at..])).unwrap();
    p
}

#[test]
fn a_bare_applicationhost_records_coverage_and_unseen_delegation() {
    let dir = tempfile::tempdir().unwrap();
    let apphost = real_apphost_with(
        dir.path(),
        r#"<location path="Default Web Site"><system.webServer><security><authorization>
<remove users="*" roles="" verbs="" /><add accessType="Deny" users="*" /></authorization></security></system.webServer></location>"#,
    );
    let out = dir.path().join("out");
    let a = iis_sweep()
        .args(["check", "--format", "json,html", "--out"])
        .arg(&out)
        .arg(&apphost)
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(stdout.contains("partly evaluated"), "{stdout}");
    let report = read_report(&out);
    let cov = &report["hosts"][0]["coverage"];
    assert_eq!(cov["evaluated"], true);
    let state = |part: &str| {
        cov["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["part"] == part)
            .unwrap_or_else(|| panic!("{part} missing: {cov}"))["state"]
            .clone()
    };
    assert_eq!(state("applicationHost.config"), "evaluated");
    assert_eq!(state("web.config files"), "not-collected");
    assert_eq!(state("folder ACLs"), "not-collected");
    let unseen = &cov["not_seen"][0];
    assert_eq!(unseen["site"], "Default Web Site");
    assert_eq!(unseen["file"], r"C:\inetpub\wwwroot\web.config");
    let sections = unseen["sections"].to_string();
    assert!(
        sections.contains("system.webServer/security/authorization"),
        "{sections}"
    );
    // Authentication is locked on a default host: a web.config cannot change it.
    assert!(!sections.contains("anonymousAuthentication"), "{sections}");
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "H010")
        .expect("H010");
    assert_eq!(
        f["confidence"],
        r"unless overridden in C:\inetpub\wwwroot\web.config"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains(r#"data-total="clean">0<"#),
        "no host is clean"
    );
    assert!(html.contains(r#"data-total="partly">1<"#));
}

#[test]
fn a_snapshot_with_nothing_evaluable_is_not_evaluated_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("empty.json");
    std::fs::write(
        &snap,
        r#"{"schema":"iis-sweep/snapshot/1","host":{"name":"web09"},"collected":{"registry":true}}"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    iis_sweep()
        .args(["check", "--format", "json,html", "--out"])
        .arg(&out)
        .arg(&snap)
        .assert()
        .code(3);
    let report = read_report(&out);
    let h = &report["hosts"][0];
    assert_eq!(h["status"], "not-evaluated", "{h}");
    assert_eq!(h["coverage"]["evaluated"], false);
    assert!(h["reason"].as_str().unwrap().contains("not clean"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains(r#"data-total="clean">0<"#));
    assert!(html.contains(r#"data-status="not-evaluated">1<"#));
    // --fail-on none is the one way to accept it.
    iis_sweep()
        .args(["check", "--fail-on", "none", "--format", "json", "--out"])
        .arg(dir.path().join("out2"))
        .arg(&snap)
        .assert()
        .success();
}

fn why(args: &[&str], file: &Path) -> String {
    // Exit 1 when a cause is found, 0 when none is.
    let a = iis_sweep().arg("why").arg(file).args(args).assert();
    let code = a.get_output().status.code();
    assert!(matches!(code, Some(0 | 1)), "{:?}", a.get_output());
    String::from_utf8_lossy(&a.get_output().stdout).to_string()
}

#[test]
fn why_honours_the_most_specific_location() {
    let file = inputs().join("login-exempt.web.config");
    let site = ["--site", "Default Web Site", "--url"];
    let page = why(&[&site[..], &["/Secure/Page.aspx"]].concat(), &file);
    assert!(page.contains("] U206"), "{page}");
    // Evidence names the file given, with its line.
    assert!(
        page.contains("login-exempt.web.config:13: <deny users=\"?\" />"),
        "{page}"
    );
    let login = why(&[&site[..], &["/Secure/Login.aspx"]].concat(), &file);
    assert!(!login.contains("] U206"), "{login}");
    assert!(login.contains("No configuration cause found"), "{login}");
}

#[test]
fn why_honours_inherit_in_child_applications() {
    let dir = tempfile::tempdir().unwrap();
    let apphost = real_apphost_with(
        dir.path(),
        r#"<location path="Default Web Site" inheritInChildApplications="false"><system.webServer><security><authentication>
<anonymousAuthentication enabled="false" /></authentication></security></system.webServer></location>"#,
    );
    let text = std::fs::read_to_string(&apphost).unwrap().replacen(
        "                <bindings>",
        r#"                <application path="/Child" applicationPool="DefaultAppPool">
                    <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\child" />
                </application>
                <bindings>"#,
        1,
    );
    std::fs::write(&apphost, text).unwrap();
    let site = ["--site", "Default Web Site", "--url"];
    let root = why(&[&site[..], &["/index.html"]].concat(), &apphost);
    assert!(root.contains("] U201"), "{root}");
    assert!(root.contains("applicationHost.config"), "{root}");
    let child = why(&[&site[..], &["/Child/index.html"]].concat(), &apphost);
    assert!(!child.contains("] U201"), "{child}");
}

#[test]
fn access_names_the_pool_identity_and_its_sid_without_an_acl() {
    let dir = tempfile::tempdir().unwrap();
    let apphost = real_apphost_with(
        dir.path(),
        r#"<location path="Default Web Site"><system.webServer><security><authentication>
<anonymousAuthentication userName="" /></authentication></security></system.webServer></location>"#,
    );
    let a = iis_sweep()
        .args(["access", "--json", "--site", "Default Web Site"])
        .arg(&apphost)
        .assert()
        .success();
    let r: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    let id = &r["identities"][0];
    assert_eq!(id["principal"], r"IIS APPPOOL\DefaultAppPool", "{r}");
    // The virtual account's SID: S-1-5-82 and the SHA-1 of the upper-cased pool name.
    assert_eq!(
        id["sid"],
        "S-1-5-82-3006700770-424185619-1745488364-794895919-4004696415"
    );
    let why = id["not_evaluated"].as_str().unwrap();
    assert!(
        why.contains(r"no ACL collected for C:\inetpub\wwwroot"),
        "{why}"
    );
    assert!(why.contains("icacls"), "{why}");
}

#[test]
fn snapshot_schema_errors_give_the_json_path_and_place_without_rust_names() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(examples().join("WEB-01.json")).unwrap();
    let mut snap: Value = serde_json::from_str(&text).unwrap();
    type Case = (&'static str, fn(&mut Value), &'static str);
    let cases: [Case; 3] = [
        (
            "registry",
            |s| s["registry"][0]["data"] = serde_json::json!({"x": 1}),
            "$.registry[0].data: expected registry data",
        ),
        (
            "role",
            |s| s["files"][0]["role"] = "app-host".into(),
            "$.files[0].role: unknown variant \"app-host\"",
        ),
        (
            "host",
            |s| s["host"] = "web".into(),
            "$.host: invalid type: string \"web\", expected an object",
        ),
    ];
    for (name, break_it, expected) in cases {
        let mut s = snap.clone();
        break_it(&mut s);
        let file = dir.path().join(format!("{name}.json"));
        std::fs::write(&file, serde_json::to_string_pretty(&s).unwrap()).unwrap();
        let a = iis_sweep()
            .args(["check", "--format", "json", "--out"])
            .arg(dir.path().join("out"))
            .arg(&file)
            .assert()
            .code(3);
        let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(stderr.contains(", column "), "{name}: {stderr}");
        for rust in [
            "RegistryData",
            "untagged",
            "Option",
            "struct ",
            "HostFacts",
            "FileRole",
        ] {
            assert!(!stderr.contains(rust), "{name}: {rust} in {stderr}");
        }
    }
    snap["schema"] = "iis-sweep/snapshot/9".into();
    snap["host"] = "web".into();
    let file = dir.path().join("future.json");
    std::fs::write(&file, snap.to_string()).unwrap();
    let a = iis_sweep()
        .args(["check", "--format", "json", "--out"])
        .arg(dir.path().join("out"))
        .arg(&file)
        .assert()
        .code(3);
    // A snapshot of another version is named as such, not as a type error.
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(stderr.contains("iis-sweep/snapshot/9"), "{stderr}");
}

/// The real IIS Express applicationhost.config (origin: tests/fixtures/iis/real/README.md) with
/// two third-party ISAPI filters added next to ASP.NET's, one per bitness, and the pool's
/// `enable32BitAppOnWin64` set as given.
fn iisexpress_with_filters(dir: &Path, pool_32bit: bool) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/iis/real/iisexpress/applicationhost.config");
    let mut text = std::fs::read_to_string(src).unwrap().replacen(
        "<isapiFilters>",
        r#"<isapiFilters>
            <filter name="SsoAgent32" path="C:\Agents\sso32.dll" preCondition="bitness32" />
            <filter name="SsoAgent64" path="C:\Agents\sso64.dll" preCondition="bitness64,runtimeVersionv4.0" />"#,
        1,
    );
    if pool_32bit {
        text = text.replacen(
            r#"<add name="Clr4IntegratedAppPool" "#,
            r#"<add name="Clr4IntegratedAppPool" enable32BitAppOnWin64="true" "#,
            1,
        );
    }
    let p = dir.join(format!("applicationhost-{pool_32bit}.config"));
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn isapi_filters_respect_precondition_against_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    for (pool_32bit, fires, silent, bitness) in [
        (false, "SsoAgent64", "SsoAgent32", "64-bit"),
        (true, "SsoAgent32", "SsoAgent64", "32-bit"),
    ] {
        let out = dir.path().join(format!("out-{pool_32bit}"));
        iis_sweep()
            .args(["check", "--fail-on", "none", "--format", "json", "--out"])
            .arg(&out)
            .arg(iisexpress_with_filters(dir.path(), pool_32bit))
            .assert()
            .success();
        let report = read_report(&out);
        let messages: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "U401")
            .map(|f| f["message"].as_str().unwrap().to_string())
            .collect();
        assert!(
            messages.iter().any(|m| m.contains(fires)
                && m.contains(&format!(
                    "holds in pool Clr4IntegratedAppPool ({bitness}, v4.0, Integrated)"
                ))),
            "{pool_32bit}: {messages:?}"
        );
        assert!(
            !messages.iter().any(|m| m.contains(silent)),
            "{pool_32bit}: {messages:?}"
        );
        // ASP.NET's own filters are never reported.
        assert!(
            !messages.iter().any(|m| m.contains("ASP.Net")),
            "{messages:?}"
        );
    }
}

#[test]
fn an_authentication_module_kept_out_of_the_pool_by_its_precondition_is_a_401_2() {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/iis/real/iisexpress/applicationhost.config");
    let text = std::fs::read_to_string(src)
        .unwrap()
        .replacen(
            r#"<add name="WindowsAuthenticationModule" image="%IIS_BIN%\authsspi.dll" />"#,
            r#"<add name="WindowsAuthenticationModule" image="%IIS_BIN%\authsspi.dll" preCondition="bitness32" />"#,
            1,
        )
        .replacen(
            r#"<anonymousAuthentication enabled="true" userName="" />"#,
            r#"<anonymousAuthentication enabled="false" userName="" />"#,
            1,
        )
        .replacen(
            r#"<windowsAuthentication enabled="false">"#,
            r#"<windowsAuthentication enabled="true">"#,
            1,
        );
    let config = dir.path().join("applicationhost.config");
    std::fs::write(&config, text).unwrap();
    let out = dir.path().join("out");
    iis_sweep()
        .args(["check", "--format", "json", "--out"])
        .arg(&out)
        .arg(&config)
        .assert()
        .code(1);
    let report = read_report(&out);
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "U202")
        .unwrap_or_else(|| panic!("no U202: {report}"));
    let m = f["message"].as_str().unwrap();
    assert!(
        m.contains("not loaded: preCondition \"bitness32\" (bitness32) does not hold in pool Clr4IntegratedAppPool (64-bit, v4.0, Integrated)"),
        "{m}"
    );
}

#[test]
fn out_dash_writes_one_format_to_stdout_and_nothing_else() {
    let a = iis_sweep()
        .args([
            "check",
            "--fail-on",
            "none",
            "--format",
            "json",
            "--out",
            "-",
        ])
        .arg(examples())
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    let report: Value = serde_json::from_str(&stdout).expect("stdout is exactly the report");
    assert_eq!(report["schema"], "iis-sweep/report/1");
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(stderr.contains("hosts ("), "summary on stderr: {stderr}");
    assert!(!stderr.contains("wrote"), "{stderr}");
    // Two formats cannot share stdout: refused before any work, nothing written.
    let dir = tempfile::tempdir().unwrap();
    let a = iis_sweep()
        .current_dir(dir.path())
        .args(["check", "--format", "json,csv", "--out", "-"])
        .arg(examples())
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(stderr.contains("one format"), "{stderr}");
    assert!(!dir.path().join("-").exists());
}

#[test]
fn quiet_prints_nothing_but_errors() {
    let dir = tempfile::tempdir().unwrap();
    let a = iis_sweep()
        .args(["-q", "check", "--fail-on", "none", "--out"])
        .arg(dir.path())
        .arg(examples())
        .assert()
        .success();
    assert!(a.get_output().stdout.is_empty(), "{:?}", a.get_output());
}

#[test]
fn every_host_has_a_row_in_hosts_csv_and_a_line_in_ndjson() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("empty.json");
    std::fs::write(
        &snap,
        r#"{"schema":"iis-sweep/snapshot/1","host":{"name":"web09"},"collected":{}}"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    iis_sweep()
        .args([
            "check",
            "--fail-on",
            "none",
            "--format",
            "hosts-csv,ndjson",
            "--out",
        ])
        .arg(&out)
        .arg(examples().join("WEB-01.json"))
        .arg(&snap)
        .assert()
        .success();
    let csv = std::fs::read_to_string(out.join("hosts.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(rows[0].starts_with("host,status,reason"));
    assert!(csv.contains("web09,not-evaluated,"), "{csv}");
    let ndjson = std::fs::read_to_string(out.join("findings.ndjson")).unwrap();
    let hosts: Vec<Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["schema"] == "iis-sweep/host/1")
        .collect();
    assert_eq!(hosts.len(), 2, "{ndjson}");
    let web09 = hosts.iter().find(|h| h["host"] == "web09").unwrap();
    assert_eq!(web09["evaluated"], false);
    assert_eq!(web09["host_status"], "not-evaluated");
}

#[test]
fn completions_and_manpage_come_from_the_command_line_definition() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let a = iis_sweep().args(["completions", shell]).assert().success();
        let text = String::from_utf8_lossy(&a.get_output().stdout).to_string();
        for sub in ["scan", "check", "why", "logs"] {
            assert!(text.contains(sub), "{shell}: no {sub}");
        }
        if shell == "bash" {
            // The script must at least be valid bash.
            let dir = tempfile::tempdir().unwrap();
            let f = dir.path().join("c.bash");
            std::fs::write(&f, &text).unwrap();
            let ok = std::process::Command::new("bash")
                .arg("-n")
                .arg(&f)
                .status()
                .unwrap();
            assert!(ok.success());
        }
    }
    let a = iis_sweep().arg("manpage").assert().success();
    let man = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(man.contains(".TH iis-sweep 1"), "{man}");
    assert!(man.contains("completions"));
}

#[test]
fn severity_filters_what_is_listed_not_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all");
    let high = dir.path().join("high");
    iis_sweep()
        .args(["check", "--fail-on", "none", "--format", "json", "--out"])
        .arg(&all)
        .arg(examples())
        .assert()
        .success();
    iis_sweep()
        .args([
            "check",
            "--fail-on",
            "low",
            "--severity",
            "critical",
            "--format",
            "json",
            "--out",
        ])
        .arg(&high)
        .arg(examples())
        .assert()
        .code(1);
    let all = read_report(&all);
    let only = read_report(&high);
    assert!(!all["findings"].as_array().unwrap().is_empty());
    assert!(only["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["severity"] == "critical"));
    assert_eq!(
        only["totals"]["findings"].as_u64().unwrap(),
        only["findings"].as_array().unwrap().len() as u64
    );
    assert!(only["notes"].to_string().contains("--severity critical"));
}

#[test]
fn the_scope_of_a_run_is_recorded_and_a_limited_run_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    iis_sweep()
        .args([
            "check",
            "--fail-on",
            "none",
            "--format",
            "json,html",
            "--out",
        ])
        .arg(&full)
        .arg(examples())
        .assert()
        .success();
    let r = read_report(&full);
    assert_eq!(r["run"]["scope"]["complete"], true, "{}", r["run"]);
    let html = std::fs::read_to_string(full.join("report.html")).unwrap();
    assert!(html.contains("Scope: full"), "full scope in the header");

    let cfg = dir.path().join("rules.toml");
    std::fs::write(
        &cfg,
        "[rules.U201]\nseverity = \"low\"\n\n[rules.H001]\nenabled = false\n\n[[waiver]]\nrule = \"U301\"\nhost = \"*\"\njustification = \"CDN move (CHG-1)\"\nexpires = \"2099-12-31\"\n",
    )
    .unwrap();
    let limited = dir.path().join("limited");
    iis_sweep()
        .args([
            "check",
            "--fail-on",
            "none",
            "--severity",
            "medium",
            "--format",
            "json,html",
        ])
        .arg("--rules-config")
        .arg(&cfg)
        .arg("--out")
        .arg(&limited)
        .arg(examples())
        .assert()
        .success();
    let r = read_report(&limited);
    let scope = &r["run"]["scope"];
    assert_eq!(scope["complete"], false, "{scope}");
    assert_eq!(scope["rules_disabled"], serde_json::json!(["H001"]));
    assert_eq!(scope["severity_overrides"]["U201"], "low");
    assert_eq!(scope["waivers"], 1);
    assert_eq!(scope["min_severity"], "medium");
    assert!(scope["rules_config"]
        .as_str()
        .unwrap()
        .ends_with("rules.toml"));
    let html = std::fs::read_to_string(limited.join("report.html")).unwrap();
    assert!(
        html.contains("Scope: limited: rules disabled: H001; --severity medium"),
        "limited scope in the header"
    );
}
