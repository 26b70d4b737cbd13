//! The `iis-sweep` binary: parses the command line (`cli.rs`), sets up logging, calls the
//! library and maps the outcome to the exit code (0 clean, 1 findings, 2 usage or input error,
//! 3 hosts not evaluated).

mod cli;
#[cfg(test)]
mod docs_cli;
mod platform;

use std::process::ExitCode;

use clap::Parser;

use cli::{said, Cli, Command, SimCommand, TemplatesCommand};
use iis_sweep::commands;
use iis_sweep::pipeline::Outcome;

/// Most of the scanner's CPU goes to building many small strings and vectors per host (parsed
/// configuration, effective sections, SOAP bodies); mimalloc serves those markedly faster than
/// the system allocator (see docs/PERFORMANCE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    platform::restore_sigpipe();
    platform::raise_open_file_limit();
    let cli = Cli::parse();
    // The demo deliberately speaks NTLM over plain HTTP to loopback addresses: the client's
    // warning about plain HTTP is right for real hosts and noise here (shown again with -v).
    let demo = matches!(cli.command, Command::Demo(_));
    platform::init_logging(cli.quiet, cli.verbose, demo && cli.verbose == 0);
    match run(cli.command, cli.quiet) {
        Ok(outcome) => ExitCode::from(outcome as u8),
        Err(e) => {
            let message = format!("error: {e:#}");
            eprintln!("{}", iis_sweep::report::terminal::terminal_safe(&message));
            ExitCode::from(Outcome::Usage as u8)
        }
    }
}

fn run(command: Command, quiet: bool) -> anyhow::Result<Outcome> {
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    };
    let (outcome, text) = match command {
        Command::Check(a) => {
            let opts = a.options()?;
            let (outcome, report) = commands::check::run(&opts)?;
            (outcome, said(&report, &opts.output, quiet))
        }
        Command::Scan(a) if a.list_hosts => {
            let json = a.json;
            (
                Outcome::Clean,
                commands::scan::list_hosts(&a.options(quiet)?, json)?,
            )
        }
        Command::Scan(a) => {
            let opts = a.options(quiet)?;
            let (outcome, report) = runtime()?.block_on(commands::scan::run(&opts))?;
            (outcome, said(&report, &opts.output, quiet))
        }
        Command::Demo(a) => runtime()?.block_on(a.run())?,
        Command::Ping(a) => runtime()?.block_on(a.run())?,
        Command::Merge(a) => {
            let out = a.output.options();
            out.check()?;
            let (outcome, report) = commands::merge::run(&a.reports, &out, a.fail_on)?;
            (outcome, said(&report, &out, quiet))
        }
        Command::Report(a) => {
            let out = a.output.options();
            out.check()?;
            let report = commands::report::run(&a.input, &out, a.baseline.as_deref())?;
            (Outcome::Clean, said(&report, &out, quiet))
        }
        Command::Why(a) => a.run()?,
        Command::Logs(a) => a.run()?,
        Command::Fixes(a) => a.run()?,
        Command::Events(a) => a.run()?,
        Command::Config(a) => a.run()?,
        Command::Access(a) => a.run()?,
        Command::Rules(a) => (
            Outcome::Clean,
            commands::rules::run(a.rule.as_deref(), &a.format)?,
        ),
        Command::Sim(SimCommand::Generate(a)) => a.run()?,
        Command::Sim(SimCommand::Serve(a)) => {
            if let Some(keytab) = &a.kerberos_keytab {
                // Before any thread starts: GSSAPI reads the acceptor's keytab from here.
                std::env::set_var("KRB5_KTNAME", keytab);
            }
            runtime()?.block_on(iis_sweep_sim::server::run_cli(a))?;
            (Outcome::Clean, String::new())
        }
        Command::Collector => (Outcome::Clean, iis_sweep::collect::COLLECTOR_SCRIPT.into()),
        Command::Templates(TemplatesCommand::Export { dir }) => {
            let written = iis_sweep::report::html::export_templates(&dir)?;
            let lines: Vec<String> = written
                .iter()
                .map(|p| format!("{}\n", p.display()))
                .collect();
            (Outcome::Clean, lines.concat())
        }
        Command::Completions { shell } => (Outcome::Clean, cli::completions(shell)),
        Command::Manpage => (Outcome::Clean, cli::manpage()?),
        Command::Schema { which } => (
            Outcome::Clean,
            iis_sweep::schema::json_schema(&which)? + "\n",
        ),
    };
    // Host-supplied names may hold terminal escape sequences: shown, never sent.
    print!("{}", iis_sweep::report::terminal::terminal_safe(&text));
    Ok(outcome)
}
