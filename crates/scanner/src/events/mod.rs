//! Failed logons from the Windows Security event log: what the collector ships (event 4625's
//! data fields, [`crate::snapshot::SecurityLog`]) and what `iis-sweep events` reads from an
//! exported log (`.evtx`, or the XML of `wevtutil qe` / Event Viewer), understood here.
//!
//! A 4625 event says which account failed to log on, why (`Status`, `SubStatus`: NTSTATUS
//! codes), how (`LogonType`: 3 network, 8 network cleartext = IIS Basic) and for which process
//! (`w3wp.exe` for IIS worker processes). A 4776 event (NTLM credential validation) with a
//! non-zero `Status` is the same evidence from the machine that checked the password. Grouped
//! by account, status, substatus, logon type and process, they name the cause of a 401.1 that
//! configuration alone can only guess at: a disabled anonymous account, an expired password.

pub mod read;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::snapshot::SecurityEvent;

/// Event ids read: 4625 (an account failed to log on) and 4776 (NTLM credential validation;
/// a failure when its `Status` is not 0).
pub const FAILED_LOGON: u32 = 4625;
pub const NTLM_VALIDATION: u32 = 4776;

/// One group of failed logons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedLogons {
    /// `DOMAIN\user` (or `user` when the event names no domain).
    pub account: String,
    /// NTSTATUS, lower-case hex (`0xc000006d`).
    pub status: String,
    /// NTSTATUS of the sub-reason (4625), or empty.
    pub substatus: String,
    /// `3`, `8`, … (4625), or empty.
    pub logon_type: String,
    /// The process that asked for the logon, file name only (`w3wp.exe`), or empty.
    pub process: String,
    pub count: u64,
    /// What the status (or substatus, when more specific) means.
    pub meaning: String,
    /// What the logon type means, or empty.
    pub logon_type_meaning: String,
    /// The event id of the group (4625 or 4776).
    pub event_id: u32,
    /// Earliest and latest event time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
}

impl FailedLogons {
    /// Whether the failure is the account's own state (disabled, locked, expired, …) rather
    /// than a wrong password typed by a user: the states a configured account (IIS anonymous
    /// user, pool identity) can be in.
    pub fn account_state(&self) -> bool {
        matches!(
            specific(&self.status, &self.substatus),
            "0xc0000072" // disabled
                | "0xc0000234" // locked out
                | "0xc0000071" // password expired
                | "0xc0000193" // account expired
                | "0xc0000224" // must change password
                | "0xc000015b" // logon type not granted
                | "0xc000006a" // wrong password (a stored password that changed)
                | "0xc0000064" // no such user
                | "0xc000006f" // outside logon hours
                | "0xc0000070" // workstation restriction
        )
    }
}

/// The code that says most: the substatus when the event has one (4625's `Status` is often the
/// generic 0xC000006D/0xC000006E), else the status.
fn specific<'a>(status: &'a str, substatus: &'a str) -> &'a str {
    if substatus.is_empty() || substatus == "0x0" {
        status
    } else {
        substatus
    }
}

/// NTSTATUS codes of failed logons and what they mean.
pub fn status_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "0xc000006d" => "bad user name or password (see the substatus)",
        "0xc000006a" => "wrong password",
        "0xc0000064" => "no such user",
        "0xc000006e" => "account restriction (see the substatus)",
        "0xc000006f" => "logon outside the account's allowed hours",
        "0xc0000070" => "logon from a workstation the account may not use",
        "0xc0000071" => "password expired",
        "0xc0000072" => "account disabled",
        "0xc0000193" => "account expired",
        "0xc0000224" => "the user must change the password at next logon",
        "0xc0000234" => "account locked out",
        "0xc000015b" => "the account is not granted this logon type on this computer (user rights)",
        "0xc0000133" => "clocks differ too much between the computer and the domain controller",
        "0xc000005e" => "no logon server available",
        "0xc0000192" => "the NetLogon service is not started",
        "0xc0000413" => "the authentication firewall refused the logon",
        "0xc0000225" => "a Windows error, not a credential problem",
        "0xc00000dc" => "the server is in the wrong state (SAM)",
        "0xc000018c" => "the trust between the domains failed",
        "0xc000018d" => "the trust relationship of the computer failed",
        _ => return None,
    })
}

/// Logon types and what they mean for IIS.
pub fn logon_type_meaning(t: &str) -> Option<&'static str> {
    Some(match t {
        "2" => "interactive",
        "3" => "network (IIS Windows authentication, anonymous user logons)",
        "4" => "batch (application pool identities)",
        "5" => "service",
        "7" => "unlock",
        "8" => "network cleartext (IIS Basic authentication)",
        "9" => "new credentials",
        "10" => "remote interactive",
        "11" => "cached interactive",
        _ => return None,
    })
}

/// A status as `0x…` lower-case hex whatever the event wrote (`0xC000006D`, `%%2313`-free
/// numbers, decimal).
fn normal_status(s: &str) -> String {
    let t = s.trim();
    let hex = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .map(|h| u32::from_str_radix(h, 16).ok())
        .unwrap_or_else(|| t.parse::<i64>().ok().map(|n| n as u32));
    match hex {
        Some(n) => format!("{n:#x}"),
        None => t.to_ascii_lowercase(),
    }
}

fn file_name(path: &str) -> String {
    path.rsplit(['\\', '/']).next().unwrap_or("").to_string()
}

