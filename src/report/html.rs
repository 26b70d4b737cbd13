//! `report.html`: one self-contained page (inline CSS and JS, no network) rendered with
//! handlebars from `report-templates/`.
//!
//! Host-supplied text is never trusted: handlebars escapes every `{{value}}`, the templates never
//! use triple braces on report data, and the data island for the page's script is JSON with `<`,
//! `>` and `&` escaped so it cannot close its `<script>` element.

use std::path::Path;

use handlebars::Handlebars;
use serde_json::json;

use super::model::Report;

/// The embedded templates: (file name, text). `--templates DIR` replaces any of them by name.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "report.html.hbs",
        include_str!("../../report-templates/report.html.hbs"),
    ),
    (
        "style.css",
        include_str!("../../report-templates/style.css"),
    ),
    (
        "script.js",
        include_str!("../../report-templates/script.js"),
    ),
];

/// Renders the report to HTML.
pub fn render(report: &Report, templates: Option<&Path>) -> anyhow::Result<String> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(false);
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
    let data = json!({
        "report": report,
        "css_hash": csp_hash(&css),
        "js_hash": csp_hash(&js),
        "css": css,
        "js": js,
        "data_island": data_island(report)?,
        "severities": ["critical", "high", "medium", "low", "info"],
    });
    hb.render("report.html.hbs", &data)
        .map_err(|e| anyhow::anyhow!("rendering report.html: {e}"))
}

/// The Content-Security-Policy source hash of an inline element's text: only our own style and
/// script run, even if something got past escaping.
fn csp_hash(text: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes()))
}

/// The report as JSON safe to embed in `<script type="application/json">`.
pub fn data_island(report: &Report) -> anyhow::Result<String> {
    let raw = serde_json::to_string(report)?;
    let mut out = String::with_capacity(raw.len() + raw.len() / 16);
    for c in raw.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Renders and writes `report.html`.
pub fn write(report: &Report, path: &Path, templates: Option<&Path>) -> anyhow::Result<()> {
    let html = render(report, templates)?;
    super::write_atomic(path, html.as_bytes())
}
