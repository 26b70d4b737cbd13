//! The command line: every subcommand, argument and default, and how the arguments become the
//! library's options. `main.rs` only parses, dispatches and maps outcomes to exit codes.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use iis_sweep::commands::{self, summary};

/// `iis-sweep --version`: the version and the authentication schemes this build has.
#[cfg(feature = "kerberos")]
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (auth: ntlm, kerberos, basic, certificate)"
);
#[cfg(not(feature = "kerberos"))]
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (auth: ntlm, basic, certificate; no kerberos: built without the `kerberos` feature)"
);
use iis_sweep::finding::{Severity, Substatus};
use iis_sweep::pipeline::{FailOn, Outcome};
use iis_sweep::report::{Format, OutputOptions};
use iis_sweep::rules::settings::RuleSettings;

/// Finds the configuration causes of IIS 401 Unauthorized responses and audits authentication
/// hygiene, on one host or a fleet of thousands.
#[derive(Parser, Debug)]
#[command(name = "iis-sweep", version = VERSION, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    /// Print less: errors only.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more (-v info, -vv debug, -vvv trace). Secrets are never printed.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Evaluate snapshots or applicationHost.config files offline and write reports.
    Check(CheckArgs),
    /// Sweep the hosts of an inventory over WinRM and write reports.
    Scan(ScanArgs),
    /// Check that hosts can be swept (run this first on a real fleet): log on, open a shell,
    /// run a tiny script the collector's way; report auth, stdin delivery, PowerShell version,
    /// language mode, execution policy, elevation and clock skew.
    Ping(PingArgs),
    /// Re-render a saved report.json in other formats, without scanning again.
    Report(ReportArgs),
    /// Generate a demo fleet, serve it with the built-in WinRM simulator on loopback
    /// addresses, sweep it over real WinRM (NTLM, sealed) and write the reports.
    Demo(DemoArgs),
    /// Merge the reports of several shards or sweeps into one (totals recomputed).
    Merge(MergeArgs),
    /// Diagnose a reported 401: the ranked likely causes for one URL.
    Why(WhyArgs),
    /// Print the effective IIS configuration of a path, with where each value comes from.
    Config(ConfigArgs),
    /// Show which identity reads the content behind a path, per authentication method, and
    /// whether the folder's ACL lets it.
    Access(AccessArgs),
    /// Read IIS, HTTPERR and FTP log files copied from a server: requests by status, and the
    /// 401s by substatus and win32 status with what each means (normal challenge legs apart).
    Logs(LogsArgs),
    /// Read Security logs exported from a server (.evtx, or XML from wevtutil / Event Viewer):
    /// failed logons (4625, failed 4776) by account, status, logon type and process, explained.
    Events(EventsArgs),
    /// Write one PowerShell script per host that applies the fixes of its open findings
    /// (previews by default; -Apply changes).
    Fixes(FixesArgs),
    /// List the rules, or print one rule's documentation.
    Rules(RulesArgs),
    /// Print the collector script (run it on a host, hand its JSON to `check`).
    Collector,
    /// The WinRM host simulator: virtual IIS hosts on loopback addresses, for tests and demos.
    #[command(subcommand)]
    Sim(SimCommand),
    /// Work with the HTML report templates.
    #[command(subcommand)]
    Templates(TemplatesCommand),
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) of iis-sweep.
    Manpage,
    /// Print a JSON Schema: `snapshot` or `report`.
    Schema {
        #[arg(value_parser = ["snapshot", "report"])]
        which: String,
    },
}

#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Directory the reports are written to.
    #[arg(long, default_value = "iis-sweep-report")]
    pub out: PathBuf,
    /// Report formats, comma-separated: json, html, csv, junit, sarif, ndjson, inspec, or all.
    #[arg(long, default_value = "json,html", value_parser = parse_formats)]
    pub format: FormatList,
    /// Directory of report templates overriding the built-in ones (see `templates export`).
    #[arg(long)]
    pub templates: Option<PathBuf>,
    /// Only list findings at or above this severity (info, low, medium, high, critical) in the
    /// reports; the exit code still follows --fail-on over all findings.
    #[arg(long, value_parser = parse_severity)]
    pub severity: Option<Severity>,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| format!("{s:?}: use info, low, medium, high or critical"))
}

