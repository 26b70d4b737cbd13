//! `iis-sweep events` on exported Security logs (tests/fixtures/events/README.md says where
//! each file comes from): a real .evtx, a wevtutil-style XML export, the same as UTF-16, and
//! files that are neither.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/events")
}

fn events(args: &[&Path]) -> (Option<i32>, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_iis-sweep"))
        .arg("events")
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code(), v)
}

#[test]
fn a_real_evtx_with_a_successful_validation_has_no_failed_logons() {
    let (code, v) = events(&[&fixtures().join("security-windows2012_4776.evtx")]);
    assert_eq!(code, Some(0));
    let f = &v["files"][0];
    assert_eq!(f["format"], "evtx");
    assert_eq!(f["events"], 1);
    assert_eq!(f["by_id"]["4776"], 1);
    assert_eq!(f["channels"][0], "Security");
    assert_eq!(
        v["failed_logons"].as_array().unwrap().len(),
        0,
        "status 0x0 is a success"
    );
}

#[test]
fn failed_logons_are_grouped_and_explained() {
    let (code, v) = events(&[&fixtures()]);
    assert_eq!(code, Some(0), "{v}");
    let groups = v["failed_logons"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{v:#}");
    let disabled = &groups[0];
    // The shape the issue asks for, with the values of the fixture.
    assert_eq!(disabled["account"], r"CONTOSO\iisanon");
    assert_eq!(disabled["status"], "0xc000006e");
    assert_eq!(disabled["substatus"], "0xc0000072");
    assert_eq!(disabled["logon_type"], "8");
    assert_eq!(disabled["process"], "w3wp.exe");
    assert_eq!(disabled["count"], 2);
    assert_eq!(disabled["meaning"], "account disabled");
    assert_eq!(disabled["first"], "2026-11-30T08:14:02.1234567Z");
    let wrong = &groups[1];
    assert_eq!(wrong["account"], r"CONTOSO\jdoe");
    assert_eq!(wrong["meaning"], "wrong password");
    assert_eq!(wrong["logon_type"], "3");

    // The same export written by PowerShell's `>` (UTF-16 with a byte order mark).
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixtures().join("security-4625.xml")).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    for u in format!("<Events>{text}</Events>").encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let p = dir.path().join("export.xml");
    std::fs::write(&p, utf16).unwrap();
    let (_, v) = events(&[&p]);
    assert_eq!(v["failed_logons"][0]["count"], 2);
}

#[test]
fn a_file_that_is_no_event_log_is_an_error_that_names_it_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("notes.xml");
    std::fs::write(&junk, "hello").unwrap();
    let broken = dir.path().join("broken.evtx");
    std::fs::write(&broken, b"ElfFile\0garbage").unwrap();
    let (code, v) = events(&[&junk, &broken, &fixtures().join("security-4625.xml")]);
    assert_eq!(code, Some(3), "incomplete");
    let errors: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("notes.xml") && errors[1].contains("broken.evtx"));
    assert_eq!(
        v["failed_logons"].as_array().unwrap().len(),
        2,
        "the good file still counts"
    );
}
