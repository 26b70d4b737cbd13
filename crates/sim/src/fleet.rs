//! The fleet directory the simulator serves and the generator writes.
//!
//! ```text
//! fleet/
//!   fleet.toml        hosts: name, loopback address, snapshot file, faults
//!   hosts/NAME.json   one snapshot (iis-sweep/snapshot/1) per host
//!   answers.json      what the generator planted (host, site, path, rule codes)
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// File name of the fleet description inside a fleet directory.
pub const FLEET_FILE: &str = "fleet.toml";
/// File name of the answer key inside a fleet directory.
pub const ANSWERS_FILE: &str = "answers.json";

/// `fleet.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fleet {
    /// The hosts, in order.
    #[serde(default, rename = "host")]
    pub hosts: Vec<FleetHost>,
}

/// One virtual host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetHost {
    /// Host name (matches the snapshot's `host.name`).
    pub name: String,
    /// Loopback address the host answers on, e.g. `127.1.0.1`.
    pub address: std::net::Ipv4Addr,
    /// Snapshot file, relative to the fleet directory.
    pub snapshot: PathBuf,
    /// Faults to inject, e.g. `["delay-first-byte=2000", "collector-exit=1"]`.
    #[serde(default)]
    pub faults: Vec<String>,
}

/// One planted problem.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Answer {
    /// Host name.
    pub host: String,
    /// Site name, when the problem is per site.
    #[serde(default)]
    pub site: Option<String>,
    /// URL path, when the problem is per path.
    #[serde(default)]
    pub path: Option<String>,
    /// Rule code expected to fire.
    pub rule: String,
}

/// `answers.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnswerKey {
    /// Seed the fleet was generated from.
    pub seed: u64,
    /// Number of hosts.
    pub hosts: usize,
    /// Every planted problem.
    pub answers: Vec<Answer>,
}

impl Fleet {
    /// Reads `DIR/fleet.toml`.
    pub fn load(dir: &Path) -> anyhow::Result<Fleet> {
        let path = dir.join(FLEET_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// Writes `DIR/fleet.toml`.
    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join(FLEET_FILE);
        std::fs::write(&path, toml::to_string(self)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }
}

/// The loopback address of the `index`-th host (0-based): 127.1.0.1, 127.1.0.2, … 127.1.0.254,
/// 127.1.1.1, … Avoids .0 and .255 in the last octet.
pub fn host_address(index: usize) -> std::net::Ipv4Addr {
    let per = 254usize;
    let third = index / per;
    let fourth = index % per + 1;
    let second = 1 + third / 256;
    std::net::Ipv4Addr::new(127, second as u8, (third % 256) as u8, fourth as u8)
}
