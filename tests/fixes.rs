//! `iis-sweep fixes`: the generated PowerShell parses, applies every open finding's steps,
//! leaves waived findings out, and keeps hostile host text inside string literals and comments.
//! The scripts cannot run here (no Windows); the grammar (tree-sitter-powershell) is the judge.

#[path = "browser/fixture.rs"]
mod fixture;
#[path = "support/powershell.rs"]
mod powershell;

use assert_cmd::Command;
use iis_sweep::finding::fix::{Commit, FixStep, RegValue};
use iis_sweep::report::fix_script;
use powershell::{code_only, syntax_problems};

/// Names a hostile host could report: each tries to end a literal or a comment and run code.
const HOSTILE: &[&str] = &[
    "x'; Start-Process calc; '",
    "x\u{2019}; Start-Process calc; \u{2018}",
    "x\n Start-Process calc #",
    "x\r\nStart-Process calc",
    "$(Start-Process calc)",
    "x\" & calc & \"",
    "x`; Start-Process calc",
    "x\u{2028}Start-Process calc",
    "@' \n Start-Process calc \n'@",
    "x#> Start-Process calc <#",
];

fn every_step(name: &str) -> Vec<FixStep> {
    vec![
        FixStep::SetConfig {
            location: Some(format!("{name}/app")),
            section: "system.webServer/security/access".into(),
            attribute: "sslFlags".into(),
            value: name.into(),
            commit: Commit::Apphost,
        },
        FixStep::SetConfig {
            location: Some(name.into()),
            section: "system.web/authentication".into(),
            attribute: "forms.requireSSL".into(),
            value: "True".into(),
            commit: Commit::WebConfig,
        },
        FixStep::AddToCollection {
            location: name.into(),
            section: "system.webServer/security/authentication/windowsAuthentication".into(),
            collection: Some("providers".into()),
            entry: vec![("value".into(), name.into())],
        },
        FixStep::SetAppPool {
            pool: name.into(),
            attribute: "processModel.identityType".into(),
            value: "ApplicationPoolIdentity".into(),
        },
        FixStep::Grant {
            path: format!("D:\\Sites\\{name}\\"),
            trustee: format!("IIS AppPool\\{name}"),
            rights: "(OI)(CI)RX".into(),
        },
        FixStep::RemoveAces {
            path: format!("D:\\{name}"),
            trustee: "*S-1-5-32-545".into(),
            deny_only: true,
        },
        FixStep::StopInheritance {
            path: format!("D:\\{name}"),
        },
        FixStep::SetRegistry {
            key: r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0".into(),
            name: "BackConnectionHostNames".into(),
            value: RegValue::MultiSz(vec![name.into(), "intranet".into()]),
        },
        FixStep::RemoveRegistry {
            key: r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa".into(),
            name: name.into(),
        },
        FixStep::InstallFeature {
            name: "Web-Url-Auth".into(),
        },
    ]
}

#[test]
fn the_grammar_catches_code_outside_literals() {
    // Guards the guard: an unquoted payload is code.
    assert!(code_only("Write-Host x; Start-Process calc\n").contains("calc"));
    assert!(!code_only("Write-Host 'x; Start-Process calc'\n").contains("calc"));
}

