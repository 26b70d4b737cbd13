//! `report.html`: one self-contained page (inline CSS, JS and SVG; no network) rendered with
//! handlebars from `report-templates/`.
//!
//! What is rendered where, so the page stays fast at 5,000 hosts and 50,000 findings:
//!
//! - **Server-side (handlebars)**: the header, the overview cards, the SVG bar charts (geometry
//!   computed here), the drift summary, the table of hosts that could not be evaluated and the
//!   rules appendix. Their size grows with rules and failed hosts, never with findings.
//! - **In the browser (script.js)**: the findings table (filters, search, pages of rows), the
//!   per-host drill-down (built when a host is opened) and the list of resolved findings, all
//!   from the data island: the whole report as JSON in a `<script type="application/json">`.
//!   Above [`HtmlOptions::compress_over`] bytes the island is gzip + base64 instead
//!   (`data-encoding="gzip+base64"`), which the page unpacks with the browser's
//!   `DecompressionStream`; that keeps a 50,000-finding page several times smaller.
//!
//! Host-supplied text is never trusted: handlebars escapes every `{{value}}`; the only
//! triple-stash expressions are our own CSS, our own JS and the data island ([`RAW_FIELDS`], a
//! test holds templates to it); the island is JSON with `<`, `>` and `&` escaped (or base64),
//! so it cannot close its element; the script writes host text only through `textContent` and
//! attribute setters, never `innerHTML`; and the Content-Security-Policy allows only the page's
//! own style and script (by sha256), so anything that slipped through still would not run.
//!
//! The handlebars context is documented in `docs/report-formats.md` (custom templates).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use handlebars::Handlebars;
use serde::Serialize;

use super::model::{Report, RunInfo, ToolInfo, Totals};
use crate::finding::{RuleInfo, Severity};

/// The embedded templates: (file name, text). `--templates DIR` replaces any of them by name.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "report.html.hbs",
        include_str!("../../../../report-templates/report.html.hbs"),
    ),
    (
        "style.css",
        include_str!("../../../../report-templates/style.css"),
    ),
    (
        "script.js",
        include_str!("../../../../report-templates/script.js"),
    ),
];

/// The only context fields a template may render unescaped (`{{{…}}}`): our stylesheet, our
/// script and the pre-escaped data island.
pub const RAW_FIELDS: &[&str] = &["css", "js", "data_island"];

/// Rendering options.
#[derive(Debug, Clone)]
pub struct HtmlOptions {
    /// Compress the data island (gzip + base64) when its JSON is larger than this many bytes.
    pub compress_over: usize,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            compress_over: 1 << 20,
        }
    }
}

/// Writes the built-in templates into `dir` (for `iis-sweep templates export DIR`); returns the
/// files written.
pub fn export_templates(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    let mut out = Vec::new();
    for (name, text) in TEMPLATES {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
        out.push(p);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The handlebars context.

#[derive(Serialize)]
struct Page<'a> {
    report: Header<'a>,
    baseline: Option<BaselineView<'a>>,
    summary: Summary,
    /// The hosts with the most open findings (at most [`TOP_HOSTS`]).
    top_hosts: Vec<TopHost>,
    /// Every rule of the run with its pass/fail counts across the fleet.
    rule_rows: Vec<RuleRow>,
    charts: Vec<Chart>,
    failed_hosts: Vec<FailedHost>,
    severities: [&'static str; 5],
    css: &'a str,
    js: &'a str,
    css_hash: String,
    js_hash: String,
    data_island: String,
    data_encoding: &'static str,
    /// The island element's `type`: never a script type, so the browser does not run it.
    data_type: &'static str,
}

/// The report without its per-finding and per-host parts.
#[derive(Serialize)]
struct Header<'a> {
    schema: &'a str,
    tool: &'a ToolInfo,
    run: RunView<'a>,
    totals: &'a Totals,
    rules: &'a [RuleInfo],
    notes: &'a [String],
}

/// [`RunInfo`] with every field present (strict mode).
#[derive(Serialize)]
struct RunView<'a> {
    command: &'a str,
    started: &'a str,
    finished: &'a str,
    inputs: &'a [String],
    shard: Option<&'a str>,
    interrupted: bool,
    /// `full …` or `limited: …`.
    scope: String,
    complete: bool,
}

