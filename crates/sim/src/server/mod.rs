//! WS-Management server: the WinRS cmd shell of many virtual Windows hosts in one process.
//!
//! [`serve`] reads a fleet directory ([`crate::fleet`]), binds one listener per host
//! address (127.x.y.z, all on one port) and tells hosts apart by the listener a connection
//! arrived on. Each host speaks WS-Management over HTTP or HTTPS with Basic and NTLMv2
//! (message sealing over HTTP, state per TCP connection), plays back its snapshot when it
//! receives the real collector ([`commands`]) and injects its [`Fault`]s.
//!
//! Modules: [`http`] (connections, authentication, transport faults), [`ntlm`] (NTLMv2
//! acceptor and session keys), [`sealing`] (the `multipart/encrypted` framing), [`soap`]
//! (request parsing, response and fault envelopes), [`shell`] (shells, commands, quotas,
//! counters), [`commands`] (what cmd.exe and PowerShell answer), [`faults`], [`tls`],
//! [`inventory`], [`cli`] (`iis-sweep sim serve`).
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use iis_sweep_sim::server::{serve, ServerConfig};
//!
//! let mut config = ServerConfig::new("fleet", "scanner", "secret");
//! config.port = 0; // any free port, the same on every 127.x address
//! let sim = serve(config).await?;
//! println!("{}", sim.inventory_toml("IIS_SWEEP_PASSWORD"));
//! // … sweep it …
//! for (host, requests) in sim.requests_per_host() {
//!     println!("{host}: {requests} HTTP requests");
//! }
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

pub mod cli;
pub mod commands;
pub mod faults;
pub mod http;
pub mod inventory;
#[cfg(feature = "kerberos")]
pub mod kerberos;
pub mod ntlm;
pub mod sealing;
pub mod shell;
pub mod soap;
pub mod tls;

use std::collections::HashSet;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use secrecy::SecretString;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::fleet::Fleet;

pub use cli::{run_cli, SimServeArgs};
pub use faults::{Fault, FaultParseError, HostFault, HostFaults};
pub use inventory::InventorySpec;
pub use shell::HostStats;
pub use tls::TlsIdentity;

/// Which authentication schemes the hosts offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AuthMode {
    /// HTTP Basic only.
    Basic,
    /// NTLM (raw NTLMSSP under `Negotiate`, also accepted under `NTLM`) only.
    Ntlm,
    /// Both (`WWW-Authenticate: Negotiate` and `Basic realm="WSMAN"`).
    #[default]
    Both,
}

impl AuthMode {
    /// Whether Basic is offered.
    pub fn basic(self) -> bool {
        matches!(self, AuthMode::Basic | AuthMode::Both)
    }
    /// Whether NTLM is offered.
    pub fn ntlm(self) -> bool {
        matches!(self, AuthMode::Ntlm | AuthMode::Both)
    }
}

impl fmt::Display for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthMode::Basic => "basic",
            AuthMode::Ntlm => "ntlm",
            AuthMode::Both => "both",
        })
    }
}

impl FromStr for AuthMode {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "basic" => Ok(AuthMode::Basic),
            "ntlm" | "negotiate" => Ok(AuthMode::Ntlm),
            "both" => Ok(AuthMode::Both),
            other => bail!("unknown auth mode `{other}` (basic, ntlm, both)"),
        }
    }
}

/// Windows WinRM limits the hosts enforce (defaults as on a current Windows Server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// `Winrs/MaxShellsPerUser` (30).
    pub max_shells_per_user: usize,
    /// `MaxConcurrentOperationsPerUser`, counted per shell as WinRS does (1500).
    pub max_operations_per_shell: usize,
    /// `MaxTimeoutms`: cap on a request's OperationTimeout (60 s).
    pub max_operation_timeout: Duration,
    /// `MaxEnvelopeSizekb` (500): larger requests get `w:EncodingLimit`.
    pub max_envelope_size_kb: usize,
    /// `Winrs/IdleTimeout` (7200 s): shells idle longer are removed.
    pub idle_timeout: Duration,
    /// Response size budget when a request carries no `MaxEnvelopeSize` (153600).
    pub default_max_envelope_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_shells_per_user: 30,
            max_operations_per_shell: 1500,
            max_operation_timeout: Duration::from_secs(60),
            max_envelope_size_kb: 500,
            idle_timeout: Duration::from_secs(7200),
            default_max_envelope_size: 153_600,
        }
    }
}

/// HTTPS settings.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    /// The certificate to serve; `None` generates one for the fleet's names and addresses.
    pub identity: Option<TlsIdentity>,
}

