//! `iis-sweep rules [CODE]`: the rule catalogue.

use crate::rules;

use std::fmt::Write as _;

/// The catalogue (`table`, `json`, `markdown`) or one rule's documentation.
pub fn run(rule: Option<&str>, format: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    if let Some(code) = rule {
        let r = rules::find(code)
            .ok_or_else(|| anyhow::anyhow!("no rule {code:?}; `iis-sweep rules` lists them"))?;
        match format {
            "json" => writeln!(out, "{}", serde_json::to_string_pretty(&r.info())?)?,
            _ => out.push_str(&r.markdown()),
        }
        return Ok(out);
    }
    match format {
        "json" => {
            let all: Vec<_> = rules::all().iter().map(|r| r.info()).collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
        }
        "markdown" => out.push_str(&rules::rules_markdown()),
        _ => {
            writeln!(
                out,
                "{:<5} {:<8} {:<9} {:<40} TITLE",
                "CODE", "SEVERITY", "SUBSTATUS", "NAME"
            )?;
            for r in rules::all() {
                let subs: Vec<&str> = r.substatus.iter().map(|s| s.as_str()).collect();
                writeln!(
                    out,
                    "{:<5} {:<8} {:<9} {:<40} {}",
                    r.code,
                    r.severity.as_str(),
                    subs.join(","),
                    r.name,
                    r.title
                )?;
            }
        }
    }
    Ok(out)
}
