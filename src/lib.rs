//! iis-sweep: finds the configuration causes of IIS 401 responses and audits authentication
//! hygiene across a fleet of Windows web servers.
//!
//! The data flows one way: inventory → collect (WinRM) → [`snapshot::Snapshot`] →
//! model ([`iis`], [`acl`]) → [`rules`] → findings → [`report`].

pub mod acl;
pub mod collect;
pub mod iis;
pub mod sim;
pub mod snapshot;
