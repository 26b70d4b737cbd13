//! `iis-sweep demo` end to end: a generated fleet, the in-process simulator, a sweep over real
//! WinRM (NTLM, sealed), and findings that match the generator's answer key.

use assert_cmd::Command;
use iis_sweep::report::model::Report;
use iis_sweep_sim::demo::score;
use iis_sweep_sim::fleet::AnswerKey;

#[test]
fn demo_finds_what_the_generator_planted() {
    let out = tempfile::tempdir().unwrap();
    let assert = Command::cargo_bin("iis-sweep")
        .unwrap()
        .args(["demo", "--hosts", "60", "--seed", "3", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.contains("report.html"), "{stdout}");
    let report: Report =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    let key: AnswerKey = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("demo-fleet/answers.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report.hosts.len(), key.hosts);
    // Every host is evaluated; only a host with a planted malformed web.config (C004) has a
    // file it could not read, which makes it partial.
    for h in &report.hosts {
        let c004 = key
            .answers
            .iter()
            .any(|a| a.host.eq_ignore_ascii_case(&h.name) && a.rule == "C004");
        let want = if c004 { "partial" } else { "ok" };
        assert_eq!(h.status.as_str(), want, "{}: {:?}", h.name, h.reason);
    }
    let s = score(&key, &report);
    let misses: Vec<_> = s
        .per_rule
        .iter()
        .filter(|(_, (_, fp, fnn))| *fp > 0 || *fnn > 0)
        .collect();
    eprintln!(
        "precision {:.3} recall {:.3}; rules with misses: {misses:?}",
        s.precision(),
        s.recall()
    );
    assert!(!key.answers.is_empty());
    assert!(s.recall() >= 0.9, "recall {:.3}: {misses:?}", s.recall());
    assert!(
        s.precision() >= 0.9,
        "precision {:.3}: {misses:?}",
        s.precision()
    );
}

/// Failed logons planted in a simulated host's Security log reach the scan over WinRM, and the
/// finding for that site cites the events (account, status, logon type, process).
#[test]
fn planted_failed_logons_are_cited_by_the_finding() {
    let out = tempfile::tempdir().unwrap();
    Command::cargo_bin("iis-sweep")
        .unwrap()
        .args(["demo", "--hosts", "50", "--seed", "2", "-q", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let report: Report =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    let key: AnswerKey = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("demo-fleet/answers.json")).unwrap(),
    )
    .unwrap();
    // U107: the anonymous account (w3wp.exe, cleartext logon); H011: a pool's account (WAS,
    // batch logon).
    for (rule, logon, process) in [
        ("U107", "logon type 8", "w3wp.exe"),
        ("H011", "logon type 4", "svchost.exe"),
    ] {
        let planted: Vec<_> = key.answers.iter().filter(|a| a.rule == rule).collect();
        assert!(
            !planted.is_empty(),
            "seed 2 plants {rule} on some of 50 hosts"
        );
        for a in planted {
            let f = report
                .findings
                .iter()
                .find(|f| f.rule == rule && f.host.eq_ignore_ascii_case(&a.host))
                .unwrap_or_else(|| panic!("{rule} not found on {}", a.host));
            assert_eq!(f.site, a.site, "{f:#?}");
            let events: Vec<&str> = f
                .evidence
                .iter()
                .filter(|e| e.kind == iis_sweep::finding::EvidenceKind::Event)
                .map(|e| e.text.as_str())
                .collect();
            assert!(!events.is_empty(), "{f:#?}");
            assert!(
                events
                    .iter()
                    .all(|t| t.contains("event 4625") && t.contains(logon) && t.contains(process)),
                "{events:?}"
            );
            let host = report.hosts.iter().find(|h| h.name == f.host).unwrap();
            assert!(host.coverage.parts.iter().any(|p| p.part == "Security log"));
        }
    }
}

/// `why` puts what the host's Security log shows happening above what configuration suggests:
/// on a generated host with failed logons of its anonymous account, U107 comes before U106.
#[test]
fn why_ranks_observed_failed_logons_first() {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("iis-sweep")
        .unwrap()
        .args(["sim", "generate", "--hosts", "50", "--seed", "2", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let key: AnswerKey =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("answers.json")).unwrap())
            .unwrap();
    let a = key
        .answers
        .iter()
        .find(|a| a.rule == "U107")
        .expect("seed 2 plants U107");
    let site = a.site.clone().unwrap();
    let url = format!(
        "{}/page.aspx",
        a.path.clone().unwrap_or_default().trim_end_matches('/')
    );
    let out = Command::cargo_bin("iis-sweep")
        .unwrap()
        .arg("why")
        .arg(dir.path().join("hosts").join(format!("{}.json", a.host)))
        .args(["--site", &site, "--url", &url, "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = v["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules.first(), Some(&"U107"), "{rules:?}");
    assert!(rules.contains(&"U106"), "{rules:?}");
}
