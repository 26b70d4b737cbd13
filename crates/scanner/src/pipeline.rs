//! The one place that turns a snapshot into a host result: parse → effective model → rules →
//! severities and waivers → host result with its findings. `check`, `scan`, `demo`, `why` and
//! `merge` all come through here, and so does "finish the report": [`report_builder`] starts a
//! report with the rule set's metadata, [`finish`] applies the baseline, writes every format and
//! decides the exit [`Outcome`].
//!
//! A rule that panics is contained: it is listed as "not evaluated" for this host with the
//! reason, and the other rules and hosts go on. In a sweep, hosts are evaluated on a bounded
//! pool of blocking threads ([`Evaluator`]), so a host with 30,000 sites never holds up other
//! hosts' WinRM traffic.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;

pub mod coverage;

use crate::collect::sweep::HostCollection;
use crate::finding::{
    Finding, HostResult, HostStatus, LogEvidence, NotEvaluated, Severity, Timings,
};
use crate::input::{self, Input};
use crate::report::build::ReportBuilder;
use crate::report::{self, OutputOptions, Report};
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
    evaluate(HostContext::new(snapshot), source, settings, today)
}

/// Runs every enabled rule on one URL of one site only (`why`): what holds at exactly that
/// path, its most specific `<location>` applied, plus the host-wide findings.
pub fn analyze_at(
    snapshot: &Snapshot,
    source: &str,
    settings: &RuleSettings,
    today: chrono::NaiveDate,
    site: &str,
    url_path: &str,
) -> Analysis {
    evaluate(
        HostContext::focused(snapshot, site, url_path),
        source,
        settings,
        today,
    )
}

fn evaluate(
    ctx: HostContext<'_>,
    source: &str,
    settings: &RuleSettings,
    today: chrono::NaiveDate,
) -> Analysis {
    let started = Instant::now();
    let snapshot = ctx.snapshot;
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
    let coverage = coverage::of_host(snapshot, &ctx.config, evaluated.len());
    coverage::qualify(&mut findings, &coverage);
    let status = if apphost_error.is_some() {
        findings.clear();
        HostStatus::Error
    } else if !coverage.evaluated && findings.is_empty() {
        HostStatus::NotEvaluated
    } else if problems.is_empty() && missing_facts.is_empty() {
        HostStatus::Ok
    } else {
        HostStatus::Partial
    };
    let reason = apphost_error.or_else(|| {
        (status == HostStatus::NotEvaluated).then(|| {
            "no applicationHost.config was collected: nothing about IIS could be judged (not \
             evaluated, which is not clean)"
                .to_string()
        })
    });
    let reason = reason.or_else(|| {
        (!missing_facts.is_empty()).then(|| {
            format!(
                "only part of the host's facts were available; not collected: {}",
                missing_facts.join(", ")
            )
        })
    });

    let sites = ctx.config.sites().len();
    let applications = ctx.config.applications().count();
    let log_401 = log_summary(snapshot);
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
        coverage,
        log_401_sites: ctx
            .config
            .sites()
            .iter()
            .filter_map(|s| Some((s.id?.to_string(), s.name.clone())))
            .filter(|(id, _)| log_401.contains_key(id))
            .collect(),
        log_401,
    };
    Analysis {
        host: host_result,
        findings,
    }
}

/// One input of `check` (a snapshot file or an applicationHost.config): evaluated, or a host
/// with status `error` whose reason names the file and what is wrong with it.
pub fn analyze_input(input: &Input, settings: &RuleSettings, today: chrono::NaiveDate) -> Analysis {
    let source = input.path().display().to_string();
    let loaded = match input {
        Input::Bundle(dir) => crate::bundle::read(dir).map_err(|message| input::InputError {
            input: input.clone(),
            message,
        }),
        _ => input::load(input),
    };
    match loaded {
        Ok(mut snapshot) => {
            crate::logs::read_shipped(&mut snapshot);
            let mut a = analyze(&snapshot, &source, settings, today);
            echo_given_file(input, &mut a.findings);
            if let Input::WebConfig(_) = input {
                // State the assumption where people and pipelines read.
                tracing::warn!("{source}: {}", input::DEFAULT_HOST_NOTE);
                a.host.reason = Some(match a.host.reason.take() {
                    Some(r) => format!("{}; {r}", input::DEFAULT_HOST_NOTE),
                    None => input::DEFAULT_HOST_NOTE.to_string(),
                });
            }
            for p in &a.host.problems {
                tracing::warn!("{}: {p}", a.host.name);
            }
            a
        }
        Err(e) => {
            tracing::error!("{e}");
            Analysis {
                host: failed_host(
                    &input.fallback_host_name(),
                    &source,
                    HostStatus::Error,
                    &e.message,
                ),
                findings: Vec::new(),
            }
        }
    }
}

/// Evidence, messages and fixes name the file the user gave, not where a bare file was placed.
pub fn echo_given_file(input: &Input, findings: &mut [Finding]) {
    if let Some(placed) = input.placed_at() {
        let given = input.path().display().to_string();
        for f in findings {
            echo_input(f, placed, &given);
        }
    }
}