#[derive(Debug, Clone)]
pub struct FormatList(Vec<Format>);

fn parse_formats(s: &str) -> Result<FormatList, String> {
    Format::parse_list(s).map(FormatList)
}

#[derive(Args, Debug, Clone)]
pub struct PolicyArgs {
    /// Lowest severity that makes the exit code 1 (info, low, medium, high, critical), or
    /// `none` to always exit 0.
    #[arg(long, default_value = "high")]
    pub fail_on: FailOn,
    /// Rule settings and waivers (TOML).
    #[arg(long, value_name = "FILE")]
    pub rules_config: Option<PathBuf>,
    /// A previous report.json: mark findings new or unchanged and list resolved ones.
    #[arg(long, value_name = "REPORT")]
    pub baseline: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Snapshot files, directories of them, or applicationHost.config files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

#[derive(Args, Debug)]
pub struct PingArgs {
    /// Inventory: native TOML, Ansible INI or YAML, `ansible-inventory --list` JSON, or an
    /// Ansible inventory directory (with group_vars/ and host_vars/). Repeat it to sweep
    /// several inventories as one (a host may be in only one of them).
    #[arg(short, long, value_name = "FILE|DIR", required = true)]
    pub inventory: Vec<PathBuf>,
    /// Only hosts matching this Ansible-style pattern (or one host name).
    #[arg(long, value_name = "PATTERN")]
    pub limit: Option<String>,
    /// Hosts pinged at once.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,
    /// Stop using a credential once this many distinct hosts rejected it.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_auth_failures: u32,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

impl PingArgs {
    pub async fn run(self) -> anyhow::Result<Printed> {
        let opts = commands::ping::PingOptions {
            inventory: self.inventory,
            limit: self.limit,
            concurrency: self.concurrency as usize,
            max_auth_failures: self.max_auth_failures as usize,
        };
        let (outcome, results) = commands::ping::run(&opts).await?;
        let text = if self.json {
            serde_json::to_string_pretty(&results)? + "\n"
        } else {
            commands::ping::to_text(&results)
        };
        Ok((outcome, text))
    }
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Inventory: native TOML, Ansible INI or YAML, `ansible-inventory --list` JSON, or an
    /// Ansible inventory directory (with group_vars/ and host_vars/). Repeat it to sweep
    /// several inventories as one (a host may be in only one of them).
    #[arg(short, long, value_name = "FILE|DIR", required = true)]
    pub inventory: Vec<PathBuf>,
    /// Only hosts matching this Ansible-style pattern (groups, names, globs, `a:&b`, `a:!b`).
    #[arg(long, value_name = "PATTERN")]
    pub limit: Option<String>,
    /// Hosts swept at once.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,
    /// Deadline per host in seconds, covering connect, collection and shell cleanup.
    #[arg(long, default_value_t = 300, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub host_timeout: u64,
    /// Connection retries per host (with backoff, within the deadline).
    #[arg(long, default_value_t = 2)]
    pub retries: u32,
    /// Sweep one shard of the inventory: K/N (stable hash of the host name).
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<(u32, u32)>,
    /// Keep every host's snapshot in DIR (evaluate again later with `check DIR`).
    #[arg(long, value_name = "DIR")]
    pub save_snapshots: Option<PathBuf>,
    /// No progress bar (it is hidden anyway when stderr is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// Stop using a credential once this many distinct hosts rejected it (a domain account has
    /// one lockout counter for the whole fleet); the remaining hosts are `skipped`.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_auth_failures: u32,
    /// Largest collector output accepted from one host, MiB (a host past it is a
    /// `collector-error` that says so; nothing is kept of it).
    #[arg(long, default_value_t = iis_sweep::collect::session::DEFAULT_MAX_OUTPUT_MIB,
          value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_output_mib: u32,
    /// Print the hosts that would be swept (address, port, scheme, auth, credential source)
    /// and exit without connecting to any.
    #[arg(long)]
    pub list_hosts: bool,
    /// With --list-hosts: JSON instead of text.
    #[arg(long, requires = "list_hosts")]
    pub json: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    iis_sweep::inventory::shard::parse_shard(s)
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Hosts to generate.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=60000))]
    pub hosts: u32,
    /// Generator seed: the same seed gives the same fleet.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Serve this fleet directory (fleet.toml + hosts/) instead of generating one.
    #[arg(long, value_name = "DIR")]
    pub fleet: Option<PathBuf>,
    /// Hosts swept at once.
    #[arg(long, default_value_t = 32)]
    pub concurrency: u32,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Lowest severity that makes the exit code 1, or `none` (the demo fleet has findings).
    #[arg(long, default_value = "none")]
    pub fail_on: FailOn,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// report.json files written by scan, check or demo.
    #[arg(required = true, num_args = 1..)]
    pub reports: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Lowest severity that makes the exit code 1, or `none`.
    #[arg(long, default_value = "high")]
    pub fail_on: FailOn,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// A report.json written by `check`, `scan`, `merge` (or an earlier `report`).
    #[arg(short, long, value_name = "REPORT")]
    pub input: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
    /// A previous report.json: mark findings new or unchanged and list resolved ones.
    #[arg(long, value_name = "REPORT")]
    pub baseline: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct LogsArgs {
    /// Log files, or folders searched for *.log (e.g. a copy of C:\inetpub\logs\LogFiles).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

impl LogsArgs {
    pub fn run(self) -> anyhow::Result<Printed> {
        let r = commands::logs::run(&self.paths)?;
        let outcome = if r.errors.is_empty() {
            Outcome::Clean
        } else {
            Outcome::Incomplete
        };
        let text = if self.json {
            serde_json::to_string_pretty(&r)? + "\n"
        } else {
            r.to_text()
        };
        Ok((outcome, text))
    }
}

#[derive(Args, Debug)]
pub struct EventsArgs {
    /// .evtx files, XML exports, or folders holding them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

impl EventsArgs {
    pub fn run(self) -> anyhow::Result<Printed> {
        let r = commands::events::run(&self.paths);
        let outcome = if r.errors.is_empty() {
            Outcome::Clean
        } else {
            Outcome::Incomplete
        };
        let text = if self.json {
            serde_json::to_string_pretty(&r)? + "\n"
        } else {
            r.to_text()
        };
        Ok((outcome, text))
    }
}

#[derive(Args, Debug)]
pub struct FixesArgs {
    /// A report.json written by scan, check or demo.
    pub report: PathBuf,
    /// Only these hosts (repeatable); default: every host with open findings.
    #[arg(long = "host", value_name = "HOST")]
    pub hosts: Vec<String>,
    /// Directory the scripts are written to (one HOST.ps1 per host).
    #[arg(long, default_value = "iis-sweep-fixes")]
    pub out: PathBuf,
}

impl FixesArgs {
    pub fn run(self) -> anyhow::Result<Printed> {
        let w = commands::fixes::run(&self.report, &self.hosts, &self.out)?;
        Ok((Outcome::Clean, w.to_text()))
    }
}

#[derive(Args, Debug)]
pub struct WhyArgs {
    /// A snapshot file or an applicationHost.config.
    pub path: PathBuf,
    /// The site name, as in IIS Manager.
    #[arg(long)]
    pub site: String,
    /// The URL path users get the 401 on, e.g. /app/page.aspx.
    #[arg(long, default_value = "/")]
    pub url: String,
    /// The substatus from the IIS log or the detailed error page, e.g. 401.3.
    #[arg(long, value_parser = parse_substatus)]
    pub substatus: Option<Substatus>,
    /// Rule settings and waivers (TOML).
    #[arg(long, value_name = "FILE")]
    pub rules_config: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

fn parse_substatus(s: &str) -> Result<Substatus, String> {
    Substatus::parse(s)
        .ok_or_else(|| format!("{s:?}: use 401.1, 401.2, 401.3, 401.4, 401.5, 401.501 … 401.504"))
}

#[derive(Args, Debug)]
pub struct ConfigArgs {
    /// A snapshot file or an applicationHost.config.
    #[arg(value_name = "PATH")]
    pub input: PathBuf,
    #[arg(long)]
    pub site: String,
    /// URL path inside the site, e.g. /app/sub.
    #[arg(long = "path", default_value = "/")]
    pub url: String,
    /// One section, e.g. system.webServer/security/authentication/windowsAuthentication.
    #[arg(long)]
    pub section: Option<String>,
    /// text or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

#[derive(Args, Debug)]
pub struct AccessArgs {
    /// A snapshot file.
    #[arg(value_name = "PATH")]
    pub input: PathBuf,
    #[arg(long)]
    pub site: String,
    /// URL path inside the site.
    #[arg(long = "path", default_value = "/")]
    pub url: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// A rule code or name: print its documentation.
    pub rule: Option<String>,
    /// Output format: table, json or markdown.
    #[arg(long, default_value = "table", value_parser = ["table", "json", "markdown"])]
    pub format: String,
}

#[derive(Subcommand, Debug)]
pub enum SimCommand {
    /// Serve a fleet directory over WS-Management until Ctrl-C.
    Serve(iis_sweep_sim::server::SimServeArgs),
    /// Write a realistic fleet (fleet.toml, hosts/NAME.json, answers.json) from a seed.
    Generate(GenerateArgs),
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Number of hosts.
    #[arg(long, default_value_t = 200)]
    pub hosts: usize,
    /// Seed: the same seed writes the same fleet, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fleet directory to write.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Give a fault to a fraction of the hosts, e.g. `hang=0.01` (repeatable).
    #[arg(long = "fault", value_name = "FAULT=FRACTION", value_parser = parse_fault_fraction)]
    pub faults: Vec<(String, f64)>,
    /// Indented JSON snapshots (larger, easier to read).
    #[arg(long)]
    pub pretty: bool,
}

fn parse_fault_fraction(s: &str) -> Result<(String, f64), String> {
    let (fault, fraction) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("{s:?}: use FAULT=FRACTION, e.g. hang=0.01"))?;
    let f: f64 = fraction
        .parse()
        .map_err(|_| format!("{s:?}: {fraction:?} is not a number"))?;
    if !(0.0..=1.0).contains(&f) {
        return Err(format!("{s:?}: the fraction must be between 0 and 1"));
    }
    Ok((fault.to_string(), f))
}

#[derive(Subcommand, Debug)]
pub enum TemplatesCommand {
    /// Write the built-in templates to DIR for editing; use them with `--templates DIR`.
    Export { dir: PathBuf },
}

impl OutputArgs {
    pub fn options(&self) -> OutputOptions {
        OutputOptions {
            out_dir: self.out.clone(),
            formats: self.format.0.clone(),
            templates: self.templates.clone(),
            min_severity: self.severity,
        }
    }
}

/// What a report-writing command prints after its run: the summary on stdout; nothing with
/// `-q`; on stderr when the report itself went to stdout (`--out -`).
pub fn said(report: &iis_sweep::report::Report, out: &OutputOptions, quiet: bool) -> String {
    if quiet {
        return String::new();
    }
    let text = summary(report, out);
    if out.to_stdout() {
        eprint!("{text}");
        return String::new();
    }
    text
}

/// `--rules-config FILE`, or the defaults.
pub fn load_settings(file: Option<&std::path::Path>) -> anyhow::Result<RuleSettings> {
    match file {
        Some(p) => RuleSettings::load(p),
        None => Ok(RuleSettings::default()),
    }
}

impl CheckArgs {
    pub fn options(self) -> anyhow::Result<iis_sweep::commands::check::CheckOptions> {
        self.output.options().check()?;
        Ok(iis_sweep::commands::check::CheckOptions {
            output: self.output.options(),
            settings: load_settings(self.policy.rules_config.as_deref())?,
            fail_on: self.policy.fail_on,
            baseline: self.policy.baseline,
            paths: self.paths,
        })
    }
}

impl ScanArgs {
    pub fn options(self, quiet: bool) -> anyhow::Result<iis_sweep::commands::scan::ScanOptions> {
        self.output.options().check()?;
        Ok(iis_sweep::commands::scan::ScanOptions {
            output: self.output.options(),
            settings: load_settings(self.policy.rules_config.as_deref())?,
            fail_on: self.policy.fail_on,
            baseline: self.policy.baseline,
            inventory: self.inventory,
            limit: self.limit,
            concurrency: self.concurrency as usize,
            host_timeout: std::time::Duration::from_secs(self.host_timeout),
            retries: self.retries,
            shard: self.shard,
            save_snapshots: self.save_snapshots,
            progress: !self.no_progress && !quiet,
            max_auth_failures: self.max_auth_failures as usize,
            max_output_mib: self.max_output_mib as usize,
        })
    }
}

impl DemoArgs {
    pub fn options(self) -> iis_sweep_sim::demo::DemoOptions {
        iis_sweep_sim::demo::DemoOptions {
            hosts: self.hosts as usize,
            seed: self.seed,
            fleet: self.fleet,
            concurrency: self.concurrency.max(1) as usize,
            output: self.output.options(),
            fail_on: self.fail_on,
        }
    }
}

impl GenerateArgs {
    pub fn options(self) -> iis_sweep_sim::generate::GenerateOptions {
        iis_sweep_sim::generate::GenerateOptions {
            hosts: self.hosts,
            seed: self.seed,
            faults: self.faults,
            pretty: self.pretty,
        }
    }
}

/// What a subcommand that only prints returns: the exit outcome and the text for stdout.
pub type Printed = (Outcome, String);

impl DemoArgs {
    pub async fn run(self) -> anyhow::Result<Printed> {
        let opts = self.options();
        let started = std::time::Instant::now();
        let (outcome, report, score) = iis_sweep_sim::demo::run(&opts).await?;
        let hosts = report.hosts.len();
        let demo = iis_sweep_sim::demo::summary(hosts, started.elapsed(), score.as_ref());
        Ok((outcome, summary(&report, &opts.output) + &demo))
    }
}

impl WhyArgs {
    pub fn run(self) -> anyhow::Result<Printed> {
        let settings = load_settings(self.rules_config.as_deref())?;
        let d = commands::why::run(&self.path, &self.site, &self.url, self.substatus, &settings)?;
        let outcome = if d.causes.is_empty() {
            Outcome::Clean
        } else {
            Outcome::Findings
        };
        let text = if self.json {
            serde_json::to_string_pretty(&d)? + "\n"
        } else {
            d.to_text()
        };
        Ok((outcome, text))
    }
}

impl ConfigArgs {
    pub fn run(self) -> anyhow::Result<Printed> {
        let json = self.format == "json";
        let section = self.section.as_deref();
        let text = commands::inspect::config(&self.input, &self.site, &self.url, section, json)?;
        Ok((Outcome::Clean, text))
    }
}

impl AccessArgs {
    pub fn run(self) -> anyhow::Result<Printed> {
        let r = commands::inspect::access(&self.input, &self.site, &self.url)?;
        let text = if self.json {
            serde_json::to_string_pretty(&r)? + "\n"
        } else {
            r.to_text()
        };
        Ok((Outcome::Clean, text))
    }
}

impl GenerateArgs {
    pub fn run(self) -> anyhow::Result<Printed> {
        let out = self.out.clone();
        let key = iis_sweep_sim::generate::generate(&self.options(), &out)?;
        let text = format!(
            "wrote {} hosts with {} planted problems to {}\n",
            key.hosts,
            key.answers.len(),
            out.display()
        );
        Ok((Outcome::Clean, text))
    }
}

/// `completions SHELL`: clap's own generator for this command line.
pub fn completions(shell: clap_complete::Shell) -> String {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "iis-sweep", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// `manpage`: clap's own roff generator.
pub fn manpage() -> anyhow::Result<String> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}