/// What [`serve`] serves. `Debug` never shows the password.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Fleet directory (`fleet.toml`, `hosts/NAME.json`).
    pub fleet_dir: PathBuf,
    /// Port every host listens on; 0 picks a free one (the same for all hosts).
    pub port: u16,
    /// The one account the hosts accept.
    pub username: String,
    /// Its password.
    pub password: SecretString,
    /// Authentication schemes offered.
    pub auth: AuthMode,
    /// HTTPS (all hosts) when set.
    pub tls: Option<TlsSettings>,
    /// Faults added to those in `fleet.toml`.
    pub faults: Vec<HostFault>,
    /// Quotas and timeouts.
    pub limits: Limits,
    /// `AllowUnencrypted`: accept plaintext SOAP bodies over HTTP (Basic, unsealed NTLM).
    /// Windows defaults to `false`; the simulator to `true`. When `false`, an unencrypted body
    /// over HTTP gets an empty HTTP 500, as on Windows.
    pub allow_unencrypted: bool,
    /// Accept Kerberos under `Negotiate`, with the service keys of the keytab named by
    /// `KRB5_KTNAME` (`HTTP/<host address>` for every host). Needs the `kerberos` feature.
    pub kerberos: bool,
    /// This host also answers on the IPv6 loopback `[::1]`, same port (IPv6 tests).
    pub ipv6_host: Option<String>,
}

impl ServerConfig {
    /// HTTP on 5985, Basic and NTLM, default limits, no extra faults.
    pub fn new(
        fleet_dir: impl Into<PathBuf>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        ServerConfig {
            fleet_dir: fleet_dir.into(),
            port: 5985,
            username: username.into(),
            password: SecretString::from(password.into()),
            auth: AuthMode::Both,
            tls: None,
            faults: Vec::new(),
            limits: Limits::default(),
            allow_unencrypted: true,
            kerberos: false,
            ipv6_host: None,
        }
    }
}

/// Settings every connection reads.
pub(crate) struct Settings {
    pub(crate) username: String,
    pub(crate) password: SecretString,
    pub(crate) auth: AuthMode,
    pub(crate) tls: bool,
    pub(crate) allow_unencrypted: bool,
    pub(crate) limits: Limits,
    /// Read by the Kerberos acceptor only (`serve` refuses it in a build without one).
    #[cfg_attr(not(feature = "kerberos"), allow(dead_code))]
    pub(crate) kerberos: bool,
}

/// A running simulator. Dropping it stops the listeners too; [`ServerHandle::shutdown`]
/// also waits for them.
pub struct ServerHandle {
    port: u16,
    hosts: Vec<Arc<shell::Host>>,
    settings: Arc<Settings>,
    tls: Option<TlsIdentity>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHandle")
            .field("port", &self.port)
            .field("hosts", &self.hosts.len())
            .field("scheme", &self.scheme())
            .finish_non_exhaustive()
    }
}

impl ServerHandle {
    /// The port every host listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        if self.settings.tls {
            "https"
        } else {
            "http"
        }
    }

    /// Authentication schemes offered.
    pub fn auth(&self) -> AuthMode {
        self.settings.auth
    }

    /// `(name, address)` of every host, listening or not (`refuse`), in fleet order.
    pub fn hosts(&self) -> Vec<(String, Ipv4Addr)> {
        self.hosts
            .iter()
            .map(|h| (h.name.clone(), h.address))
            .collect()
    }

    /// The socket address of host `name`.
    pub fn addr(&self, name: &str) -> Option<SocketAddr> {
        self.hosts
            .iter()
            .find(|h| h.name == name)
            .map(|h| SocketAddr::from((h.address, self.port)))
    }

    /// The HTTPS certificate, when serving HTTPS.
    pub fn tls(&self) -> Option<&TlsIdentity> {
        self.tls.as_ref()
    }

    /// Counters of every host, in fleet order.
    pub fn stats(&self) -> Vec<HostStats> {
        self.hosts.iter().map(|h| h.stats()).collect()
    }

    /// Counters of host `name`.
    pub fn host_stats(&self, name: &str) -> Option<HostStats> {
        self.hosts
            .iter()
            .find(|h| h.name == name)
            .map(|h| h.stats())
    }

    /// HTTP requests host `name` received (0 for an unknown name).
    pub fn requests(&self, name: &str) -> u64 {
        self.host_stats(name).map(|s| s.requests).unwrap_or(0)
    }

    /// HTTP requests per host, `(name, requests)`, in fleet order.
    pub fn requests_per_host(&self) -> Vec<(String, u64)> {
        self.stats()
            .into_iter()
            .map(|s| (s.name, s.requests))
            .collect()
    }

    /// What an inventory for this fleet says (`password_env` names the password's variable).
    pub fn inventory_spec(&self, password_env: &str) -> InventorySpec {
        InventorySpec {
            hosts: self.hosts(),
            port: self.port,
            scheme: self.scheme().to_string(),
            auth: if self.settings.auth.ntlm() {
                "ntlm"
            } else {
                "basic"
            }
            .to_string(),
            username: self.settings.username.clone(),
            password_env: password_env.to_string(),
        }
    }

    /// The native TOML inventory for this fleet.
    pub fn inventory_toml(&self, password_env: &str) -> String {
        inventory::native_toml(&self.inventory_spec(password_env))
    }

    /// The Ansible INI inventory for this fleet.
    pub fn inventory_ini(&self) -> String {
        inventory::ansible_ini(&self.inventory_spec(""))
    }

    /// Stops accepting, closes every connection and waits for the listeners to end.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for t in std::mem::take(&mut self.tasks) {
            let _ = t.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// How many times a port-0 start retries when another process holds the chosen port on one
