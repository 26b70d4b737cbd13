//! Reports: the model ([`model`]) and one writer per format.
//!
//! Every writer takes the finished [`model::Report`] and writes one file into the output
//! directory; none of them looks at the clock or the network, so the same report always renders
//! to the same bytes. The HTML is rendered from handlebars templates in `report-templates/`
//! (embedded at build time; `--templates DIR` overrides them). `docs/report-formats.md` documents
//! every format.

pub mod build;
pub mod csv;
pub mod drift;
pub mod fix_script;
pub mod html;
pub mod inspec;
pub mod json;
pub mod junit;
pub mod model;
pub mod ndjson;
pub mod sarif;
pub mod terminal;

use std::io::Write;
use std::path::{Path, PathBuf};

pub use model::Report;

use crate::finding::{Evidence, EvidenceKind, Finding, HostStatus};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// The canonical report, `iis-sweep/report/1`.
    Json,
    /// One self-contained page for people.
    Html,
    /// One row per finding, for spreadsheets.
    Csv,
    /// One row per host (every host: clean, failed, not evaluated), for spreadsheets.
    HostsCsv,
    /// JUnit XML: one testsuite per host, one testcase per rule, for CI test tabs.
    Junit,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// One JSON object per finding per line, for log platforms.
    Ndjson,
    /// InSpec "exec JSON" (HDF), for MITRE SAF tools and Heimdall.
    Inspec,
}

impl Format {
    pub const ALL: &'static [Format] = &[
        Format::Json,
        Format::Html,
        Format::Csv,
        Format::HostsCsv,
        Format::Junit,
        Format::Sarif,
        Format::Ndjson,
        Format::Inspec,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Html => "html",
            Format::Csv => "csv",
            Format::HostsCsv => "hosts-csv",
            Format::Junit => "junit",
            Format::Sarif => "sarif",
            Format::Ndjson => "ndjson",
            Format::Inspec => "inspec",
        }
    }

    /// The file this format writes in the output directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => "report.json",
            Format::Html => "report.html",
            Format::Csv => "findings.csv",
            Format::HostsCsv => "hosts.csv",
            Format::Junit => "junit.xml",
            Format::Sarif => "report.sarif",
            Format::Ndjson => "findings.ndjson",
            Format::Inspec => "inspec.json",
        }
    }

    /// Parses a comma-separated list such as `json,html`; `all` selects every format.
    pub fn parse_list(s: &str) -> Result<Vec<Format>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part.eq_ignore_ascii_case("all") {
                for f in Format::ALL {
                    if !out.contains(f) {
                        out.push(*f);
                    }
                }
                continue;
            }
            let f = Format::ALL
                .iter()
                .copied()
                .find(|f| f.name().eq_ignore_ascii_case(part))
                .ok_or_else(|| {
                    let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                    format!(
                        "unknown format {part:?}; choose from {} (or all)",
                        names.join(", ")
                    )
                })?;
            if !out.contains(&f) {
                out.push(f);
            }
        }
        if out.is_empty() {
            return Err("no format given".into());
        }
        Ok(out)
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where and how to write reports.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    pub out_dir: PathBuf,
    pub formats: Vec<Format>,
    /// Directory of templates that override the embedded ones.
    pub templates: Option<PathBuf>,
    /// `--severity`: only findings at or above it are written (the exit code still sees all).
    pub min_severity: Option<crate::finding::Severity>,
}

impl OutputOptions {
    /// The error for `--out -` with several formats.
    pub const ONE_FORMAT: &'static str =
        "--out - writes one report to stdout: choose one format with --format (e.g. --format json)";

    /// `--out -`: the one requested format goes to stdout, nothing else does.
    pub fn to_stdout(&self) -> bool {
        self.out_dir.as_os_str() == "-"
    }

    /// Refuses `--out -` with more than one format before any work is done.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.to_stdout() && self.formats.len() != 1 {
            anyhow::bail!("{}", Self::ONE_FORMAT);
        }
        Ok(())
    }
}

/// Renders one format into `w`. `templates` only matters for HTML.
pub fn render_to(
    report: &Report,
    format: Format,
    templates: Option<&Path>,
    w: &mut dyn Write,
) -> anyhow::Result<()> {
    match format {
        Format::Json => json::write_to(report, w),
        Format::Html => html::write_to(report, templates, w),
        Format::Csv => csv::write_to(report, w),
        Format::HostsCsv => csv::write_hosts_to(report, w),
        Format::Junit => junit::write_to(report, w),
        Format::Sarif => sarif::write_to(report, w),
        Format::Ndjson => ndjson::write_to(report, w),
        Format::Inspec => inspec::write_to(report, w),
    }
}

