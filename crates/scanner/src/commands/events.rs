//! `iis-sweep events FILE.evtx|FILE.xml|DIR… [--json]`: failed logons in Security logs exported
//! from a server, grouped and explained (see [`crate::events`]).

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::events::read::{read_all, EventsReport};

pub fn run(paths: &[PathBuf]) -> EventsReport {
    read_all(paths)
}

impl EventsReport {
    /// The report for a terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in &self.files {
            let ids: Vec<String> = f.by_id.iter().map(|(id, n)| format!("{id} ×{n}")).collect();
            let _ = writeln!(
                out,
                "{}: {} ({}), {} events{}{}",
                f.path.display(),
                f.format,
                if f.channels.is_empty() {
                    "no channel".to_string()
                } else {
                    f.channels.join(", ")
                },
                f.events,
                if ids.is_empty() {
                    String::new()
                } else {
                    format!(": {}", ids.join(", "))
                },
                if f.unreadable > 0 {
                    format!("; {} unreadable records", f.unreadable)
                } else {
                    String::new()
                }
            );
        }
        for e in &self.errors {
            let _ = writeln!(out, "error: {e}");
        }
        if self.failed_logons.is_empty() {
            out.push_str("\nno failed logons (events 4625, or 4776 with a non-zero status)\n");
            return out;
        }
        out.push_str("\nfailed logons:\n");
        for g in &self.failed_logons {
            let _ = writeln!(
                out,
                "  {:>6} × {}  {}{} — {}{}{}",
                g.count,
                g.account,
                g.status,
                if g.substatus.is_empty() {
                    String::new()
                } else {
                    format!("/{}", g.substatus)
                },
                g.meaning,
                if g.logon_type.is_empty() {
                    String::new()
                } else {
                    format!("; logon type {} ({})", g.logon_type, g.logon_type_meaning)
                },
                if g.process.is_empty() {
                    String::new()
                } else {
                    format!("; process {}", g.process)
                },
            );
            if let (Some(a), Some(b)) = (&g.first, &g.last) {
                let _ = writeln!(out, "           {a} – {b} (event {})", g.event_id);
            }
        }
        out
    }
}
