//! IIS configuration engine: effective configuration for any site, application and path.
//! (Interim shim until the engine lands: no sites, file errors only.)

use crate::snapshot::Snapshot;

#[derive(Debug, Default)]
pub struct HostConfig {
    errors: Vec<String>,
}

impl HostConfig {
    pub fn from_snapshot(_s: &Snapshot) -> HostConfig {
        HostConfig::default()
    }
    pub fn file_errors(&self) -> &[String] {
        &self.errors
    }
    pub fn counts(&self) -> (usize, usize) {
        (0, 0)
    }
    pub fn site_id(&self, _name: &str) -> Option<u64> {
        None
    }
}