impl<'a> From<&'a RunInfo> for RunView<'a> {
    fn from(r: &'a RunInfo) -> Self {
        RunView {
            command: &r.command,
            started: &r.started,
            finished: &r.finished,
            inputs: &r.inputs,
            shard: r.shard.as_deref(),
            interrupted: r.interrupted,
            scope: r.scope.describe(r.shard.as_deref()),
            complete: r.scope.complete,
        }
    }
}

#[derive(Serialize)]
struct BaselineView<'a> {
    source: &'a str,
    new: u32,
    unchanged: u32,
    resolved: usize,
}

#[derive(Serialize)]
struct Summary {
    hosts: u32,
    /// Hosts the rules ran on (`ok` and `partial`).
    evaluated: u32,
    /// Hosts that could not be evaluated.
    failed: u32,
    /// Fully evaluated hosts without an open finding.
    clean: u32,
    /// Evaluated hosts with part of their facts missing or unseen.
    partly: u32,
    findings: u32,
    waived: u32,
    status_cards: Vec<StatusCard>,
    severity_cards: Vec<SeverityCard>,
}

#[derive(Serialize)]
struct StatusCard {
    status: String,
    count: u32,
    failed: bool,
}

#[derive(Serialize)]
struct SeverityCard {
    severity: &'static str,
    count: u32,
}

#[derive(Serialize)]
struct FailedHost {
    name: String,
    status: &'static str,
    reason: String,
    source: String,
    /// A longer part of the name (on hover) when `name` was cut.
    #[serde(skip_serializing_if = "Option::is_none")]
    full_name: Option<String>,
}

/// How many hosts the executive summary names.
const TOP_HOSTS: usize = 10;

#[derive(Serialize)]
struct TopHost {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_name: Option<String>,
    status: &'static str,
    open: u32,
    /// Open findings per severity, in [`Severity::ALL`] order.
    by_severity: [u32; 5],
}

/// One rule across the fleet. `failing` + `waived` + `passing` + `not_evaluated` = hosts.
#[derive(Serialize)]
struct RuleRow {
    code: String,
    name: String,
    severity: &'static str,
    /// Hosts with at least one open finding of the rule.
    failing: u32,
    /// Hosts whose only findings of the rule are waived.
    waived: u32,
    /// Hosts the rule ran on without a finding.
    passing: u32,
    /// Hosts the rule did not run on (not evaluated, or disabled there).
    not_evaluated: u32,
    /// Open findings of the rule.
    findings: u32,
}

/// A horizontal bar chart, laid out here so the template only places numbers.
#[derive(Serialize)]
struct Chart {
    id: &'static str,
    title: &'static str,
    height: u32,
    rows: Vec<Bar>,
}

#[derive(Serialize)]
struct Bar {
    label: String,
    full_label: String,
    value: u32,
    /// CSS class of the bar (`sev-high`, `status-timeout`, …).
    class: String,
    y: u32,
    text_y: u32,
    width: String,
    value_x: String,
}

const CHART_W: f64 = 420.0;
const LABEL_W: f64 = 170.0;
const ROW_H: u32 = 22;

/// Host-supplied text as the page shows it (the same rule as `visible` in script.js): control,
/// zero-width and bidi characters as visible `⟦U+XXXX⟧` marks, and at most `max` characters.
fn shown(text: &str, max: usize) -> String {
    let total = text.chars().count();
    let kept: String = text.chars().take(max).collect();
    let mut out = crate::text::marked(&kept, crate::text::is_invisible);
    if total > max {
        out.push_str(&format!("… ({total} characters)"));
    }
    out
}