/// of the addresses.
const PORT_ATTEMPTS: usize = 20;

/// Binds every listening host on one port: `port`, or with 0 the port the kernel gives the
/// first host, retried on collision.
async fn bind_all(addrs: &[Ipv4Addr], port: u16) -> anyhow::Result<(u16, Vec<TcpListener>)> {
    if addrs.is_empty() {
        // Every host refuses: still report a port nobody listens on.
        let probe = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        return Ok((probe.local_addr()?.port(), Vec::new()));
    }
    let attempts = if port == 0 { PORT_ATTEMPTS } else { 1 };
    let mut last_err = None;
    'attempt: for _ in 0..attempts {
        let first = TcpListener::bind((addrs[0], port))
            .await
            .with_context(|| format!("binding {}:{port}", addrs[0]))?;
        let chosen = first.local_addr()?.port();
        let mut listeners = vec![first];
        for a in &addrs[1..] {
            match TcpListener::bind((*a, chosen)).await {
                Ok(l) => listeners.push(l),
                Err(e) if port == 0 && e.kind() == std::io::ErrorKind::AddrInUse => {
                    last_err = Some(e);
                    continue 'attempt;
                }
                Err(e) => return Err(e).with_context(|| format!("binding {a}:{chosen}")),
            }
        }
        return Ok((chosen, listeners));
    }
    Err(anyhow::anyhow!(
        "no free port shared by all {} addresses after {PORT_ATTEMPTS} attempts: {}",
        addrs.len(),
        last_err.map(|e| e.to_string()).unwrap_or_default()
    ))
}

