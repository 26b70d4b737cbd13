//! A synthetic fleet report of any size, deterministic (no randomness, fixed clock), for the
//! scale measurements and the overview screenshot.

#![allow(dead_code)]

use std::collections::BTreeMap;

use iis_sweep::finding::*;
use iis_sweep::report::model::*;

const RULES: &[(&str, &str, &str, Substatus, Severity)] = &[
    (
        "U101",
        "logon-type-denied",
        "the app-pool identity lacks the logon right",
        Substatus::LogonFailed,
        Severity::High,
    ),
    (
        "U102",
        "account-locked-out",
        "the anonymous account is locked out or disabled",
        Substatus::LogonFailed,
        Severity::High,
    ),
    (
        "U201",
        "no-authentication-method",
        "no authentication method is enabled",
        Substatus::ServerConfiguration,
        Severity::Critical,
    ),
    (
        "U202",
        "negotiate-without-spn",
        "Negotiate is offered but the SPN is missing",
        Substatus::ServerConfiguration,
        Severity::Medium,
    ),
    (
        "U301",
        "anonymous-user-cannot-read",
        "the anonymous user cannot read the content",
        Substatus::Acl,
        Severity::Medium,
    ),
    (
        "U302",
        "app-pool-cannot-read",
        "the app-pool identity cannot read the content",
        Substatus::Acl,
        Severity::High,
    ),
    (
        "U401",
        "url-authorization-denies-all",
        "URL authorization denies every user",
        Substatus::Filter,
        Severity::Medium,
    ),
    (
        "U503",
        "ip-deny-rule",
        "an IP restriction denies clients",
        Substatus::IpDenied,
        Severity::Low,
    ),
    (
        "H901",
        "basic-auth-without-tls",
        "Basic authentication is allowed over plain HTTP",
        Substatus::Hygiene,
        Severity::Low,
    ),
    (
        "H902",
        "ntlm-v1-allowed",
        "LAN Manager authentication level allows NTLMv1",
        Substatus::Hygiene,
        Severity::Medium,
    ),
    (
        "H903",
        "directory-browsing-enabled",
        "directory browsing is enabled",
        Substatus::Hygiene,
        Severity::Info,
    ),
    (
        "C001",
        "locked-section-overridden",
        "a web.config sets a section locked at apphost",
        Substatus::ConfigError,
        Severity::High,
    ),
];

fn rules() -> Vec<RuleInfo> {
    RULES
        .iter()
        .map(|(code, name, title, sub, sev)| RuleInfo {
            code: (*code).into(),
            name: (*name).into(),
            title: (*title).into(),
            substatus: vec![*sub],
            severity: *sev,
            what: format!("Checks whether {title}, reading the effective configuration of every site and application."),
            why: format!("When {title}, IIS answers {} and users cannot work.", sub.as_str()),
            example: "<system.webServer>\n  <security>\n    <authentication>\n      <anonymousAuthentication enabled=\"false\" />\n    </authentication>\n  </security>\n</system.webServer>".into(),
            fix: "Run the fix command shown with each finding; it changes only the setting named.".into(),
            references: vec![
                "https://learn.microsoft.com/en-us/troubleshoot/developer/webapps/iis/health-diagnostic-performance/http-401-error".into(),
                "CIS Microsoft IIS 10 Benchmark v1.2.1".into(),
            ],
            nist: vec!["AC-3".into()],
        })
        .collect()
}

/// A cheap deterministic hash for spreading values.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ceb9fe1a85ec53);
    x ^ (x >> 33)
}

