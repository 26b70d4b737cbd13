//! `iis-sweep check DIR` on an offline bundle (docs/offline.md): a folder copied from a server,
//! assembled here from real files — the IIS 10 applicationHost.config of a real Windows Server
//! (crates/scanner/assets/iis10-host/README.md), a real Security .evtx
//! (tests/fixtures/events/README.md) — and written exports in the formats Windows writes
//! (`reg export`: UTF-16 with a byte order mark; `reg query` text).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn put(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

fn utf16(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

fn check(bundle: &Path, out: &Path) -> Value {
    let run = Command::new(env!("CARGO_BIN_EXE_iis-sweep"))
        .args(["check", "-q", "--fail-on", "none", "--out"])
        .arg(out)
        .arg(bundle)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn part<'a>(host: &'a Value, name: &str) -> &'a str {
    host["coverage"]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["part"] == name)
        .unwrap_or_else(|| panic!("no coverage part {name}: {host:#}"))["state"]
        .as_str()
        .unwrap()
}

#[test]
fn a_full_bundle_is_read_like_a_collected_host() {
    let tmp = tempfile::tempdir().unwrap();
    let b = tmp.path().join("WEB-77");
    let apphost =
        std::fs::read(root().join("crates/scanner/assets/iis10-host/applicationHost.config"))
            .unwrap();
    put(
        &b,
        "C/Windows/System32/inetsrv/config/applicationHost.config",
        &apphost,
    );
    put(
        &b,
        "C/inetpub/wwwroot/web.config",
        &std::fs::read(root().join("tests/fixtures/inputs/deny-everyone.web.config")).unwrap(),
    );
    put(
        &b,
        "registry/lsa.reg",
        &utf16(
            "Windows Registry Editor Version 5.00\r\n\r\n\
             [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Lsa]\r\n\
             \"LmCompatibilityLevel\"=dword:00000001\r\n\r\n\
             [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0]\r\n\
             \"NtlmMinClientSec\"=dword:20080000\r\n",
        ),
    );
    put(
        &b,
        "registry/http.txt",
        b"\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters\r\n    SslBindingInfo    REG_SZ    x\r\n",
    );
    put(
        &b,
        "C/inetpub/logs/LogFiles/W3SVC1/u_ex230101.log",
        &std::fs::read(root().join("tests/fixtures/logs/W3SVC1/u_ex230101.log")).unwrap(),
    );
    put(
        &b,
        "events/security.evtx",
        &std::fs::read(root().join("tests/fixtures/events/security-windows2012_4776.evtx"))
            .unwrap(),
    );
    let r = check(&b, &tmp.path().join("out"));
    let host = &r["hosts"][0];
    assert_eq!(host["name"], "WEB-77");
    assert_eq!(
        host["status"], "partial",
        "ACLs and accounts need the collector"
    );
    for (p, want) in [
        ("applicationHost.config", "evaluated"),
        ("web.config files", "evaluated"),
        ("registry values", "evaluated"),
        ("IIS logs", "evaluated"),
        ("Security log", "evaluated"),
        ("folder ACLs", "not-collected"),
        ("account SIDs", "not-collected"),
    ] {
        assert_eq!(part(host, p), want, "{p}");
    }
    let rules: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"H009"),
        "LmCompatibilityLevel 1 from the .reg export: {rules:?}"
    );
    // The web.config's authorization rules were read (this IIS has no URL Authorization
    // module installed, so they are reported as not enforced), at their Windows path.
    let h010 = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "H010")
        .unwrap_or_else(|| panic!("the web.config denying everyone was read: {rules:?}"));
    assert!(
        h010["evidence"]
            .to_string()
            .contains(r"C:\\inetpub\\wwwroot\\web.config"),
        "{h010:#}"
    );
    assert!(
        !host["log_401"].as_object().unwrap().is_empty(),
        "the W3C log was read"
    );
}

#[test]
fn a_bare_bundle_says_what_is_missing_and_how_to_add_it() {
    let tmp = tempfile::tempdir().unwrap();
    let b = tmp.path().join("audit-copy");
    let apphost =
        std::fs::read(root().join("crates/scanner/assets/iis10-host/applicationHost.config"))
            .unwrap();
    put(&b, "inetsrv/config/applicationHost.config", &apphost);
    let r = check(&b, &tmp.path().join("out"));
    let host = &r["hosts"][0];
    for p in [
        "web.config files",
        "registry values",
        "IIS logs",
        "Security log",
    ] {
        assert_eq!(part(host, p), "not-collected", "{p}");
    }
    let problems = host["problems"].to_string();
    assert!(problems.contains("reg export"), "{problems}");
    assert!(problems.contains("W3SVC"), "{problems}");
    assert!(problems.contains("wevtutil"), "{problems}");
    // Not evaluated is never clean.
    assert_ne!(host["status"], "ok");
}

#[test]
fn icacls_listings_and_save_files_feed_the_acl_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let b = tmp.path().join("WEB-78");
    let apphost =
        std::fs::read(root().join("crates/scanner/assets/iis10-host/applicationHost.config"))
            .unwrap();
    put(
        &b,
        "C/Windows/System32/inetsrv/config/applicationHost.config",
        &apphost,
    );
    // `icacls C:\inetpub\wwwroot > acls\wwwroot.txt` after an admin removed Users and IIS_IUSRS.
    put(
        &b,
        "acls/wwwroot.txt",
        b"C:\\inetpub\\wwwroot NT AUTHORITY\\SYSTEM:(OI)(CI)(F)\r\n                   BUILTIN\\Administrators:(OI)(CI)(F)\r\n\r\nSuccessfully processed 1 files; Failed processing 0 files\r\n",
    );
    let r = check(&b, &tmp.path().join("out"));
    let host = &r["hosts"][0];
    assert_eq!(part(host, "folder ACLs"), "evaluated");
    assert_eq!(part(host, "account SIDs"), "not-collected");
    let u301 = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "U301")
        .unwrap_or_else(|| panic!("IUSR cannot read wwwroot: {:#}", r["findings"]));
    assert!(
        u301.to_string().contains(r"C:\\inetpub\\wwwroot"),
        "{u301:#}"
    );

    // The same folder as `icacls C:\inetpub\wwwroot /save C\inetpub\wwwroot.acl /t` (UTF-16LE,
    // no BOM, paths relative to C:\inetpub) with the default ACL: nothing to report.
    std::fs::remove_dir_all(b.join("acls")).unwrap();
    put(
        &b,
        "C/inetpub/wwwroot.acl",
        &std::fs::read(root().join("tests/fixtures/acls/icacls-save.acl")).unwrap(),
    );
    let r = check(&b, &tmp.path().join("out2"));
    assert_eq!(part(&r["hosts"][0], "folder ACLs"), "evaluated");
    let acl_rules: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("U30"))
        .collect();
    assert!(acl_rules.is_empty(), "default ACL: {acl_rules:#?}");
    let host = &r["hosts"][0];
    assert!(
        host["rules_evaluated"].to_string().contains("\"U301\""),
        "U301 was judged on the saved ACL: {host:#}"
    );
    assert!(
        !host["not_evaluated"].to_string().contains("U301"),
        "{:#}",
        host["not_evaluated"]
    );
}
