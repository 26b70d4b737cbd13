//! One host through the rule set: snapshot in, host result and findings out.
//!
//! A rule that panics is contained: it is listed as "not evaluated" for this host with the
//! reason, and the other rules and hosts go on.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use crate::report::model::{Finding, HostResult, HostStatus, LogEvidence, NotEvaluated, Timings};
use crate::rules::settings::RuleSettings;
use crate::rules::{self, HostContext, Sink};
use crate::snapshot::{FileRole, SiteLogSummary, Snapshot};

/// The win32 status of the anonymous first leg of every challenge (`401 2 5`).
const CHALLENGE_FIRST_WIN32: u64 = 5;
/// The win32 status of the NTLM/Negotiate middle leg (`401 1 2148074254`, SEC_E_NO_CREDENTIALS).
const CHALLENGE_SECOND_WIN32: u64 = 2_148_074_254;

/// A host's evaluation.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub host: HostResult,
    pub findings: Vec<Finding>,
}

/// Runs every enabled rule on `snapshot`.
pub fn analyze(
    snapshot: &Snapshot,
    source: &str,
    settings: &RuleSettings,
    today: chrono::NaiveDate,
) -> Analysis {
    let started = Instant::now();
    let ctx = HostContext::new(snapshot);
    let host = snapshot.host.name.clone();
    let mut findings = Vec::new();
    let mut evaluated = Vec::new();
    let mut not_evaluated = Vec::new();
    let mut missing_facts = Vec::new();

    for rule in rules::all() {
        if !settings.enabled(rule.code) {
            continue;
        }
        let missing: Vec<&str> = rule
            .needs
            .iter()
            .filter(|f| !ctx.has(**f))
            .map(|f| f.as_str())
            .collect();
        if !missing.is_empty() {
            for m in &missing {
                if !missing_facts.contains(m) {
                    missing_facts.push(*m);
                }
            }
            not_evaluated.push(NotEvaluated {
                rule: rule.code.into(),
                reason: format!("not collected: {}", missing.join(", ")),
            });
            continue;
        }
        let mut sink = Sink::new(rule, &host);
        match catch_unwind(AssertUnwindSafe(|| (rule.check)(&ctx, &mut sink))) {
            Ok(()) => {
                evaluated.push(rule.code.to_string());
                findings.append(&mut sink.findings);
                not_evaluated.append(&mut sink.skipped);
            }
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                tracing::error!("{host}: rule {} failed: {msg}", rule.code);
                not_evaluated.push(NotEvaluated {
                    rule: rule.code.into(),
                    reason: format!("the rule failed on this host's data: {msg}"),
                });
            }
        }
    }

    for f in &mut findings {
        f.severity = settings.severity(&f.rule, f.severity);
        settings.apply_waivers(f, today);
    }
    attach_log_evidence(&ctx, &mut findings);

    let mut problems: Vec<String> = ctx
        .config
        .file_errors()
        .iter()
        .map(describe_file_error)
        .collect();
    problems.extend(snapshot.errors.iter().map(|e| match &e.target {
        Some(t) => format!("collector ({}) {t}: {}", e.stage, e.message),
        None => format!("collector ({}): {}", e.stage, e.message),
    }));
    // Without a readable applicationHost.config nothing about the host can be judged.
    let apphost_error = ctx
        .config
        .file_errors()
        .iter()
        .find(|e| e.role == FileRole::ApplicationHost)
        .map(describe_file_error)
        .or_else(|| {
            (snapshot.collected.config && !ctx.config.has_application_host()).then(|| {
                "the snapshot holds no applicationHost.config: nothing to evaluate".to_string()
            })
        });
    let status = if apphost_error.is_some() {
        findings.clear();
        HostStatus::Error
    } else if problems.is_empty() && missing_facts.is_empty() {
        HostStatus::Ok
    } else {
        HostStatus::Partial
    };
    let reason = apphost_error.or_else(|| {
        (!missing_facts.is_empty()).then(|| {
            format!(
                "only part of the host's facts were available; not collected: {}",
                missing_facts.join(", ")
            )
        })
    });

    let sites = ctx.config.sites().len();
    let applications = ctx.config.applications().count();
    let host_result = HostResult {
        name: host,
        status,
        reason: reason.or_else(|| problems.first().cloned()),
        source: source.to_string(),
        os: snapshot.host.os.clone(),
        iis_version: snapshot.host.iis_version.clone(),
        collected_at: snapshot.host.collected_at.clone(),
        timings: Timings {
            collect_ms: None,
            analyze_ms: started.elapsed().as_millis() as u64,
        },
        sites: sites as u32,
        applications: applications as u32,
        findings: findings.iter().filter(|f| f.waived.is_none()).count() as u32,
        rules_evaluated: evaluated,
        not_evaluated,
        problems,
        log_401: log_summary(snapshot),
    };
    Analysis {
        host: host_result,
        findings,
    }
}