/// Replaces the path a bare file was placed at with the path the user gave, in a finding's text.
fn echo_input(f: &mut Finding, placed: &str, given: &str) {
    let swap = |t: &mut String| {
        if t.contains(placed) {
            *t = t.replace(placed, given);
        }
    };
    swap(&mut f.message);
    swap(&mut f.fix);
    for e in &mut f.evidence {
        swap(&mut e.text);
        if let Some(l) = &mut e.location {
            swap(l);
        }
    }
}

/// One host of a sweep: its collector output parsed and evaluated, or its collection failure
/// as the host's status. Reports name hosts as the inventory does; the host's own names stay
/// in the facts.
pub fn analyze_collection(
    c: HostCollection,
    settings: &RuleSettings,
    today: chrono::NaiveDate,
) -> Analysis {
    let fail = |status: HostStatus, reason: &str| {
        let mut host = failed_host(&c.name, &c.source, status, reason);
        host.timings.collect_ms = c.collect_ms;
        Analysis {
            host,
            findings: Vec::new(),
        }
    };
    let stdout = match &c.output {
        Ok(stdout) => stdout,
        Err(f) => return fail(f.status, &f.reason),
    };
    let mut snapshot = match input::parse_snapshot(stdout) {
        Ok(s) => s,
        Err(e) => {
            return fail(
                HostStatus::CollectorError,
                &format!("the collector's output is not a snapshot: {e}"),
            )
        }
    };
    snapshot.host.name = c.name.clone();
    crate::logs::read_shipped(&mut snapshot);
    let mut a = analyze(&snapshot, &c.source, settings, today);
    a.host.timings.collect_ms = c.collect_ms;
    a
}

/// Evaluates collections on a bounded pool of blocking threads, so analysis never runs on (or
/// delays) the network runtime's workers.
#[derive(Clone)]
pub struct Evaluator {
    settings: Arc<RuleSettings>,
    today: chrono::NaiveDate,
    slots: Arc<Semaphore>,
    analysis: AnalyzeFn,
}

/// What the evaluator runs per host ([`analyze_collection`]; tests substitute their own).
pub type AnalyzeFn =
    Arc<dyn Fn(HostCollection, &RuleSettings, chrono::NaiveDate) -> Analysis + Send + Sync>;

impl std::fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator")
            .field("today", &self.today)
            .field("free_slots", &self.slots.available_permits())
            .finish_non_exhaustive()
    }
}

impl Evaluator {
    /// At most `workers` hosts evaluated at once (at least one).
    pub fn new(settings: RuleSettings, today: chrono::NaiveDate, workers: usize) -> Self {
        Evaluator {
            settings: Arc::new(settings),
            today,
            slots: Arc::new(Semaphore::new(workers.max(1))),
            analysis: Arc::new(analyze_collection),
        }
    }

    /// The same pool running `analysis` instead of [`analyze_collection`].
    pub fn with_analysis(mut self, analysis: AnalyzeFn) -> Self {
        self.analysis = analysis;
        self
    }

