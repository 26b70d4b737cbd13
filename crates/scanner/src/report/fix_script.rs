//! `iis-sweep fixes`: one PowerShell script per host that applies the fixes of its open findings
//! (waived ones left out), grouped by site, each step commented with its finding.
//!
//! The script previews by default and changes nothing; `-Apply` changes. A step whose change is
//! already in place is skipped (a second run changes nothing). Everything the host supplied —
//! site, path, pool and account names, messages — reaches the script either as a single-quoted
//! literal ([`ps_quote`]) or inside a comment with line breaks made visible ([`comment_text`]),
//! never as code; tests parse every script with a PowerShell grammar to prove it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::finding::fix::{comment_text, ps_quote};
use crate::finding::Finding;

use super::model::Report;

/// How every script starts: its one parameter (`$ExpectedHost` follows, then [`PRELUDE`]).
const PARAMS: &str = r#"[CmdletBinding()]
param(
    # Make the changes. Without it the script only says what it would change.
    [switch]$Apply
)
"#;

/// The helpers every script runs before its steps.
const PRELUDE: &str = r#"Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

if ($Apply) {
    $principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
    if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
        throw 'Run this script from an elevated PowerShell (Run as administrator).'
    }
    $short = ($ExpectedHost -split '\.')[0]
    if ($env:COMPUTERNAME -ne $short) {
        throw "This script was written for $ExpectedHost; this computer is $env:COMPUTERNAME."
    }
}
Import-Module WebAdministration -ErrorAction SilentlyContinue

$script:Changed = 0
$script:Pending = 0
$script:Skipped = 0
$script:Failed = 0
$script:Manual = 0

function Get-ConfigValue {
    param([string]$PSPath, [string]$Location, [string]$Filter, [string]$Name)
    $query = @{ PSPath = $PSPath; Filter = $Filter; Name = $Name; ErrorAction = 'SilentlyContinue' }
    if ($Location) { $query.Location = $Location }
    $value = Get-WebConfigurationProperty @query
    if ($null -ne $value -and $value.PSObject.Properties['Value']) { $value = $value.Value }
    [string]$value
}

function Get-RegistryText {
    param([string]$Path, [string]$Name)
    $item = Get-ItemProperty -LiteralPath $Path -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    (@($item.$Name) | ForEach-Object { [string]$_ }) -join "`n"
}

function Invoke-Native {
    param([string]$Exe, [Parameter(ValueFromRemainingArguments = $true)][string[]]$Arguments)
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Exe exited with code $LASTEXITCODE" }
}

function Invoke-FixStep {
    param([string]$Finding, [string]$Description, [scriptblock]$Test, [scriptblock]$Change)
    if ($null -ne $Test) {
        $done = $false
        try { $done = [bool](& $Test) } catch { $done = $false }
        if ($done) {
            $script:Skipped++
            Write-Host "[in place] $Finding $Description"
            return
        }
    }
    if (-not $Apply) {
        $script:Pending++
        Write-Host "[would change] $Finding $Description"
        return
    }
    try {
        & $Change
        $script:Changed++
        Write-Host "[changed] $Finding $Description"
    } catch {
        $script:Failed++
        Write-Warning "[failed] $Finding ${Description}: $_"
    }
}

function Write-ManualStep {
    param([string]$Finding, [string]$Description)
    $script:Manual++
    Write-Host "[by hand] $Finding $Description"
}
"#;

const SUMMARY: &str = r#"
Write-Host ''
if ($Apply) {
    Write-Host "$script:Changed changed, $script:Skipped already in place, $script:Failed failed, $script:Manual to do by hand."
} else {
    Write-Host "Preview: $script:Pending would change, $script:Skipped already in place, $script:Manual to do by hand. Run with -Apply to change."
}
if ($script:Failed -gt 0) { exit 1 }
"#;

/// One host's script.
#[derive(Debug)]
pub struct HostScript {
    pub host: String,
    /// A file name made from the host name (letters, digits, `.`, `-`, `_`).
    pub file_name: String,
    pub text: String,
    /// Steps applied unattended.
    pub steps: usize,
    /// Findings whose fix needs a person (listed in the script, not run).
    pub manual: usize,
}

