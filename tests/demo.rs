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
