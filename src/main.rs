//! The `iis-sweep` command line: parses arguments, calls the library, maps outcomes to exit
//! codes (0 clean, 1 findings, 2 usage or input error, 3 hosts not evaluated).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Most of the scanner's CPU goes to building many small strings and vectors per host (parsed
/// configuration, effective sections, SOAP bodies); mimalloc serves those markedly faster than
/// the system allocator (see docs/PERFORMANCE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use iis_sweep::commands::{self, FailOn, Outcome};
use iis_sweep::report::model::Substatus;
use iis_sweep::report::{Format, OutputOptions};
use iis_sweep::rules::settings::RuleSettings;

/// Finds the configuration causes of IIS 401 Unauthorized responses and audits authentication
/// hygiene, on one host or a fleet of thousands.
#[derive(Parser, Debug)]
#[command(name = "iis-sweep", version, about, long_about = None, max_term_width = 100)]
struct Cli {
    /// Print less: errors only.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print more (-v info, -vv debug, -vvv trace). Secrets are never printed.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Evaluate snapshots or applicationHost.config files offline and write reports.
    Check(CheckArgs),
    /// Sweep the hosts of an inventory over WinRM and write reports.
    Scan(ScanArgs),
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
    /// Print a JSON Schema: `snapshot` or `report`.
    Schema {
        #[arg(value_parser = ["snapshot", "report"])]
        which: String,
    },
}

#[derive(Args, Debug, Clone)]
struct OutputArgs {
    /// Directory the reports are written to.
    #[arg(long, default_value = "iis-sweep-report")]
    out: PathBuf,
    /// Report formats, comma-separated: json, html, csv, junit, sarif, ndjson, inspec, or all.
    #[arg(long, default_value = "json,html", value_parser = parse_formats)]
    format: FormatList,
    /// Directory of report templates overriding the built-in ones (see `templates export`).
    #[arg(long)]
    templates: Option<PathBuf>,
}

#[derive(Debug, Clone)]
struct FormatList(Vec<Format>);

fn parse_formats(s: &str) -> Result<FormatList, String> {
    Format::parse_list(s).map(FormatList)
}

#[derive(Args, Debug, Clone)]
struct PolicyArgs {
    /// Lowest severity that makes the exit code 1 (info, low, medium, high, critical), or
    /// `none` to always exit 0.
    #[arg(long, default_value = "high")]
    fail_on: FailOn,
    /// Rule settings and waivers (TOML).
    #[arg(long, value_name = "FILE")]
    rules_config: Option<PathBuf>,
    /// A previous report.json: mark findings new or unchanged and list resolved ones.
    #[arg(long, value_name = "REPORT")]
    baseline: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Snapshot files, directories of them, or applicationHost.config files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Args, Debug)]
struct ScanArgs {
    /// Inventory: native TOML, Ansible INI or YAML, or `ansible-inventory --list` JSON.
    #[arg(short, long, value_name = "FILE")]
    inventory: PathBuf,
    /// Only hosts matching this Ansible-style pattern (groups, names, globs, `a:&b`, `a:!b`).
    #[arg(long, value_name = "PATTERN")]
    limit: Option<String>,
    /// Hosts swept at once.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    concurrency: u32,
    /// Deadline per host in seconds, covering connect, collection and shell cleanup.
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    host_timeout: u64,
    /// Connection retries per host (with backoff, within the deadline).
    #[arg(long, default_value_t = 2)]
    retries: u32,
    /// Sweep one shard of the inventory: K/N (stable hash of the host name).
    #[arg(long, value_parser = parse_shard)]
    shard: Option<(u32, u32)>,
    /// Keep every host's snapshot in DIR (evaluate again later with `check DIR`).
    #[arg(long, value_name = "DIR")]
    save_snapshots: Option<PathBuf>,
    /// No progress bar (it is hidden anyway when stderr is not a terminal).
    #[arg(long)]
    no_progress: bool,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    policy: PolicyArgs,
}

fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    iis_sweep::collect::sweep::parse_shard(s)
}

