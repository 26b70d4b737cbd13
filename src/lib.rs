//! iis-sweep: finds the configuration causes of IIS 401 responses and audits authentication
//! hygiene across a fleet of Windows web servers.
//!
//! The data flows one way: inventory → collect (WinRM) → [`snapshot::Snapshot`] →
//! model ([`iis`], [`acl`]) → [`rules`] → findings → [`report`].

pub mod acl;
pub mod analyze;
pub mod collect;
pub mod commands;
pub mod credentials;
pub mod iis;
pub mod input;
pub mod inventory;
pub mod report;
pub mod rules;
pub mod schema;
pub mod sim;
pub mod snapshot;