fn chart(id: &'static str, title: &'static str, entries: Vec<(String, u32, String)>) -> Chart {
    let max = entries.iter().map(|e| e.1).max().unwrap_or(0).max(1) as f64;
    let room = CHART_W - LABEL_W - 56.0;
    let rows: Vec<Bar> = entries
        .into_iter()
        .enumerate()
        .map(|(i, (label, value, class))| {
            let label = shown(&label, 2_000);
            let width = (room * value as f64 / max).max(2.0);
            // 23 characters fit the label column at the chart's 12.5 px text.
            let short = if label.chars().count() > 23 {
                format!("{}…", label.chars().take(22).collect::<String>())
            } else {
                label.clone()
            };
            Bar {
                label: short,
                full_label: label,
                value,
                class,
                y: i as u32 * ROW_H + 4,
                text_y: i as u32 * ROW_H + 16,
                width: format!("{width:.1}"),
                value_x: format!("{:.1}", LABEL_W + width + 5.0),
            }
        })
        .collect();
    Chart {
        id,
        title,
        height: rows.len() as u32 * ROW_H + 6,
        rows,
    }
}

/// Sorts by count (descending), then label, and keeps the first `limit`.
fn top(map: BTreeMap<String, u32>, limit: usize) -> Vec<(String, u32)> {
    let mut v: Vec<(String, u32)> = map.into_iter().filter(|e| e.1 > 0).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(limit);
    v
}

fn charts(report: &Report) -> Vec<Chart> {
    let t = &report.totals;
    let sev = Severity::ALL
        .iter()
        .filter_map(|s| {
            let n = *t.by_severity.get(s.as_str())?;
            (n > 0).then(|| (s.as_str().to_string(), n, format!("sev-{}", s.as_str())))
        })
        .collect();
    let status = top(t.hosts_by_status.clone(), 20)
        .into_iter()
        .map(|(k, v)| {
            let c = format!("status-{k}");
            (k, v, c)
        })
        .collect();
    let subs = top(t.by_substatus.clone(), 12)
        .into_iter()
        .map(|(k, v)| (k, v, "bar-accent".to_string()))
        .collect();
    let names: HashMap<&str, &str> = report
        .rules
        .iter()
        .map(|r| (r.code.as_str(), r.name.as_str()))
        .collect();
    let rules = top(t.by_rule.clone(), 12)
        .into_iter()
        .map(|(k, v)| {
            let label = match names.get(k.as_str()) {
                Some(n) => format!("{k} {n}"),
                None => k,
            };
            (label, v, "bar-accent".to_string())
        })
        .collect();
    let mut sites: BTreeMap<String, u32> = BTreeMap::new();
    for f in report.findings.iter().filter(|f| f.waived.is_none()) {
        if let Some(s) = &f.site {
            *sites.entry(format!("{s} · {}", f.host)).or_default() += 1;
        }
    }
    let sites = top(sites, 10)
        .into_iter()
        .map(|(k, v)| (k, v, "bar-accent".to_string()))
        .collect();
    vec![
        chart("chart-severity", "Findings by severity", sev),
        chart("chart-status", "Hosts by status", status),
        chart("chart-substatus", "Findings by 401 substatus", subs),
        chart("chart-rule", "Findings by rule", rules),
        chart("chart-sites", "Most affected sites", sites),
    ]
}

fn top_hosts(report: &Report) -> Vec<TopHost> {
    let mut open: HashMap<&str, [u32; 5]> = HashMap::new();
    for f in report.findings.iter().filter(|f| f.waived.is_none()) {
        let rank = Severity::ALL
            .iter()
            .position(|s| *s == f.severity)
            .unwrap_or(4);
        open.entry(f.host.as_str()).or_default()[rank] += 1;
    }
    let mut rows: Vec<TopHost> = report
        .hosts
        .iter()
        .filter_map(|h| {
            let by_severity = *open.get(h.name.as_str())?;
            Some(TopHost {
                name: shown(&h.name, 120),
                full_name: (h.name.chars().count() > 120).then(|| shown(&h.name, 20_000)),
                status: h.status.as_str(),
                open: by_severity.iter().sum(),
                by_severity,
            })
        })
        .collect();
    // Most severe first: critical count, then high, …, then the total; names break ties.
    rows.sort_by(|a, b| {
        b.by_severity
            .cmp(&a.by_severity)
            .then_with(|| b.open.cmp(&a.open))
            .then_with(|| a.name.cmp(&b.name))
    });
    rows.truncate(TOP_HOSTS);
    rows
}

