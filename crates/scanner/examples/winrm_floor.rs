//! The protocol floor for `bench/run`: bare winrm-rs fetching each host's snapshot with one
//! shared client and no analysis — the least client CPU any Rust WinRM sweep can spend per
//! host, against which iis-sweep's own cost is read.
//!
//! `winrm_floor HOSTS_FILE PORT CONCURRENCY` where HOSTS_FILE has one address per line; user
//! `scanner`, password from `BENCH_SIM_PASSWORD`, NTLM with sealing over HTTP (as the benchmark's
//! simulator requires). Prints `ok=N failed=M bytes=B`.

use std::sync::Arc;

use tokio::sync::Semaphore;
use winrm_rs::{WinrmClient, WinrmConfig, WinrmCredentials};

const SNAPSHOT: &str = r"C:\ProgramData\iis-sweep\snapshot.json";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, hosts_file, port, concurrency] = args.as_slice() else {
        return Err("usage: winrm_floor HOSTS_FILE PORT CONCURRENCY".into());
    };
    let hosts: Vec<String> = std::fs::read_to_string(hosts_file)?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let password = std::env::var("BENCH_SIM_PASSWORD")?;
    let mut config = WinrmConfig::http();
    config.port = Some(port.parse()?);
    config.auth_method = winrm_rs::AuthMethod::Ntlm;
    let client = Arc::new(
        WinrmClient::builder(config)
            .credentials(WinrmCredentials::new("scanner", &password, ""))
            .build()?,
    );
    let slots = Arc::new(Semaphore::new(concurrency.parse()?));
    let mut tasks = Vec::new();
    for host in hosts {
        let client = Arc::clone(&client);
        let slot = Arc::clone(&slots).acquire_owned().await?;
        tasks.push(tokio::spawn(async move {
            let _slot = slot;
            client
                .run_command(&host, "type", &[SNAPSHOT])
                .await
                .map(|out| out.stdout.len())
        }));
    }
    let (mut ok, mut failed, mut bytes) = (0, 0, 0);
    for t in tasks {
        match t.await? {
            Ok(n) if n > 0 => {
                ok += 1;
                bytes += n;
            }
            Ok(_) => failed += 1,
            Err(e) => {
                failed += 1;
                eprintln!("{e}");
            }
        }
    }
    println!("ok={ok} failed={failed} bytes={bytes}");
    Ok(())
}