#[derive(Args, Debug)]
struct DemoArgs {
    /// Hosts to generate.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=60000))]
    hosts: u32,
    /// Generator seed: the same seed gives the same fleet.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Serve this fleet directory (fleet.toml + hosts/) instead of generating one.
    #[arg(long, value_name = "DIR")]
    fleet: Option<PathBuf>,
    /// Hosts swept at once.
    #[arg(long, default_value_t = 32)]
    concurrency: u32,
    #[command(flatten)]
    output: OutputArgs,
    /// Lowest severity that makes the exit code 1, or `none` (the demo fleet has findings).
    #[arg(long, default_value = "none")]
    fail_on: FailOn,
}

#[derive(Args, Debug)]
struct MergeArgs {
    /// report.json files written by scan, check or demo.
    #[arg(required = true, num_args = 1..)]
    reports: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
    /// Lowest severity that makes the exit code 1, or `none`.
    #[arg(long, default_value = "high")]
    fail_on: FailOn,
}

#[derive(Args, Debug)]
struct ReportArgs {
    /// A report.json written by `check`, `scan`, `merge` (or an earlier `report`).
    #[arg(short, long, value_name = "REPORT")]
    input: PathBuf,
    #[command(flatten)]
    output: OutputArgs,
    /// A previous report.json: mark findings new or unchanged and list resolved ones.
    #[arg(long, value_name = "REPORT")]
    baseline: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct WhyArgs {
    /// A snapshot file or an applicationHost.config.
    path: PathBuf,
    /// The site name, as in IIS Manager.
    #[arg(long)]
    site: String,
    /// The URL path users get the 401 on, e.g. /app/page.aspx.
    #[arg(long, default_value = "/")]
    url: String,
    /// The substatus from the IIS log or the detailed error page, e.g. 401.3.
    #[arg(long, value_parser = parse_substatus)]
    substatus: Option<Substatus>,
    /// Rule settings and waivers (TOML).
    #[arg(long, value_name = "FILE")]
    rules_config: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_substatus(s: &str) -> Result<Substatus, String> {
    Substatus::parse(s)
        .ok_or_else(|| format!("{s:?}: use 401.1, 401.2, 401.3, 401.4, 401.5, 401.501 … 401.504"))
}

#[derive(Args, Debug)]
struct ConfigArgs {
    /// A snapshot file or an applicationHost.config.
    #[arg(value_name = "PATH")]
    input: PathBuf,
    #[arg(long)]
    site: String,
    /// URL path inside the site, e.g. /app/sub.
    #[arg(long = "path", default_value = "/")]
    url: String,
    /// One section, e.g. system.webServer/security/authentication/windowsAuthentication.
    #[arg(long)]
    section: Option<String>,
    /// text or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    format: String,
}

#[derive(Args, Debug)]
struct AccessArgs {
    /// A snapshot file.
    #[arg(value_name = "PATH")]
    input: PathBuf,
    #[arg(long)]
    site: String,
    /// URL path inside the site.
    #[arg(long = "path", default_value = "/")]
    url: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct RulesArgs {
    /// A rule code or name: print its documentation.
    rule: Option<String>,
    /// Output format: table, json or markdown.
    #[arg(long, default_value = "table", value_parser = ["table", "json", "markdown"])]
    format: String,
}

#[derive(Subcommand, Debug)]
enum SimCommand {
    /// Serve a fleet directory over WS-Management until Ctrl-C.
    Serve(iis_sweep::sim::server::SimServeArgs),
    /// Write a realistic fleet (fleet.toml, hosts/NAME.json, answers.json) from a seed.
    Generate(GenerateArgs),
}

#[derive(Args, Debug)]
struct GenerateArgs {
    /// Number of hosts.
    #[arg(long, default_value_t = 200)]
    hosts: usize,
    /// Seed: the same seed writes the same fleet, byte for byte.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Fleet directory to write.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Give a fault to a fraction of the hosts, e.g. `hang=0.01` (repeatable).
    #[arg(long = "fault", value_name = "FAULT=FRACTION", value_parser = parse_fault_fraction)]
    faults: Vec<(String, f64)>,
    /// Indented JSON snapshots (larger, easier to read).
    #[arg(long)]
    pretty: bool,
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
enum TemplatesCommand {
    /// Write the built-in templates to DIR for editing; use them with `--templates DIR`.
    Export { dir: PathBuf },
}

fn main() -> ExitCode {
    // `iis-sweep rules | head` must end quietly when the reader goes away, like other Unix
    // tools, instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    raise_open_file_limit();
    let cli = Cli::parse();
    // The demo deliberately speaks NTLM over plain HTTP to loopback addresses: the client's
    // warning about plain HTTP is right for real hosts and noise here (shown again with -v).
    let demo = matches!(cli.command, Command::Demo(_));
    init_logging(cli.quiet, cli.verbose, demo && cli.verbose == 0);
    match run(cli.command, cli.quiet) {
        Ok(outcome) => ExitCode::from(outcome as u8),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(Outcome::Usage as u8)
        }
    }
}

/// A sweep holds about two sockets per host in flight (and the simulator one listener per
/// virtual host): lift the soft open-file limit to the hard one so `--concurrency 1000` or a
/// 10,000-host simulated fleet does not fail on the common default of 1,024.
fn raise_open_file_limit() {
    #[cfg(unix)]
    // SAFETY: getrlimit/setrlimit on a local, fully initialised struct.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

fn init_logging(quiet: bool, verbose: u8, quiet_client: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "info",
        (_, 2) => "debug",
        _ => "trace",
    };
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("IIS_SWEEP_LOG").unwrap_or_else(|_| {
            let client = if quiet_client { ",winrm_rs=error" } else { "" };
            tracing_subscriber::EnvFilter::new(format!(
                "iis_sweep={level},iis_sweep_cli={level},warn{client}"
            ))
        });
    let color = std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(false)
        .without_time()
        .init();
}

fn settings(policy: &PolicyArgs) -> anyhow::Result<RuleSettings> {
    load_settings(policy.rules_config.as_deref())
}

/// `--rules-config FILE`, or the defaults.
fn load_settings(file: Option<&std::path::Path>) -> anyhow::Result<RuleSettings> {
    match file {
        Some(p) => RuleSettings::load(p),
        None => Ok(RuleSettings::default()),
    }
}

fn output(o: &OutputArgs) -> OutputOptions {
    OutputOptions {
        out_dir: o.out.clone(),
        formats: o.format.0.clone(),
        templates: o.templates.clone(),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn run(command: Command, quiet: bool) -> anyhow::Result<Outcome> {
    match command {
        Command::Check(a) => {
            let opts = commands::check::CheckOptions {
                paths: a.paths,
                output: output(&a.output),
                settings: settings(&a.policy)?,
                fail_on: a.policy.fail_on,
                baseline: a.policy.baseline,
            };
            let (outcome, report) = commands::check::run(&opts)?;
            print_summary(&report, &opts.output);
            Ok(outcome)
        }
        Command::Scan(a) => {
            let opts = commands::scan::ScanOptions {
                inventory: a.inventory,
                limit: a.limit,
                concurrency: a.concurrency as usize,
                host_timeout: std::time::Duration::from_secs(a.host_timeout),
                retries: a.retries,
                shard: a.shard,
                save_snapshots: a.save_snapshots,
                output: output(&a.output),
                settings: settings(&a.policy)?,
                fail_on: a.policy.fail_on,
                baseline: a.policy.baseline,
                progress: !a.no_progress && !quiet,
            };
            let (outcome, report) = runtime()?.block_on(commands::scan::run(&opts))?;
            print_summary(&report, &opts.output);
            Ok(outcome)
        }
        Command::Demo(a) => {
            let opts = commands::demo::DemoOptions {
                hosts: a.hosts as usize,
                seed: a.seed,
                fleet: a.fleet,
                concurrency: a.concurrency.max(1) as usize,
                output: output(&a.output),
                fail_on: a.fail_on,
            };
            let started = std::time::Instant::now();
            let (outcome, report, score) = runtime()?.block_on(commands::demo::run(&opts))?;
            print_summary(&report, &opts.output);
            println!(
                "swept {} simulated hosts over WinRM (NTLM, sealed) in {:.1} s",
                report.hosts.len(),
                started.elapsed().as_secs_f64()
            );
            if let Some(s) = score {
                println!(
                    "against the generator's answer key: precision {:.3}, recall {:.3} ({} planted problems found, {} extra, {} missed)",
                    s.precision(),
                    s.recall(),
                    s.true_positives,
                    s.false_positives,
                    s.false_negatives
                );
            }
            Ok(outcome)
        }
        Command::Merge(a) => {
            let out = output(&a.output);
            let report = commands::merge::run(&a.reports, &out)?;
            print_summary(&report, &out);
            Ok(commands::outcome(&report, a.fail_on))
        }
        Command::Report(a) => {
            let out = output(&a.output);
            let report = commands::report::run(&a.input, &out, a.baseline.as_deref())?;
            print_summary(&report, &out);
            Ok(Outcome::Clean)
        }
        Command::Why(a) => {
            let rules_settings = load_settings(a.rules_config.as_deref())?;
            let d = commands::why::run(&a.path, &a.site, &a.url, a.substatus, &rules_settings)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&d)?);
            } else {
                print!("{}", d.to_text());
            }
            Ok(if d.causes.is_empty() {
                Outcome::Clean
            } else {
                Outcome::Findings
            })
        }
        Command::Config(a) => {
            print!(
                "{}",
                commands::inspect::config(
                    &a.input,
                    &a.site,
                    &a.url,
                    a.section.as_deref(),
                    a.format == "json"
                )?
            );
            Ok(Outcome::Clean)
        }
        Command::Access(a) => {
            let r = commands::inspect::access(&a.input, &a.site, &a.url)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                print!("{}", r.to_text());
            }
            Ok(Outcome::Clean)
        }
        Command::Rules(a) => {
            commands::rules::run(a.rule.as_deref(), &a.format)?;
            Ok(Outcome::Clean)
        }
        Command::Sim(SimCommand::Generate(a)) => {
            let key = iis_sweep::sim::generate::generate(
                &iis_sweep::sim::generate::GenerateOptions {
                    hosts: a.hosts,
                    seed: a.seed,
                    faults: a.faults,
                    pretty: a.pretty,
                },
                &a.out,
            )?;
            println!(
                "wrote {} hosts with {} planted problems to {}",
                key.hosts,
                key.answers.len(),
                a.out.display()
            );
            Ok(Outcome::Clean)
        }
        Command::Sim(SimCommand::Serve(a)) => {
            runtime()?.block_on(iis_sweep::sim::server::run_cli(a))?;
            Ok(Outcome::Clean)
        }
        Command::Collector => {
            print!("{}", iis_sweep::collect::COLLECTOR_SCRIPT);
            Ok(Outcome::Clean)
        }
        Command::Templates(TemplatesCommand::Export { dir }) => {
            for p in iis_sweep::report::html::export_templates(&dir)? {
                println!("{}", p.display());
            }
            Ok(Outcome::Clean)
        }
        Command::Schema { which } => {
            println!("{}", iis_sweep::schema::json_schema(&which)?);
            Ok(Outcome::Clean)
        }
    }
}

/// The one-paragraph summary printed after a run, on stdout.
fn print_summary(report: &iis_sweep::report::Report, out: &OutputOptions) {
    let t = &report.totals;
    let statuses: Vec<String> = t
        .hosts_by_status
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    let sev: Vec<String> = ["critical", "high", "medium", "low", "info"]
        .iter()
        .filter_map(|s| t.by_severity.get(*s).map(|n| format!("{n} {s}")))
        .collect();
    println!(
        "{} hosts ({}); {} findings{}{}",
        t.hosts,
        statuses.join(", "),
        t.findings,
        if sev.is_empty() {
            String::new()
        } else {
            format!(" ({})", sev.join(", "))
        },
        if t.waived > 0 {
            format!("; {} waived", t.waived)
        } else {
            String::new()
        }
    );
    for f in &out.formats {
        println!("wrote {}", out.out_dir.join(f.file_name()).display());
    }
}
