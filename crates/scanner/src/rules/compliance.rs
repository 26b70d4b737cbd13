//! NIST SP 800-53 Rev. 5 controls per rule, for compliance exports (HDF `tags.nist`, SARIF
//! properties, CSV/JSON `nist`).
//!
//! This is iis-sweep's own mapping, made by reading each control's statement against what the
//! rule checks — not an official crosswalk. The CIS IIS 10 benchmark items a rule implements are
//! in its references (`CIS Microsoft IIS 10 Benchmark v1.2.1, 2.6: …`). DISA STIG
//! vulnerability ids are not mapped: no copy of the IIS 10.0 Server/Site STIG was at hand to
//! take them from, and an id from memory would be a guess in an audit document.
//!
//! Controls used: AC-2 account management, AC-3 access enforcement, AC-6 least privilege, AU-3
//! content of audit records, AU-12 audit record generation, CM-6 configuration settings, CM-7
//! least functionality, IA-2 identification and authentication, IA-5 authenticator management,
//! SC-5 denial-of-service protection, SC-7 boundary protection, SC-8 transmission
//! confidentiality and integrity, SC-13 cryptographic protection, SC-23 session authenticity,
//! SC-28 protection of information at rest, SI-11 error handling.

/// `(rule code, controls)`, one entry per rule (a test holds it to the rule list).
pub const NIST_800_53: &[(&str, &[&str])] = &[
    // 500.19: configuration that IIS refuses.
    ("C001", &["CM-6"]),
    ("C002", &["CM-6"]),
    ("C003", &["CM-6", "AC-3"]),
    ("C004", &["CM-6"]),
    // Hygiene.
    ("H001", &["SC-8", "IA-5"]),
    ("H002", &["SC-8", "SC-23"]),
    ("H003", &["IA-5", "SC-28"]),
    ("H004", &["IA-2", "CM-6"]),
    ("H005", &["SI-11"]),
    ("H006", &["CM-7", "AC-3"]),
    ("H007", &["AU-3", "AU-12"]),
    ("H008", &["AC-6"]),
    ("H009", &["IA-2", "SC-13"]),
    ("H010", &["AC-3"]),
    ("H011", &["AC-2", "IA-5"]),
    // 401.1: logon failed.
    ("U101", &["IA-2", "CM-6"]),
    ("U102", &["IA-2", "CM-6"]),
    ("U103", &["IA-2", "CM-6"]),
    ("U104", &["IA-2"]),
    ("U105", &["IA-2"]),
    ("U106", &["IA-5", "AC-2"]),
    ("U107", &["AC-2", "IA-5"]),
    // 401.2: server configuration.
    ("U201", &["IA-2", "AC-3"]),
    ("U202", &["IA-2", "CM-6"]),
    ("U203", &["IA-2", "CM-6"]),
    ("U204", &["AC-3"]),
    ("U205", &["AC-3", "IA-2"]),
    ("U206", &["AC-3", "IA-2"]),
    ("U207", &["IA-2"]),
    // 401.3: ACLs.
    ("U301", &["AC-3", "AC-6"]),
    ("U302", &["AC-3", "AC-6"]),
    ("U303", &["AC-3", "AC-6"]),
    ("U304", &["AC-3", "AC-6"]),
    ("U305", &["AC-3"]),
    ("U306", &["AC-3"]),
    ("U307", &["AC-3", "AC-6"]),
    ("U308", &["AC-2", "AC-3"]),
    // 401.4/401.5: filters and extensions.
    ("U401", &["CM-7"]),
    ("U402", &["CM-7"]),
    // 401.501–504: IP restrictions.
    ("U501", &["AC-3", "SC-7"]),
    ("U502", &["SC-5"]),
];

/// The NIST SP 800-53 controls of a rule (empty for a code not in the table).
pub fn nist(code: &str) -> &'static [&'static str] {
    NIST_800_53
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
        .unwrap_or(&[])
}