fn rule_rows(report: &Report) -> Vec<RuleRow> {
    use std::collections::HashSet;
    let mut failing: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut waived: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut open: HashMap<&str, u32> = HashMap::new();
    for f in &report.findings {
        let side = if f.waived.is_none() {
            *open.entry(f.rule.as_str()).or_default() += 1;
            &mut failing
        } else {
            &mut waived
        };
        side.entry(f.rule.as_str())
            .or_default()
            .insert(f.host.as_str());
    }
    let mut ran: HashMap<&str, u32> = HashMap::new();
    for h in report.hosts.iter().filter(|h| h.status.evaluated()) {
        for r in &h.rules_evaluated {
            *ran.entry(r.as_str()).or_default() += 1;
        }
    }
    let hosts = report.hosts.len() as u32;
    report
        .rules
        .iter()
        .map(|r| {
            let code = r.code.as_str();
            let fail = failing.get(code);
            let failing_n = fail.map_or(0, |s| s.len()) as u32;
            let waived_n = waived.get(code).map_or(0, |s| {
                s.iter()
                    .filter(|h| fail.is_none_or(|f| !f.contains(*h)))
                    .count()
            }) as u32;
            let ran_n = ran
                .get(code)
                .copied()
                .unwrap_or(0)
                .max(failing_n + waived_n);
            RuleRow {
                code: r.code.clone(),
                name: r.name.clone(),
                severity: r.severity.as_str(),
                failing: failing_n,
                waived: waived_n,
                passing: ran_n - failing_n - waived_n,
                not_evaluated: hosts.saturating_sub(ran_n),
                findings: open.get(code).copied().unwrap_or(0),
            }
        })
        .collect()
}

