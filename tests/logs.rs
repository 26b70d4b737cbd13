//! `iis-sweep logs` end to end on the log fixtures (tests/fixtures/logs/README.md).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logs")
}

fn logs_json() -> Value {
    let a = Command::cargo_bin("iis-sweep")
        .unwrap()
        .args(["logs", "--json"])
        .arg(fixtures())
        .assert()
        .success();
    serde_json::from_slice(&a.get_output().stdout).unwrap()
}

fn file<'a>(r: &'a Value, suffix: &str) -> &'a Value {
    r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["path"]
                .as_str()
                .unwrap()
                .replace('\\', "/")
                .ends_with(suffix)
        })
        .unwrap_or_else(|| panic!("{suffix} missing: {r}"))
}

fn group(f: &Value, sub: u64, win32: u64) -> &Value {
    f["unauthorized"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["substatus"] == sub && u["win32"] == win32)
        .unwrap_or_else(|| panic!("401.{sub}/{win32} missing: {f}"))
}

#[test]
fn every_format_is_recognised_with_the_documented_json_shape() {
    let r = logs_json();
    for (suffix, format) in [
        ("W3SVC1/u_ex230101.log", "w3c"),
        ("AdvancedLogs/adv_230101.log", "w3c"),
        ("HTTPERR/httperr1.log", "httperr"),
        ("FTPSVC2/u_ex230101.log", "ftp"),
        ("W3SVC1/headerless.log", "unknown"),
    ] {
        let f = file(&r, suffix);
        assert_eq!(f["format"], format, "{suffix}");
        for key in [
            "path",
            "format",
            "requests",
            "malformed",
            "status",
            "unauthorized",
        ] {
            assert!(f.get(key).is_some(), "{suffix}: no {key}");
        }
    }
}

#[test]
fn a_w3c_log_with_a_layout_change_tells_handshakes_from_failures() {
    let r = logs_json();
    let f = file(&r, "W3SVC1/u_ex230101.log");
    assert_eq!(f["requests"], 10);
    assert_eq!(f["malformed"], 1);
    assert_eq!(f["status"]["401"], 9);
    assert_eq!(f["status"]["200"], 1);
    let first_leg = group(f, 2, 5);
    assert_eq!(first_leg["count"], 4);
    assert_eq!(first_leg["normal_handshake"], true);
    assert_eq!(first_leg["followed_by_success"], 1);
    let bad_password = group(f, 1, 1326);
    assert_eq!(bad_password["count"], 2);
    assert_eq!(bad_password["normal_handshake"], false);
    assert!(bad_password["meaning"]
        .as_str()
        .unwrap()
        .contains("bad user name or password"));
    assert_eq!(bad_password["top_users"][0][0], r"CONTOSO\bob");
    assert!(group(f, 1, 1909)["meaning"]
        .as_str()
        .unwrap()
        .contains("locked out"));
    assert!(group(f, 3, 5)["meaning"].as_str().unwrap().contains("ACL"));
}

#[test]
fn quoted_fields_headerless_files_httperr_and_ftp_edges() {
    let r = logs_json();
    let adv = file(&r, "AdvancedLogs/adv_230101.log");
    assert_eq!(
        adv["malformed"], 0,
        "quoted fields with blanks are one field: {adv}"
    );
    assert_eq!(adv["first"], "2023-01-01 01:00:01");
    // Signed -2146893054 is 0x80090302.
    assert_eq!(group(adv, 1, 2_148_074_242)["count"], 1);
    let none = file(&r, "W3SVC1/headerless.log");
    assert!(none["not_evaluated"].as_str().unwrap().contains("#Fields"));
    assert_eq!(none["unauthorized"].as_array().unwrap().len(), 0);
    let httperr = file(&r, "HTTPERR/httperr1.log");
    assert_eq!(httperr["reasons"]["Timer_ConnectionIdle"], 1);
    assert_eq!(httperr["reasons"]["AppOffline"], 1);
    let ftp = file(&r, "FTPSVC2/u_ex230101.log");
    assert!(ftp["not_evaluated"].as_str().unwrap().contains("FTP"));
    assert_eq!(ftp["unauthorized"].as_array().unwrap().len(), 0);
}

#[test]
fn a_missing_path_is_a_usage_error_naming_it() {
    let a = Command::cargo_bin("iis-sweep")
        .unwrap()
        .args(["logs", "/nonexistent/logs"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(stderr.contains("/nonexistent/logs"), "{stderr}");
}
