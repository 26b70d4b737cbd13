//! iis-sweep: finds the configuration causes of IIS 401 responses and audits authentication
//! hygiene across a fleet of Windows web servers.
//!
//! The data flows one way:
//!
//! ```text
//! inventory → targets → collect (WinRM) → snapshot → model (iis, acl) → rules → findings → report
//! ```
//!
//! [`pipeline`] is the one place that turns a snapshot into a host result; the commands
//! (`check`, `scan`, `why`, …) feed it and hand its results to [`report`].
//!
//! Modules are layered: each one imports only modules of a lower layer (listed in
//! `docs/ARCHITECTURE.md`, enforced by `tests/layering.rs`). The contracts — [`snapshot`],
//! [`finding`], [`target`] — sit at the bottom, so the stages share data without knowing each
//! other.

// Layer 0: the contracts, and how host text is decoded and shown.
pub mod credentials;
pub mod snapshot;
pub mod text;

// Layer 1: what rules conclude (fixes as data), one host to sweep.
pub mod finding;
pub mod target;

// Layer 2: reading inputs into contracts, and the model of one host.
pub mod collect;
pub mod input;
pub mod inventory;

pub mod acl;
pub mod events;
pub mod iis;
pub mod logs;

// Layer 3: judging and showing, and offline bundles (read with the layer-2 readers).
pub mod bundle;
pub mod report;
pub mod rules;

// Layer 4: one host through the rules, and the fleet around it.
pub mod pipeline;
pub mod schema;

// Layer 5: the subcommands.
pub mod commands;