/// `hosts` hosts (about 3% not evaluated) and exactly `findings` findings spread over the
/// evaluated ones.
pub fn fleet(hosts: usize, findings: usize) -> Report {
    let rules = rules();
    let failed_statuses = [
        (HostStatus::Unreachable, "connection refused (tcp/5986)"),
        (HostStatus::Timeout, "no answer within 120 s"),
        (
            HostStatus::AuthFailed,
            "HTTP 401 from WinRM: credentials rejected",
        ),
        (
            HostStatus::TlsError,
            "certificate not trusted: unknown issuer",
        ),
    ];
    let mut hs = Vec::with_capacity(hosts);
    for i in 0..hosts {
        let m = mix(i as u64);
        let name = format!(
            "web{i:05}.{}.corp.example",
            ["emea", "amer", "apac"][(m % 3) as usize]
        );
        let failed = m % 100 < 3;
        let (status, reason) = if failed {
            let (s, r) = failed_statuses[(m >> 8) as usize % failed_statuses.len()];
            (s, Some(r.to_string()))
        } else if m % 100 < 6 {
            (
                HostStatus::Partial,
                Some("folder ACLs could not be read".to_string()),
            )
        } else {
            (HostStatus::Ok, None)
        };
        let evaluated = status.evaluated();
        let mut log_401 = BTreeMap::new();
        if evaluated && m.is_multiple_of(4) {
            log_401.insert(
                "1".to_string(),
                BTreeMap::from([
                    ("401.2/5".to_string(), m % 50),
                    ("401.3/5".to_string(), m % 7),
                ]),
            );
        }
        hs.push(HostResult {
            name,
            status,
            reason,
            source: format!("10.{}.{}.{}:5986", (i >> 16) & 255, (i >> 8) & 255, i & 255),
            os: evaluated.then(|| {
                [
                    "Windows Server 2016 Standard",
                    "Windows Server 2019 Datacenter",
                    "Windows Server 2022 Datacenter",
                ][(m >> 4) as usize % 3]
                    .to_string()
            }),
            iis_version: evaluated.then(|| "10.0".to_string()),
            collected_at: evaluated
                .then(|| format!("2026-03-01T10:{:02}:{:02}Z", (i / 60) % 60, i % 60)),
            timings: Timings {
                collect_ms: Some(800 + m % 4000),
                analyze_ms: 3 + m % 40,
            },
            sites: if evaluated { 1 + (m % 6) as u32 } else { 0 },
            applications: if evaluated { 2 + (m % 11) as u32 } else { 0 },
            findings: 0,
            rules_evaluated: if evaluated {
                rules.iter().map(|r| r.code.clone()).collect()
            } else {
                Vec::new()
            },
            not_evaluated: Vec::new(),
            problems: Vec::new(),
            coverage: super::fixture::coverage(evaluated),
            log_401_sites: log_401
                .keys()
                .map(|id| (id.clone(), "Default Web Site".to_string()))
                .collect(),
            log_401,
        });
    }
    let evaluated: Vec<usize> = (0..hosts).filter(|i| hs[*i].status.evaluated()).collect();
    let mut fs = Vec::with_capacity(findings);
    let sites = [
        "Default Web Site",
        "Intranet",
        "Payroll",
        "api",
        "Extranet Portal",
        "Legacy ASP",
    ];
    let apps = ["/", "/app", "/api/v2", "/hr/payroll", "/reports"];
    for k in 0..findings {
        let h = &hs[evaluated[k % evaluated.len()]];
        let m = mix(k as u64 ^ 0x5eed);
        let r = &rules[(m % rules.len() as u64) as usize];
        let site = sites[(m >> 8) as usize % sites.len()];
        let app = apps[(m >> 16) as usize % apps.len()];
        let path = format!(
            "{}{}",
            app.trim_end_matches('/'),
            ["/", "/login.aspx", "/docs", "/upload"][(m >> 24) as usize % 4]
        );
        let phys = format!(r"D:\inetpub\{site}{}", app.replace('/', r"\"));
        let waived = (m >> 32).is_multiple_of(40);
        fs.push(Finding {
            rule: r.code.clone(),
            name: r.name.clone(),
            severity: r.severity,
            substatus: r.substatus[0],
            host: h.name.clone(),
            site: Some(site.into()),
            application: Some(app.into()),
            url_path: Some(path.clone()),
            physical_path: Some(phys.clone()),
            message: format!("On {site}{path}, {}; requests from users get {} until this is fixed.", r.title, r.substatus[0]),
            evidence: vec![
                Evidence {
                    kind: EvidenceKind::Config,
                    location: Some(r"C:\Windows\System32\inetsrv\config\applicationHost.config".into()),
                    line: Some(100 + (m % 900) as u32),
                    text: format!("<location path=\"{site}{app}\"><system.webServer><security><authentication><anonymousAuthentication enabled=\"false\" /></authentication></security></system.webServer></location>"),
                },
                Evidence {
                    kind: EvidenceKind::Acl,
                    location: Some(phys.clone()),
                    line: None,
                    text: "O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;S-1-5-82-3006700770-424185619-1745488364-794895919-4004696415)".into(),
                },
            ],
            fix: format!(r#"%windir%\system32\inetsrv\appcmd.exe set config "{site}{app}" -section:system.webServer/security/authentication/anonymousAuthentication /enabled:"True" /commit:apphost"#),
            references: r.references.clone(),
            log_evidence: m.is_multiple_of(5).then(|| LogEvidence {
                site_id: 1 + (m % 6),
                count: m % 500,
                by_win32: BTreeMap::from([("5".to_string(), m % 500)]),
                first: Some("2026-02-28T00:00:04Z".into()),
                last: Some("2026-03-01T09:59:58Z".into()),
            }),
            fingerprint: format!("{:016x}{:016x}{:016x}{:016x}", mix(k as u64), mix(k as u64 + 1), mix(k as u64 + 2), mix(k as u64 + 3)),
            waived: waived.then(|| WaiverInfo { justification: "accepted risk, ticket RISK-2231".into(), expires: "2026-12-31".into() }),
            drift: None,
            confidence: "certain".into(),
            steps: Vec::new(),
        });
    }
    let mut counts: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    for f in fs.iter().filter(|f| f.waived.is_none()) {
        *counts.entry(f.host.as_str()).or_default() += 1;
    }
    let counts: Vec<u32> = hs
        .iter()
        .map(|h| counts.get(h.name.as_str()).copied().unwrap_or(0))
        .collect();
    for (h, n) in hs.iter_mut().zip(counts) {
        h.findings = n;
    }
    let mut report = Report {
        schema: REPORT_SCHEMA.into(),
        tool: ToolInfo {
            name: "iis-sweep".into(),
            version: "0.1.0".into(),
            ruleset: "2026.11.1".into(),
        },
        run: RunInfo {
            command: "scan".into(),
            started: "2026-03-01T10:00:00Z".into(),
            finished: "2026-03-01T11:23:41Z".into(),
            inputs: vec!["inventory/prod.ini".into()],
            shard: None,
            interrupted: false,
            scope: Scope {
                complete: true,
                ..Default::default()
            },
        },
        hosts: hs,
        findings: fs,
        totals: Totals::default(),
        rules,
        baseline: None,
        notes: Vec::new(),
    };
    report.sort();
    report.recompute_totals();
    report
}