/// The scripts for `hosts` (all hosts with open findings when empty), sorted by host name.
pub fn scripts(report: &Report, hosts: &[String]) -> Vec<HostScript> {
    let mut by_host: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in report.findings.iter().filter(|f| f.waived.is_none()) {
        if hosts.is_empty() || hosts.iter().any(|h| h.eq_ignore_ascii_case(&f.host)) {
            by_host.entry(f.host.as_str()).or_default().push(f);
        }
    }
    let mut used: Vec<String> = Vec::new();
    by_host
        .into_iter()
        .map(|(host, findings)| {
            let file_name = unique_file_name(host, &mut used);
            host_script(report, host, file_name, &findings)
        })
        .collect()
}

fn unique_file_name(host: &str, used: &mut Vec<String>) -> String {
    let mut base: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    base = base.trim_matches('.').to_string();
    if base.is_empty() {
        base = "host".to_string();
    }
    let mut name = format!("{base}.ps1");
    let mut n = 2;
    while used.iter().any(|u| u.eq_ignore_ascii_case(&name)) {
        name = format!("{base}-{n}.ps1");
        n += 1;
    }
    used.push(name.clone());
    name
}

fn host_script(
    report: &Report,
    host: &str,
    file_name: String,
    findings: &[&Finding],
) -> HostScript {
    let mut out = String::new();
    let _ = writeln!(out, "# iis-sweep fixes for host {}", comment_text(host));
    let _ = writeln!(
        out,
        "# From the report of {} (iis-sweep {}, rules {}), {} open finding(s).",
        comment_text(&report.run.finished),
        comment_text(&report.tool.version),
        comment_text(&report.tool.ruleset),
        findings.len()
    );
    out.push_str(
        "# Preview (changes nothing): .\\SCRIPT.ps1    Apply: .\\SCRIPT.ps1 -Apply\n\
         # Review every step before applying: the report's evidence says why each is proposed.\n",
    );
    out.push_str(PARAMS);
    // After the param block: a variable, so the host name is data like every other value.
    let _ = writeln!(out, "$ExpectedHost = {}", ps_quote(host));
    out.push_str(PRELUDE);

    let mut by_site: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        by_site
            .entry(f.site.as_deref().unwrap_or(""))
            .or_default()
            .push(f);
    }
    let (mut steps, mut manual) = (0, 0);
    for (site, fs) in by_site {
        out.push('\n');
        if site.is_empty() {
            out.push_str("# ===== Host-wide =====\n");
        } else {
            let _ = writeln!(out, "# ===== Site {} =====", comment_text(site));
        }
        for f in fs {
            let where_ = match (&f.site, &f.url_path) {
                (Some(s), Some(p)) => format!("{s}{}", p.trim_end_matches('/')),
                (Some(s), None) => s.clone(),
                _ => "host-wide".to_string(),
            };
            out.push('\n');
            let _ = writeln!(
                out,
                "# {} {} ({}, {}) at {}",
                f.rule,
                f.name,
                f.severity.as_str(),
                comment_text(f.substatus.as_str()),
                comment_text(&where_)
            );
            let _ = writeln!(out, "# {}", comment_text(&f.message));
            let _ = writeln!(out, "# fingerprint {}", comment_text(&f.fingerprint));
            let label = ps_quote(&format!("{} {}", f.rule, f.fingerprint));
            let mut refused = Vec::new();
            for step in &f.steps {
                match step.powershell() {
                    Ok(change) => {
                        steps += 1;
                        let _ = write!(
                            out,
                            "Invoke-FixStep -Finding {label} -Description {}",
                            ps_quote(&step.describe())
                        );
                        if let Some(test) = step.powershell_test() {
                            let _ = write!(out, " -Test {{ {test} }}");
                        }
                        let _ = writeln!(out, " -Change {{\n    {change}\n}}");
                    }
                    Err(why) => refused.push(format!("{}: {why}", step.describe())),
                }
            }
            if f.steps.is_empty() || !refused.is_empty() {
                manual += 1;
                let text = if refused.is_empty() {
                    format!("needs a person: {}", f.fix)
                } else {
                    refused.join("; ")
                };
                for line in text.lines() {
                    let _ = writeln!(out, "#   {}", comment_text(line));
                }
                let _ = writeln!(
                    out,
                    "Write-ManualStep -Finding {label} -Description {}",
                    ps_quote(&format!("{}: see the report (by hand)", f.name))
                );
            }
        }
    }
    out.push_str(SUMMARY);
    HostScript {
        host: host.to_string(),
        file_name,
        text: out,
        steps,
        manual,
    }
}