    /// One worker per core: analysis is CPU-bound.
    pub fn per_core(settings: RuleSettings, today: chrono::NaiveDate) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Evaluator::new(settings, today, cores)
    }

    /// Evaluates one collection; never fails: a crash of the analysis itself becomes the
    /// host's `error` status.
    pub async fn evaluate(&self, c: HostCollection) -> Analysis {
        let name = c.name.clone();
        let source = c.source.clone();
        let _slot = self.slots.clone().acquire_owned().await;
        let settings = Arc::clone(&self.settings);
        let today = self.today;
        let analysis = Arc::clone(&self.analysis);
        match tokio::task::spawn_blocking(move || analysis(c, &settings, today)).await {
            Ok(a) => a,
            Err(e) => Analysis {
                host: failed_host(
                    &name,
                    &source,
                    HostStatus::Error,
                    &format!("the analysis of this host failed: {e}"),
                ),
                findings: Vec::new(),
            },
        }
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
        coverage: Default::default(),
        not_evaluated: Vec::new(),
        problems: Vec::new(),
        log_401: BTreeMap::new(),
        log_401_sites: BTreeMap::new(),
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

/// A report for `command` over `inputs`, carrying the rule set's metadata, with a note for
/// every expired waiver.
pub fn report_builder(
    command: &str,
    inputs: Vec<String>,
    settings: &RuleSettings,
    today: chrono::NaiveDate,
) -> ReportBuilder {
    let mut builder = ReportBuilder::new(
        command,
        inputs,
        rules::RULESET_VERSION,
        rules::all().iter().map(|r| r.info()).collect(),
    );
    for note in settings.expired_notes(today) {
        tracing::warn!("{note}");
        builder.note(note);
    }
    let scope = &mut builder.run_mut().scope;
    scope.rules_config = settings.source.clone();
    scope.rules_disabled = rules::all()
        .iter()
        .filter(|r| !settings.enabled(r.code))
        .map(|r| r.code.to_string())
        .collect();
    scope.severity_overrides = settings
        .overrides
        .iter()
        .filter_map(|(code, o)| Some((code.clone(), o.severity.clone()?)))
        .collect();
    scope.waivers = settings.waivers.len() as u32;
    builder
}

/// Finishes a report: totals, then [`publish`].
pub fn finish(
    builder: ReportBuilder,
    baseline: Option<&Path>,
    output: &OutputOptions,
    fail_on: FailOn,
) -> anyhow::Result<(Outcome, Report)> {
    publish(builder.finish(), baseline, output, fail_on)
}

/// The last step of every command that writes reports: drift against `baseline`, every
/// requested format written, then the exit outcome.
pub fn publish(
    mut rep: Report,
    baseline: Option<&Path>,
    output: &OutputOptions,
    fail_on: FailOn,
) -> anyhow::Result<(Outcome, Report)> {
    if let Some(b) = baseline {
        report::drift::apply_baseline(&mut rep, b)?;
    }
    let outcome = outcome(&rep, fail_on);
    if let Some(min) = output.min_severity {
        below_severity_left_out(&mut rep, min);
        rep.run.scope.min_severity = Some(min.to_string());
    }
    let shard = rep.run.shard.clone();
    rep.run.scope.settle(shard.as_deref());
    report::write_all(&rep, output)?;
    Ok((outcome, rep))
}

/// `--severity`: the report keeps the findings at or above `min`, says so in its notes, and its
/// totals and per-host counts describe what it lists.
fn below_severity_left_out(rep: &mut Report, min: Severity) {
    let before = rep.findings.len();
    rep.findings.retain(|f| f.severity >= min);
    let left_out = before - rep.findings.len();
    for h in &mut rep.hosts {
        h.findings = rep
            .findings
            .iter()
            .filter(|f| f.host == h.name && f.waived.is_none())
            .count() as u32;
    }
    rep.recompute_totals();
    rep.notes.push(format!(
        "--severity {min}: only findings at or above {min} are listed; {left_out} below it are \
         left out (the exit code was decided on all findings)"
    ));
}

/// Exit codes, documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing at or above `--fail-on`.
    Clean = 0,
    /// Findings at or above `--fail-on`.
    Findings = 1,
    /// Usage or input error.
    Usage = 2,
    /// Some hosts could not be evaluated.
    Incomplete = 3,
}

/// `--fail-on`: the lowest severity that makes the exit code non-zero, or `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Severity(Severity),
    /// Exit 0 whatever was found, even when hosts failed.
    Never,
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("none") || s.eq_ignore_ascii_case("never") {
            return Ok(FailOn::Never);
        }
        Severity::parse(s)
            .map(FailOn::Severity)
            .ok_or_else(|| format!("{s:?}: use none, info, low, medium, high or critical"))
    }
}

/// The exit outcome of a finished report. Hosts that could not be evaluated win over findings:
/// an incomplete sweep is the first thing to fix.
pub fn outcome(report: &Report, fail_on: FailOn) -> Outcome {
    let FailOn::Severity(threshold) = fail_on else {
        return Outcome::Clean;
    };
    if report.hosts.iter().any(|h| !h.status.evaluated()) {
        return Outcome::Incomplete;
    }
    if report
        .findings
        .iter()
        .any(|f| f.waived.is_none() && f.severity >= threshold)
    {
        return Outcome::Findings;
    }
    Outcome::Clean
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::session::CollectFailure;

    fn collection(name: &str) -> HostCollection {
        HostCollection {
            name: name.into(),
            source: format!("https://{name}:5986/wsman"),
            collect_ms: Some(5),
            output: Ok(b"{}".to_vec()),
        }
    }

    #[tokio::test]
    async fn a_panicking_analysis_is_the_hosts_error_not_a_missing_host() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let evaluator = Evaluator::new(RuleSettings::default(), today, 2)
            .with_analysis(Arc::new(|_, _, _| panic!("boom")));
        let a = evaluator.evaluate(collection("web01")).await;
        assert_eq!(a.host.name, "web01");
        assert_eq!(a.host.status, HostStatus::Error);
        assert!(a.host.reason.unwrap().contains("failed"));
    }

    #[tokio::test]
    async fn collection_failures_keep_their_status_and_reason() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let evaluator = Evaluator::new(RuleSettings::default(), today, 1);
        let mut c = collection("web02");
        c.output = Err(CollectFailure::new(HostStatus::Skipped, "skipped: because"));
        let a = evaluator.evaluate(c).await;
        assert_eq!(a.host.status, HostStatus::Skipped);
        assert_eq!(a.host.reason.as_deref(), Some("skipped: because"));
        let a = evaluator.evaluate(collection("web03")).await;
        assert_eq!(
            a.host.status,
            HostStatus::CollectorError,
            "{{}} is not a snapshot"
        );
    }
}