/// A host that could not be evaluated at all.
pub fn failed_host(name: &str, source: &str, status: HostStatus, reason: &str) -> HostResult {
    HostResult {
        name: name.to_string(),
        status,
        reason: Some(reason.to_string()),
        source: source.to_string(),
        os: None,
        iis_version: None,
        collected_at: None,
        timings: Timings::default(),
        sites: 0,
        applications: 0,
        findings: 0,
        rules_evaluated: Vec::new(),
        not_evaluated: Vec::new(),
        problems: Vec::new(),
        log_401: BTreeMap::new(),
    }
}

/// 401 counts of one site with the normal challenge handshake taken out: every
/// `401 1 2148074254` middle leg pairs with one `401 2 5` first leg, and neither is a failure.
pub fn failures_by_substatus(site: &SiteLogSummary) -> BTreeMap<(u32, u64), u64> {
    let mut counts: BTreeMap<(u32, u64), u64> = BTreeMap::new();
    for c in site.counts.iter().filter(|c| c.status == 401) {
        *counts.entry((c.substatus, c.win32)).or_default() += c.count;
    }
    let first = counts
        .get(&(2, CHALLENGE_FIRST_WIN32))
        .copied()
        .unwrap_or(0);
    let second = counts
        .get(&(1, CHALLENGE_SECOND_WIN32))
        .copied()
        .unwrap_or(0);
    let pairs = first.min(second);
    if let Some(n) = counts.get_mut(&(2, CHALLENGE_FIRST_WIN32)) {
        *n -= pairs;
    }
    if let Some(n) = counts.get_mut(&(1, CHALLENGE_SECOND_WIN32)) {
        *n -= pairs;
    }
    counts.retain(|_, n| *n > 0);
    counts
}

fn log_summary(snapshot: &Snapshot) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    for site in snapshot.logs.iter().flat_map(|l| &l.sites) {
        let m: BTreeMap<String, u64> = failures_by_substatus(site)
            .into_iter()
            .map(|((sub, win32), n)| (format!("401.{sub}/{win32}"), n))
            .collect();
        if !m.is_empty() {
            out.insert(site.site_id.to_string(), m);
        }
    }
    out
}

fn attach_log_evidence(ctx: &HostContext, findings: &mut [Finding]) {
    let Some(logs) = &ctx.snapshot.logs else {
        return;
    };
    for f in findings.iter_mut() {
        let (Some(site), Some((401, sub))) = (f.site.as_deref(), f.substatus.log_pair()) else {
            continue;
        };
        let Some(site_id) = ctx.config.site(site).and_then(|s| s.id) else {
            continue;
        };
        let Some(summary) = logs.sites.iter().find(|s| s.site_id == site_id) else {
            continue;
        };
        let by_win32: BTreeMap<String, u64> = failures_by_substatus(summary)
            .into_iter()
            .filter(|((s, _), _)| *s == sub)
            .map(|((_, w), n)| (w.to_string(), n))
            .collect();
        let count: u64 = by_win32.values().sum();
        if count > 0 {
            f.log_evidence = Some(LogEvidence {
                site_id,
                count,
                by_win32,
                first: summary.first.clone(),
                last: summary.last.clone(),
            });
        }
    }
}

/// `FILE: line L, column C: message`.
fn describe_file_error(e: &crate::iis::FileError) -> String {
    format!(
        "{}: line {}, column {}: {}",
        e.file, e.line, e.column, e.message
    )
}
