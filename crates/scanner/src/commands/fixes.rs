//! `iis-sweep fixes REPORT.json --out DIR`: one PowerShell script per host applying the fixes of
//! its open findings (see [`crate::report::fix_script`]).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::report::fix_script::{self, HostScript};

/// What was written.
#[derive(Debug)]
pub struct Written {
    pub scripts: Vec<(PathBuf, HostScript)>,
}

impl Written {
    /// A line per script and a total.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (path, s) in &self.scripts {
            out.push_str(&format!(
                "{}: {} step(s), {} finding(s) by hand\n",
                path.display(),
                s.steps,
                s.manual
            ));
        }
        let steps: usize = self.scripts.iter().map(|(_, s)| s.steps).sum();
        let manual: usize = self.scripts.iter().map(|(_, s)| s.manual).sum();
        out.push_str(&format!(
            "wrote {} script(s): {steps} step(s), {manual} finding(s) to fix by hand; each previews \
             by default, run it with -Apply to change\n",
            self.scripts.len()
        ));
        out
    }
}

/// Reads `report`, writes the scripts of `hosts` (all hosts with open findings when empty) into
/// `out`. A host named in `hosts` that the report does not know is an error; a known host
/// without open findings gets no script (and is said so).
pub fn run(report: &Path, hosts: &[String], out: &Path) -> anyhow::Result<Written> {
    let r = crate::report::json::read(report)?;
    for h in hosts {
        if !r.hosts.iter().any(|x| x.name.eq_ignore_ascii_case(h)) {
            bail!(
                "{}: no host {h:?} in this report (iis-sweep report --input {} --format csv lists them)",
                report.display(),
                report.display()
            );
        }
    }
    let scripts = fix_script::scripts(&r, hosts);
    if scripts.is_empty() {
        bail!(
            "{}: no open (unwaived) findings{}: nothing to fix",
            report.display(),
            if hosts.is_empty() {
                String::new()
            } else {
                format!(" on {}", hosts.join(", "))
            }
        );
    }
    std::fs::create_dir_all(out).with_context(|| format!("{}", out.display()))?;
    let mut written = Vec::new();
    for s in scripts {
        let path = out.join(&s.file_name);
        // UTF-8 with a byte order mark: Windows PowerShell 5.1 reads BOM-less files in the
        // ANSI code page, which would garble non-ASCII names.
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(s.text.replace('\n', "\r\n").as_bytes());
        std::fs::write(&path, bytes).with_context(|| format!("{}", path.display()))?;
        written.push((path, s));
    }
    Ok(Written { scripts: written })
}