/// Renders one format to bytes (tests and callers that want the text).
pub fn render(
    report: &Report,
    format: Format,
    templates: Option<&Path>,
) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    render_to(report, format, templates, &mut out)?;
    Ok(out)
}

/// Writes every requested format; returns the files written.
pub fn write_all(report: &Report, opts: &OutputOptions) -> anyhow::Result<Vec<PathBuf>> {
    if opts.to_stdout() {
        let [format] = opts.formats.as_slice() else {
            anyhow::bail!("{}", OutputOptions::ONE_FORMAT);
        };
        let stdout = std::io::stdout();
        let mut w = std::io::BufWriter::new(stdout.lock());
        render_to(report, *format, opts.templates.as_deref(), &mut w)?;
        w.flush()?;
        return Ok(Vec::new());
    }
    std::fs::create_dir_all(&opts.out_dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", opts.out_dir.display()))?;
    let mut written = Vec::new();
    for f in &opts.formats {
        let path = opts.out_dir.join(f.file_name());
        write_atomic_with(&path, |w| {
            render_to(report, *f, opts.templates.as_deref(), w)
        })
        .map_err(|e| anyhow::anyhow!("writing the {f} report: {e:#}"))?;
        written.push(path);
    }
    Ok(written)
}

/// Writes `bytes` to `path` atomically (temp file + rename), so a reader never sees half a report.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomic_with(path, |w| Ok(w.write_all(bytes)?))
}

/// Streams into a temporary file next to `path`, then renames it into place. Nothing is left
/// behind when `fill` fails.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let result = (|| {
        let file =
            std::fs::File::create(&tmp).map_err(|e| anyhow::anyhow!("{}: {e}", tmp.display()))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
        fill(&mut w)?;
        let file = w
            .into_inner()
            .map_err(|e| anyhow::anyhow!("{}: {}", tmp.display(), e.error()))?;
        file.sync_all()
            .map_err(|e| anyhow::anyhow!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// One evidence item as one line of text: `C:\…\web.config:12: <text>`, `acl C:\site: <ace>`.
pub(crate) fn evidence_line(e: &Evidence) -> String {
    match (&e.location, e.line) {
        (Some(loc), Some(line)) => format!("{loc}:{line}: {}", e.text),
        (Some(loc), None) => format!("{loc}: {}", e.text),
        (None, _) => format!("{}: {}", evidence_kind(e.kind), e.text),
    }
}

pub(crate) fn evidence_kind(k: EvidenceKind) -> &'static str {
    match k {
        EvidenceKind::Config => "config",
        EvidenceKind::Acl => "acl",
        EvidenceKind::Registry => "registry",
        EvidenceKind::Account => "account",
        EvidenceKind::Host => "host",
        EvidenceKind::Default => "default",
        EvidenceKind::Event => "event",
    }
}

/// `host › site › /path` — where a finding is, for one-line summaries.
pub(crate) fn finding_place(f: &Finding) -> String {
    let mut parts = vec![f.host.as_str()];
    if let Some(s) = &f.site {
        parts.push(s);
    }
    if let Some(p) = f.url_path.as_deref().or(f.application.as_deref()) {
        parts.push(p);
    }
    parts.join(" › ")
}

/// Host name → status, for writers that annotate findings with their host's status.
pub(crate) fn host_statuses(report: &Report) -> std::collections::HashMap<&str, HostStatus> {
    report
        .hosts
        .iter()
        .map(|h| (h.name.as_str(), h.status))
        .collect()
}

/// The report's findings followed by the baseline's resolved ones, each with its drift label
/// (`new`, `unchanged`, `resolved`, or none without a baseline). CSV, NDJSON and SARIF list
/// resolved findings too, so a log platform or dashboard sees them close.
pub(crate) fn findings_with_resolved(
    report: &Report,
) -> impl Iterator<Item = (&Finding, Option<&'static str>)> {
    let current = report.findings.iter().map(|f| {
        let d = f.drift.map(|d| match d {
            crate::finding::Drift::New => "new",
            crate::finding::Drift::Unchanged => "unchanged",
        });
        (f, d)
    });
    let resolved = report
        .baseline
        .iter()
        .flat_map(|b| b.resolved.iter())
        .map(|f| (f, Some("resolved")));
    current.chain(resolved)
}

/// Re-renders a saved report: reads `input` (report.json), applies `baseline` when given, writes
/// `output.formats`, and returns the report. The library side of `iis-sweep report`.
pub fn rerender(
    input: &Path,
    output: &OutputOptions,
    baseline: Option<&Path>,
) -> anyhow::Result<Report> {
    let mut report = json::read(input)?;
    if let Some(b) = baseline {
        drift::apply_baseline(&mut report, b)?;
    }
    write_all(&report, output)?;
    Ok(report)
}
