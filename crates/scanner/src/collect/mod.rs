//! The sweep side: what runs on each host and how it gets there.
//!
//! [`COLLECTOR_SCRIPT`] is the one PowerShell script every host runs; it prints one snapshot
//! JSON document. [`delivery`] describes the two ways the script reaches a host (stdin or staged
//! chunks) — the simulator recognises exactly these shapes.

pub mod delivery;
pub mod session;
pub mod sweep;

/// The collector, embedded at build time. PowerShell 5.1 syntax, no modules.
pub const COLLECTOR_SCRIPT: &str = include_str!("collector.ps1");

/// `iis-sweep ping`'s script: delivered like the collector, prints one JSON object about the
/// remote PowerShell (version, language mode, execution policy, elevation, clock).
pub const PING_SCRIPT: &str = include_str!("ping.ps1");

/// The collector's version, as printed in `host.collector_version`.
pub const COLLECTOR_VERSION: &str = "1";

/// The registry values the rules read (`HKLM\` key, value name): what the collector's
/// `$RegistryValues` lists (a test holds the two equal) and what an offline bundle must export.
pub const REGISTRY_VALUES: &[(&str, &str)] = &[
    (
        r"SYSTEM\CurrentControlSet\Control\Lsa",
        "DisableLoopbackCheck",
    ),
    (
        r"SYSTEM\CurrentControlSet\Control\Lsa",
        "LmCompatibilityLevel",
    ),
    (
        r"SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0",
        "BackConnectionHostNames",
    ),
    (
        r"SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0",
        "RestrictReceivingNTLMTraffic",
    ),
    (
        r"SYSTEM\CurrentControlSet\Services\HTTP\Parameters",
        "MaxFieldLength",
    ),
    (
        r"SYSTEM\CurrentControlSet\Services\HTTP\Parameters",
        "MaxRequestBytes",
    ),
];