fn summary(report: &Report) -> Summary {
    let evaluated = report.hosts.iter().filter(|h| h.status.evaluated()).count() as u32;
    let mut status_cards: Vec<StatusCard> = report
        .totals
        .hosts_by_status
        .iter()
        .map(|(k, v)| StatusCard {
            status: k.clone(),
            count: *v,
            failed: !matches!(k.as_str(), "ok" | "partial"),
        })
        .collect();
    // ok and partial first, then failures by count.
    status_cards.sort_by(|a, b| {
        a.failed
            .cmp(&b.failed)
            .then_with(|| b.count.cmp(&a.count))
            .then_with(|| a.status.cmp(&b.status))
    });
    Summary {
        hosts: report.hosts.len() as u32,
        evaluated,
        failed: report.hosts.len() as u32 - evaluated,
        clean: report.hosts.iter().filter(|h| h.clean()).count() as u32,
        partly: report.hosts.iter().filter(|h| h.partly_evaluated()).count() as u32,
        findings: report.totals.findings,
        waived: report.totals.waived,
        status_cards,
        severity_cards: Severity::ALL
            .iter()
            .map(|s| SeverityCard {
                severity: s.as_str(),
                count: report
                    .totals
                    .by_severity
                    .get(s.as_str())
                    .copied()
                    .unwrap_or(0),
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------

/// Renders the report to HTML with default options.
pub fn render(report: &Report, templates: Option<&Path>) -> anyhow::Result<String> {
    render_with(report, templates, &HtmlOptions::default())
}

/// Renders the report to HTML.
pub fn render_with(
    report: &Report,
    templates: Option<&Path>,
    opts: &HtmlOptions,
) -> anyhow::Result<String> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    let mut css = String::new();
    let mut js = String::new();
    for (name, embedded) in TEMPLATES {
        let text = match templates.map(|d| d.join(name)).filter(|p| p.exists()) {
            Some(p) => {
                std::fs::read_to_string(&p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
            }
            None => (*embedded).to_string(),
        };
        match *name {
            "style.css" => css = text,
            "script.js" => js = text,
            _ => hb
                .register_template_string(name, text)
                .map_err(|e| anyhow::anyhow!("template {name}: {e}"))?,
        }
    }
    let (data_island, data_encoding) = island(report, opts)?;
    let page = Page {
        report: Header {
            schema: &report.schema,
            tool: &report.tool,
            run: (&report.run).into(),
            totals: &report.totals,
            rules: &report.rules,
            notes: &report.notes,
        },
        baseline: report.baseline.as_ref().map(|b| BaselineView {
            source: &b.source,
            new: b.new,
            unchanged: b.unchanged,
            resolved: b.resolved.len(),
        }),
        summary: summary(report),
        top_hosts: top_hosts(report),
        rule_rows: rule_rows(report),
        charts: charts(report),
        failed_hosts: report
            .hosts
            .iter()
            .filter(|h| !h.status.evaluated())
            .map(|h| FailedHost {
                name: shown(&h.name, 200),
                status: h.status.as_str(),
                reason: shown(h.reason.as_deref().unwrap_or(""), 2_000),
                source: shown(&h.source, 400),
                full_name: (h.name.chars().count() > 200).then(|| shown(&h.name, 20_000)),
            })
            .collect(),
        severities: Severity::ALL.map(Severity::as_str),
        css_hash: csp_hash(&css),
        js_hash: csp_hash(&js),
        css: &css,
        js: &js,
        data_type: if data_encoding == "json" {
            "application/json"
        } else {
            "application/octet-stream"
        },
        data_island,
        data_encoding,
    };
    hb.render("report.html.hbs", &page)
        .map_err(|e| anyhow::anyhow!("rendering report.html: {e}"))
}

/// The Content-Security-Policy source hash of an inline element's text: only our own style and
/// script run, even if something got past escaping.
fn csp_hash(text: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes()))
}

/// The data island and its encoding (`json` or `gzip+base64`).
fn island(report: &Report, opts: &HtmlOptions) -> anyhow::Result<(String, &'static str)> {
    let json = data_island(report)?;
    if json.len() <= opts.compress_over {
        return Ok((json, "json"));
    }
    use base64::Engine;
    let mut gz = flate2::write::GzEncoder::new(
        Vec::with_capacity(json.len() / 6),
        flate2::Compression::new(6),
    );
    gz.write_all(json.as_bytes())?;
    let bytes = gz.finish()?;
    Ok((
        base64::engine::general_purpose::STANDARD.encode(bytes),
        "gzip+base64",
    ))
}

/// Passes JSON through with `<`, `>` and `&` written as `\u003c`, `\u003e` and `\u0026`. They
/// only occur inside JSON strings, where those escapes mean the same characters, so the output
/// is the same JSON but can never close or comment out its element. (U+2028 and U+2029 need no
/// escape: the island is read by `JSON.parse`, never run as script.)
struct HtmlSafeJson<W>(W);

impl<W: Write> Write for HtmlSafeJson<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut start = 0;
        for (i, b) in buf.iter().enumerate() {
            let esc: &[u8] = match b {
                b'<' => b"\\u003c",
                b'>' => b"\\u003e",
                b'&' => b"\\u0026",
                _ => continue,
            };
            self.0.write_all(&buf[start..i])?;
            self.0.write_all(esc)?;
            start = i + 1;
        }
        self.0.write_all(&buf[start..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The report as JSON safe to embed in `<script type="application/json">`, serialised straight
/// into its escaped form (one copy, however big the report).
pub fn data_island(report: &Report) -> anyhow::Result<String> {
    let mut out = HtmlSafeJson(Vec::new());
    serde_json::to_writer(&mut out, report)?;
    // serde_json writes UTF-8 and the escapes are ASCII.
    Ok(String::from_utf8(out.0)?)
}

/// Renders into `w`.
pub fn write_to(
    report: &Report,
    templates: Option<&Path>,
    w: &mut dyn Write,
) -> anyhow::Result<()> {
    let html = render(report, templates)?;
    w.write_all(html.as_bytes())?;
    Ok(())
}

/// Renders and writes `report.html`.
pub fn write(report: &Report, path: &Path, templates: Option<&Path>) -> anyhow::Result<()> {
    super::write_atomic_with(path, |w| write_to(report, templates, w))
}