/// The failure in one event, or `None` when it is no failed logon (a 4776 with status 0,
/// another event id).
fn failure(e: &SecurityEvent) -> Option<(FailedLogons, Option<&str>)> {
    let get = |k: &str| {
        e.data
            .get(k)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty() && *s != "-")
    };
    let (status, substatus, logon_type, process, account) = match e.id {
        FAILED_LOGON => (
            normal_status(get("Status").unwrap_or("")),
            get("SubStatus").map(normal_status).unwrap_or_default(),
            get("LogonType").unwrap_or("").to_string(),
            get("ProcessName").map(file_name).unwrap_or_default(),
            match (get("TargetDomainName"), get("TargetUserName")) {
                (Some(d), Some(u)) => format!("{d}\\{u}"),
                (None, Some(u)) => u.to_string(),
                _ => "(no account name)".to_string(),
            },
        ),
        NTLM_VALIDATION => {
            let status = normal_status(get("Status").unwrap_or("0x0"));
            if status == "0x0" {
                return None;
            }
            (
                status,
                String::new(),
                String::new(),
                String::new(),
                get("TargetUserName")
                    .unwrap_or("(no account name)")
                    .to_string(),
            )
        }
        _ => return None,
    };
    let meaning = status_meaning(specific(&status, &substatus))
        .or_else(|| status_meaning(&status))
        .unwrap_or("unknown status")
        .to_string();
    Some((
        FailedLogons {
            account,
            logon_type_meaning: logon_type_meaning(&logon_type).unwrap_or("").to_string(),
            status,
            substatus,
            logon_type,
            process,
            count: 1,
            meaning,
            event_id: e.id,
            first: None,
            last: None,
        },
        e.time.as_deref(),
    ))
}

/// Failed logons grouped by account, status, substatus, logon type and process; most frequent
/// first.
pub fn group(events: &[SecurityEvent]) -> Vec<FailedLogons> {
    let mut groups: BTreeMap<(String, String, String, String, String, u32), FailedLogons> =
        BTreeMap::new();
    for e in events {
        let Some((f, time)) = failure(e) else {
            continue;
        };
        let key = (
            f.account.to_lowercase(),
            f.status.clone(),
            f.substatus.clone(),
            f.logon_type.clone(),
            f.process.to_lowercase(),
            f.event_id,
        );
        let g = groups
            .entry(key)
            .or_insert_with(|| FailedLogons { count: 0, ..f });
        g.count += 1;
        if let Some(t) = time {
            if g.first.as_deref().is_none_or(|x| t < x) {
                g.first = Some(t.to_string());
            }
            if g.last.as_deref().is_none_or(|x| t > x) {
                g.last = Some(t.to_string());
            }
        }
    }
    let mut out: Vec<FailedLogons> = groups.into_values().collect();
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.account.cmp(&b.account))
    });
    out
}

/// Whether an account named in configuration (`CONTOSO\iisanon`, `iisanon@contoso.com`,
/// `.\iisanon`, `iisanon`) is the account of an event (`CONTOSO\iisanon`, `iisanon`).
/// `computer` is the host's NetBIOS name, the domain of local accounts.
pub fn same_account(configured: &str, event: &str, computer: Option<&str>) -> bool {
    fn split(a: &str) -> (Option<String>, String) {
        let a = a.trim().to_lowercase();
        if let Some((d, u)) = a.split_once('\\') {
            return (Some(d.to_string()), u.to_string());
        }
        if let Some((u, d)) = a.split_once('@') {
            // user@contoso.com: compare the first DNS label with a NetBIOS domain.
            return (
                Some(d.split('.').next().unwrap_or("").to_string()),
                u.to_string(),
            );
        }
        (None, a)
    }
    let (cd, cu) = split(configured);
    let (ed, eu) = split(event);
    if cu != eu {
        return false;
    }
    let local = |d: &str| d == "." || computer.is_some_and(|c| c.eq_ignore_ascii_case(d));
    match (cd.as_deref(), ed.as_deref()) {
        (Some(a), Some(b)) => a == b || (local(a) && local(b)),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: u32, pairs: &[(&str, &str)]) -> SecurityEvent {
        SecurityEvent {
            id,
            time: Some("2026-12-01T10:00:00Z".into()),
            data: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn groups_failed_logons_and_explains_them() {
        let disabled = [
            ("TargetUserName", "iisanon"),
            ("TargetDomainName", "CONTOSO"),
            ("Status", "0xC000006E"),
            ("SubStatus", "0xC0000072"),
            ("LogonType", "3"),
            ("ProcessName", r"C:\Windows\System32\inetsrv\w3wp.exe"),
        ];
        let events = vec![
            ev(4625, &disabled),
            ev(4625, &disabled),
            ev(4776, &[("TargetUserName", "bob"), ("Status", "0xc000006a")]),
            ev(4776, &[("TargetUserName", "ok"), ("Status", "0x0")]),
            ev(4624, &[("TargetUserName", "x")]),
        ];
        let g = group(&events);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].account, r"CONTOSO\iisanon");
        assert_eq!(g[0].count, 2);
        assert_eq!(g[0].meaning, "account disabled");
        assert_eq!(g[0].process, "w3wp.exe");
        assert!(g[0].account_state());
        assert_eq!(g[1].meaning, "wrong password");
    }

    #[test]
    fn accounts_match_across_spellings() {
        assert!(same_account(r"CONTOSO\IisAnon", r"contoso\iisanon", None));
        assert!(same_account(
            "iisanon@contoso.com",
            r"CONTOSO\iisanon",
            None
        ));
        assert!(same_account(r".\svc", r"WEB01\svc", Some("WEB01")));
        assert!(!same_account(r"CONTOSO\svc", r"FABRIKAM\svc", None));
        assert!(!same_account(r"CONTOSO\a", r"CONTOSO\b", None));
    }
}