#[test]
fn hostile_names_stay_inside_literals_and_comments() {
    let mut report = fixture::hostile_report();
    for (n, f) in report.findings.iter_mut().enumerate() {
        f.waived = None;
        let name = HOSTILE[n % HOSTILE.len()];
        f.site = Some(name.to_string());
        f.url_path = Some(format!("/{name}"));
        f.message = format!("message {name}");
        f.fix = format!("fix {name}");
        f.steps = HOSTILE.iter().flat_map(|h| every_step(h)).collect();
    }
    assert!(report.findings.len() >= 2);
    // A finding with no steps: its text fix goes into comments.
    report.findings[0].steps.clear();
    report.findings[0].host = HOSTILE[0].to_string();
    let scripts = fix_script::scripts(&report, &[]);
    assert!(!scripts.is_empty());
    for s in &scripts {
        let problems = syntax_problems(&s.text);
        assert!(
            problems.is_empty(),
            "{}:\n{}",
            s.file_name,
            problems.join("\n")
        );
        let code = code_only(&s.text);
        assert!(
            !code.contains("calc"),
            "host text escaped into code in {}:\n{}",
            s.file_name,
            code.lines()
                .filter(|l| l.contains("calc"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert!(
            s.file_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c)),
            "{}",
            s.file_name
        );
        assert!(s.text.contains("param(") && s.text.contains("[switch]$Apply"));
    }
    // The double quote in a folder name is refused for icacls (it would split arguments in
    // Windows PowerShell 5.1), and the cmd.exe line of such a step is a comment.
    let all: String = scripts.iter().map(|s| s.text.as_str()).collect();
    assert!(all.contains("holds a double quote"));
    let step = &every_step(HOSTILE[5])[4];
    assert!(step.cmd().starts_with("rem "), "{}", step.cmd());
}

/// A sweep end to end: a 30-host demo fleet (generated hosts with planted problems, swept over WinRM
/// against the simulator), then `fixes` writes a script per host with open findings; each
/// parses, previews by default, and holds every step of every open finding of its host.
#[test]
fn fixes_for_a_swept_fleet() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let status = Command::cargo_bin("iis-sweep")
        .unwrap()
        .args(["demo", "--hosts", "30", "-q", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let report = iis_sweep::report::json::read(&out.join("report.json")).unwrap();
    let with_steps = report
        .findings
        .iter()
        .filter(|f| !f.steps.is_empty())
        .count();
    assert!(with_steps >= 10, "rules give steps: {with_steps}");

    let scripts = dir.path().join("fixes");
    let run = Command::cargo_bin("iis-sweep")
        .unwrap()
        .arg("fixes")
        .arg(out.join("report.json"))
        .arg("--out")
        .arg(&scripts)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(said.contains("run it with -Apply"), "{said}");

    let mut hosts_with_open: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.waived.is_none())
        .map(|f| f.host.as_str())
        .collect();
    hosts_with_open.sort();
    hosts_with_open.dedup();
    let files: Vec<_> = std::fs::read_dir(&scripts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        files.len(),
        hosts_with_open.len(),
        "one script per host with open findings"
    );
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert!(
            bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
            "UTF-8 with BOM for PowerShell 5.1"
        );
        let text = String::from_utf8(bytes[3..].to_vec())
            .unwrap()
            .replace("\r\n", "\n");
        let problems = syntax_problems(&text);
        assert!(
            problems.is_empty(),
            "{}:\n{}",
            f.display(),
            problems.join("\n")
        );
        let host = text
            .lines()
            .find_map(|l| l.strip_prefix("$ExpectedHost = '"))
            .and_then(|l| l.strip_suffix('\''))
            .expect("the script names its host")
            .replace("''", "'");
        for finding in report.findings.iter().filter(|x| x.host == host) {
            let label = format!("{} {}", finding.rule, finding.fingerprint);
            if finding.waived.is_some() {
                assert!(!text.contains(&label), "waived {label} left out");
                continue;
            }
            assert!(
                text.contains(&label),
                "{label} missing from {}",
                f.display()
            );
            for step in &finding.steps {
                assert!(
                    text.contains(&step.powershell().unwrap()),
                    "step of {label} missing: {}",
                    step.describe()
                );
            }
        }
    }

    // An unknown host is an error that names it.
    let bad = Command::cargo_bin("iis-sweep")
        .unwrap()
        .arg("fixes")
        .arg(out.join("report.json"))
        .args(["--host", "no-such-host", "--out"])
        .arg(dir.path().join("x"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no-such-host"));
}
