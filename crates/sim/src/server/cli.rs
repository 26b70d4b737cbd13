//! `iis-sweep sim serve`: the simulator as a standalone process.

use std::path::PathBuf;

use anyhow::Context;

use super::{serve, AuthMode, HostFault, Limits, ServerConfig, ServerHandle, TlsSettings};

/// Arguments of `iis-sweep sim serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimServeArgs {
    /// Fleet directory (fleet.toml, hosts/NAME.json).
    #[arg(long, value_name = "DIR")]
    pub fleet: PathBuf,
    /// Port every host listens on (default 5985, 5986 with --tls; 0 picks a free one).
    #[arg(long, value_name = "PORT")]
    pub listen_port: Option<u16>,
    /// Authentication schemes the hosts offer.
    #[arg(long, value_enum, default_value_t = AuthMode::Both)]
    pub auth: AuthMode,
    /// Serve HTTPS with a generated self-signed certificate.
    #[arg(long)]
    pub tls: bool,
    /// The account the hosts accept.
    #[arg(long, value_name = "USER", default_value = "scanner")]
    pub user: String,
    /// Environment variable holding that account's password.
    #[arg(long, value_name = "VAR", default_value = "IIS_SWEEP_SIM_PASSWORD")]
    pub password_env: String,
    /// Inject a fault on a host, e.g. `web03=delay-first-byte=2000` (repeatable). Faults:
    /// refuse, reset, delay-first-byte=MS, slow-drip=BYTES_PER_SEC, auth-401, quota,
    /// collector-exit=CODE, garbage-stdout, truncated-json, oversized-stdout=BYTES,
    /// command-too-long, tls-mismatch, hang.
    #[arg(long = "fault", value_name = "HOST=FAULT")]
    pub faults: Vec<HostFault>,
    /// Where to write the inventories and the certificate (default: the fleet directory).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Shells per user per host (Winrs MaxShellsPerUser).
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub max_shells_per_user: usize,
    /// Refuse unencrypted SOAP bodies over HTTP (Windows' AllowUnencrypted=false): Basic over
    /// HTTP and unsealed NTLM then get an empty HTTP 500.
    #[arg(long)]
    pub require_encryption: bool,
    /// Accept Kerberos too, with the service keys (`HTTP/<host address>`) of this keytab. The
    /// process's `KRB5_KTNAME` is set to it before the simulator starts.
    #[arg(long, value_name = "FILE")]
    pub kerberos_keytab: Option<PathBuf>,
}

/// Files written for a running simulator.
#[derive(Debug, Clone)]
pub struct Written {
    /// Native TOML inventory.
    pub inventory: PathBuf,
    /// Ansible INI inventory.
    pub ansible_inventory: PathBuf,
    /// The HTTPS certificate (PEM), when serving HTTPS.
    pub certificate: Option<PathBuf>,
}

impl SimServeArgs {
    /// The server configuration these arguments describe (reads the password variable).
    pub fn config(&self) -> anyhow::Result<ServerConfig> {
        let password = std::env::var(&self.password_env).with_context(|| {
            format!(
                "set {} to the password the simulated hosts accept (see --password-env)",
                self.password_env
            )
        })?;
        let mut config = ServerConfig::new(&self.fleet, &self.user, password);
        config.port = self
            .listen_port
            .unwrap_or(if self.tls { 5986 } else { 5985 });
        config.auth = self.auth;
        config.tls = self.tls.then(TlsSettings::default);
        config.faults = self.faults.clone();
        config.limits = Limits {
            max_shells_per_user: self.max_shells_per_user,
            ..Limits::default()
        };
        config.allow_unencrypted = !self.require_encryption;
        config.kerberos = self.kerberos_keytab.is_some();
        Ok(config)
    }

    /// Writes the inventories (and certificate) for `handle` into `--out` or the fleet dir.
    pub fn write_files(&self, handle: &ServerHandle) -> anyhow::Result<Written> {
        let dir = self.out.clone().unwrap_or_else(|| self.fleet.clone());
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let write = |name: &str, text: &str| -> anyhow::Result<PathBuf> {
            let p = dir.join(name);
            std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?;
            Ok(p)
        };
        Ok(Written {
            inventory: write(
                "sim-inventory.toml",
                &handle.inventory_toml(&self.password_env),
            )?,
            ansible_inventory: write("sim-inventory.ini", &handle.inventory_ini())?,
            certificate: match handle.tls() {
                Some(t) => Some(write("sim-cert.pem", &t.cert_pem)?),
                None => None,
            },
        })
    }
}

/// Runs the simulator until Ctrl-C: prints where the inventories are, then a
/// `ready port=… scheme=… hosts=…` line, and per-host request counts when it stops.
pub async fn run_cli(args: SimServeArgs) -> anyhow::Result<()> {
    let handle = serve(args.config()?).await?;
    let written = args.write_files(&handle)?;
    let hosts = handle.hosts().len();
    println!(
        "iis-sweep sim: {hosts} hosts on port {} ({}, auth {}, user {})",
        handle.port(),
        handle.scheme(),
        handle.auth(),
        args.user
    );
    println!("inventory: {}", written.inventory.display());
    println!("ansible inventory: {}", written.ansible_inventory.display());
    if let (Some(path), Some(tls)) = (&written.certificate, handle.tls()) {
        println!(
            "certificate: {} (sha256 {})",
            path.display(),
            tls.fingerprint_sha256
        );
    }
    println!(
        "ready port={} scheme={} hosts={hosts}",
        handle.port(),
        handle.scheme()
    );
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    let total: u64 = handle.stats().iter().map(|s| s.requests).sum();
    println!("stopping: {total} HTTP requests served");
    handle.shutdown().await;
    Ok(())
}