/// Starts the simulator for the fleet in `config.fleet_dir`.
pub async fn serve(config: ServerConfig) -> anyhow::Result<ServerHandle> {
    if config.kerberos && !cfg!(feature = "kerberos") {
        bail!("this build of the simulator has no Kerberos (build with the `kerberos` feature)");
    }
    let fleet = Fleet::load(&config.fleet_dir)?;
    let mut seen_addr = HashSet::new();
    let mut seen_name = HashSet::new();
    for h in &fleet.hosts {
        if !h.address.is_loopback() {
            bail!(
                "host {}: {} is not a loopback address (127.0.0.0/8)",
                h.name,
                h.address
            );
        }
        if !seen_addr.insert(h.address) {
            bail!("host {}: address {} is used twice", h.name, h.address);
        }
        if !seen_name.insert(h.name.clone()) {
            bail!("host name {} is used twice", h.name);
        }
    }
    for hf in &config.faults {
        if !seen_name.contains(&hf.host) {
            bail!("--fault {hf}: no host {} in the fleet", hf.host);
        }
    }
    let mut hosts = Vec::with_capacity(fleet.hosts.len());
    for h in &fleet.hosts {
        let mut faults =
            HostFaults::parse(&h.faults).with_context(|| format!("host {}", h.name))?;
        for hf in config.faults.iter().filter(|f| f.host == h.name) {
            faults.push(hf.fault);
        }
        hosts.push(Arc::new(shell::Host::new(
            h.name.clone(),
            h.address,
            config.fleet_dir.join(&h.snapshot),
            faults,
        )));
    }

    let (tls, acceptors) = match &config.tls {
        None => (None, None),
        Some(t) => {
            let identity = match &t.identity {
                Some(i) => i.clone(),
                None => TlsIdentity::for_hosts(hosts.iter().map(|h| (h.name.as_str(), h.address)))?,
            };
            let good = tokio_rustls::TlsAcceptor::from(identity.server_config()?);
            let other = TlsIdentity::generate(vec![tls::MISMATCH_NAME.to_string()])?;
            let bad = tokio_rustls::TlsAcceptor::from(other.server_config()?);
            (Some(identity), Some((good, bad)))
        }
    };

    let listening: Vec<&Arc<shell::Host>> = hosts.iter().filter(|h| !h.faults.refuse()).collect();
    let addrs: Vec<Ipv4Addr> = listening.iter().map(|h| h.address).collect();
    let (port, listeners) = bind_all(&addrs, config.port).await?;

    let settings = Arc::new(Settings {
        username: config.username.clone(),
        password: config.password.clone(),
        auth: config.auth,
        tls: config.tls.is_some(),
        allow_unencrypted: config.allow_unencrypted,
        kerberos: config.kerberos,
        limits: config.limits.clone(),
    });
    let (shutdown, rx) = watch::channel(false);
    let mut tasks = Vec::with_capacity(listeners.len() + 1);
    for (host, listener) in listening.into_iter().zip(listeners) {
        let acceptor = acceptors.as_ref().map(|(good, bad)| {
            if host.faults.tls_mismatch() {
                bad.clone()
            } else {
                good.clone()
            }
        });
        tasks.push(tokio::spawn(accept_loop(
            listener,
            host.clone(),
            settings.clone(),
            acceptor,
            rx.clone(),
        )));
    }
    if let Some(name) = &config.ipv6_host {
        let host = hosts
            .iter()
            .find(|h| &h.name == name)
            .with_context(|| format!("ipv6_host {name}: no such host in the fleet"))?;
        let v6 = TcpListener::bind((std::net::Ipv6Addr::LOCALHOST, port))
            .await
            .with_context(|| format!("listening on [::1]:{port}"))?;
        let acceptor = acceptors.as_ref().map(|(good, _)| good.clone());
        tasks.push(tokio::spawn(accept_loop(
            v6,
            host.clone(),
            settings.clone(),
            acceptor,
            rx.clone(),
        )));
    }
    tasks.push(tokio::spawn(janitor(hosts.clone(), rx)));
    tracing::info!(
        hosts = hosts.len(),
        port,
        tls = config.tls.is_some(),
        "WinRM simulator listening"
    );
    Ok(ServerHandle {
        port,
        hosts,
        settings,
        tls,
        shutdown,
        tasks,
    })
}

async fn accept_loop(
    listener: TcpListener,
    host: Arc<shell::Host>,
    settings: Arc<Settings>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    conns.spawn(http::serve_connection(settings.clone(), host.clone(), stream, peer, tls.clone()));
                }
                Err(e) => {
                    tracing::warn!(host = %host.name, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.shutdown().await;
}

/// Removes idle shells every minute.
async fn janitor(hosts: Vec<Arc<shell::Host>>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = tokio::time::sleep(Duration::from_secs(60)) => {
                for h in &hosts {
                    h.purge_idle();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_debug_never_shows_the_password() {
        let c = ServerConfig::new("/tmp/fleet", "scanner", "hunter2-secret");
        let text = format!("{c:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("scanner"));
    }

    #[test]
    fn auth_modes_parse_and_print() {
        for m in [AuthMode::Basic, AuthMode::Ntlm, AuthMode::Both] {
            assert_eq!(m.to_string().parse::<AuthMode>().unwrap(), m);
        }
        assert!(AuthMode::Both.basic() && AuthMode::Both.ntlm());
        assert!(!AuthMode::Basic.ntlm() && !AuthMode::Ntlm.basic());
        assert!("kerberos".parse::<AuthMode>().is_err());
    }

    #[tokio::test]
    async fn port_zero_binds_every_address_on_one_port() {
        let addrs: Vec<Ipv4Addr> = (1..=5).map(|i| Ipv4Addr::new(127, 99, 0, i)).collect();
        let (port, listeners) = bind_all(&addrs, 0).await.unwrap();
        assert_ne!(port, 0);
        assert_eq!(listeners.len(), 5);
        for (l, a) in listeners.iter().zip(&addrs) {
            assert_eq!(l.local_addr().unwrap(), SocketAddr::from((*a, port)));
        }
        // A fixed port already taken on one address fails.
        assert!(bind_all(&addrs[2..3], port).await.is_err());
    }
}
