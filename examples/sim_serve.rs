//! Runs the WinRM host simulator standalone (what `iis-sweep sim serve` does), for tests and
//! peers (pywinrm, Ansible) that need a server in another process.
//!
//! ```sh
//! IIS_SWEEP_SIM_PASSWORD=secret cargo run --ignore-rust-version --example sim_serve -- \
//!     --fleet FLEET_DIR --listen-port 0 --auth both
//! ```
//!
//! `--print-bootstrap` prints the collector's stdin bootstrap command line (program and
//! arguments, one per line) and exits, so a foreign client can deliver the collector.

use clap::Parser;
use iis_sweep_sim::server::{run_cli, SimServeArgs};

#[derive(Parser)]
#[command(
    name = "sim_serve",
    about = "WinRM host simulator for a fleet directory"
)]
struct Cli {
    /// Print the stdin bootstrap command (program, then one argument per line) and exit.
    #[arg(long, exclusive = true)]
    print_bootstrap: bool,
    #[command(flatten)]
    args: Option<SimServeArgs>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if cli.print_bootstrap {
        let cmd = iis_sweep::collect::delivery::stdin_bootstrap_command();
        println!("{}", cmd.program);
        for a in cmd.args {
            println!("{a}");
        }
        return Ok(());
    }
    let args = cli
        .args
        .ok_or_else(|| anyhow::anyhow!("--fleet DIR is required"))?;
    run_cli(args).await
}
