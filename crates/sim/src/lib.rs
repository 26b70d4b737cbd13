//! The WinRM host simulator: our Windows.
//!
//! - [`fleet`]: the fleet directory (`fleet.toml`, one snapshot per host, `answers.json`).
//! - [`server`]: WS-Management over HTTP(S) with Basic and NTLM (sealed), many virtual hosts on
//!   loopback addresses in one process, faults per host.
//! - [`generate`]: realistic fleets from a seed, with an answer key of planted problems.
//! - [`demo`]: a generated fleet, served and swept through the scanner's real WinRM client.
//!
//! This crate depends on the scanner (`iis_sweep`) for its contracts — the snapshot and the
//! collector's delivery — and the scanner never depends on it.

pub mod demo;
pub mod fleet;
pub mod generate;
pub mod server;
