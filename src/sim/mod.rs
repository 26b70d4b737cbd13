//! The WinRM host simulator: our Windows.
//!
//! - [`fleet`]: the fleet directory (`fleet.toml`, one snapshot per host, `answers.json`).
//! - [`server`]: WS-Management over HTTP(S) with Basic and NTLM (sealed), many virtual hosts on
//!   loopback addresses in one process, faults per host.
//! - [`generate`]: realistic fleets from a seed, with an answer key of planted problems.

pub mod fleet;
pub mod generate;
pub mod server;
