//! What the host's own records say: W3C log files read in Rust ([`w3c`]) and summarised per
//! file — requests by status, and the 401s grouped by substatus and win32 status with what each
//! means, the normal challenge legs told apart from real failures.

pub mod w3c;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use w3c::{Format, Line, Reader};

/// Longest line read (longer ones are counted as malformed): a bound on host-supplied input.
const MAX_LINE: usize = 64 * 1024;
/// Entries kept in each "top" list.
const TOP: usize = 5;
/// Distinct values tracked per top list (beyond it, new values are not counted).
const MAX_DISTINCT: usize = 10_000;

/// One log file, summarised.
#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    pub path: String,
    pub format: Format,
    /// Request lines read.
    pub requests: u64,
    /// Lines whose field count does not match the layout in force.
    pub malformed: u64,
    /// Data lines before any `#Fields:` (their layout is unknown).
    pub unreadable: u64,
    /// Why the file says nothing about 401s, when it does not (no `#Fields:`, FTP, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_evaluated: Option<String>,
    /// Requests by `sc-status`.
    pub status: BTreeMap<String, u64>,
    /// 401 responses by substatus and win32 status, most frequent first.
    pub unauthorized: Vec<Unauthorized>,
    /// HTTPERR: requests by `s-reason`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub reasons: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
}

/// 401s of one (substatus, win32 status).
#[derive(Debug, Clone, Serialize)]
pub struct Unauthorized {
    pub substatus: u32,
    pub win32: u32,
    pub count: u64,
    /// What this pair means.
    pub meaning: String,
    /// A normal leg of the authentication handshake, not a failure.
    pub normal_handshake: bool,
    /// How many were followed by a success for the same client and URL (a completed handshake).
    pub followed_by_success: u64,
    pub top_urls: Vec<(String, u64)>,
    pub top_users: Vec<(String, u64)>,
    pub top_clients: Vec<(String, u64)>,
}

/// What a (substatus, win32) pair of a 401 means, and whether it is a normal challenge leg.
pub fn meaning(substatus: u32, win32: u32) -> (String, bool) {
    let normal = matches!((substatus, win32), (2, 5) | (1, 2_148_074_254));
    let m = match (substatus, win32) {
        (2, 5) => "the anonymous first request to a path that needs credentials: the server \
                   answers with its challenge (normal first leg of every logon)"
            .to_string(),
        (1, 2_148_074_254) => "SEC_E_NO_CREDENTIALS (0x8009030E): the middle leg of an \
                               NTLM/Negotiate handshake (normal)"
            .to_string(),
        (1, 1326) => "ERROR_LOGON_FAILURE: bad user name or password".to_string(),
        (1, 1327) => "ERROR_ACCOUNT_RESTRICTION: blank password, logon hours or workstation \
                      restrictions"
            .to_string(),
        (1, 1328) => "ERROR_INVALID_LOGON_HOURS: outside the account's logon hours".to_string(),
        (1, 1329) => "ERROR_INVALID_WORKSTATION: the account may not log on from here".to_string(),
        (1, 1330) => "ERROR_PASSWORD_EXPIRED: the account's password has expired".to_string(),
        (1, 1331) => "ERROR_ACCOUNT_DISABLED: the account is disabled".to_string(),
        (1, 1385) => "ERROR_LOGON_TYPE_NOT_GRANTED: the account lacks the logon right IIS uses \
                      (network or batch)"
            .to_string(),
        (1, 1907) => "ERROR_PASSWORD_MUST_CHANGE: the password must be changed first".to_string(),
        (1, 1909) => "ERROR_ACCOUNT_LOCKED_OUT: the account is locked out".to_string(),
        (1, 2_148_074_252) => "SEC_E_LOGON_DENIED (0x8009030C): the logon was denied (wrong \
                               credentials, or NTLM refused by policy)"
            .to_string(),
        (1, 2_148_074_248) => "SEC_E_INVALID_TOKEN (0x80090308): the client's token was not \
                               accepted (often a Kerberos SPN or duplicate-SPN problem)"
            .to_string(),
        (1, 2_148_074_242) => "SEC_E_UNSUPPORTED_FUNCTION (0x80090302): often Extended \
                               Protection (channel binding) refusing the client"
            .to_string(),
        (1, _) => "401.1 logon failed".to_string(),
        (2, _) => "401.2 no authentication method the client offered is enabled".to_string(),
        (3, 5) => "401.3 ERROR_ACCESS_DENIED: the identity serving the request cannot read the \
                   file (NTFS ACL)"
            .to_string(),
        (3, _) => "401.3 denied by the file's ACL".to_string(),
        (4, _) => "401.4 authorization failed by an ISAPI filter".to_string(),
        (5, _) => "401.5 authorization failed by an ISAPI/CGI application".to_string(),
        (501, _) => "401.501 dynamic IP restriction: too many concurrent requests".to_string(),
        (502, _) => "401.502 dynamic IP restriction: request rate exceeded".to_string(),
        (503, _) => "401.503 IP address denied".to_string(),
        (504, _) => "401.504 host name denied".to_string(),
        (0, _) => "401.0: the application (or a managed module) returned 401 itself".to_string(),
        (s, w) => format!("401.{s} with win32 status {w}"),
    };
    (m, normal)
}

/// Counts with a bound on distinct values.
#[derive(Debug, Default)]
struct Counter(HashMap<String, u64>);

impl Counter {
    fn add(&mut self, v: Option<&str>) {
        let Some(v) = v else { return };
        if let Some(n) = self.0.get_mut(v) {
            *n += 1;
        } else if self.0.len() < MAX_DISTINCT {
            self.0.insert(v.to_string(), 1);
        }
    }

    fn top(&self) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self.0.iter().map(|(k, n)| (k.clone(), *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(TOP);
        v
    }
}

#[derive(Debug, Default)]
struct Group {
    count: u64,
    followed: u64,
    urls: Counter,
    users: Counter,
    clients: Counter,
}

/// Summarises one log from a reader of its bytes. `path` names it in the summary.
pub fn summarize(path: &str, input: impl BufRead) -> std::io::Result<FileSummary> {
    let mut reader = Reader::new(path);
    let mut s = FileSummary {
        path: path.to_string(),
        format: Format::Unknown,
        requests: 0,
        malformed: 0,
        unreadable: 0,
        not_evaluated: None,
        status: BTreeMap::new(),
        unauthorized: Vec::new(),
        reasons: BTreeMap::new(),
        first: None,
        last: None,
    };
    let mut groups: BTreeMap<(u32, u32), Group> = BTreeMap::new();
    // (client, uri) → the groups of the 401s still waiting for a success.
    let mut pending: HashMap<(String, String), Vec<(u32, u32)>> = HashMap::new();
    let mut input = input;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = Read::take(&mut input, MAX_LINE as u64 + 1).read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        if buf.len() > MAX_LINE && !buf.ends_with(b"\n") {
            // Skip the rest of an overlong line.
            s.malformed += 1;
            input.skip_until(b'\n')?;
            continue;
        }
        let text = String::from_utf8_lossy(&buf);
        match reader.line(&text) {
            None => {}
            Some(Line::NoLayout(_)) => s.unreadable += 1,
            Some(Line::Malformed(..)) => s.malformed += 1,
            Some(Line::Record(r)) => {
                s.requests += 1;
                if s.first.is_none() {
                    s.first = r.when.clone();
                }
                if r.when.is_some() {
                    s.last = r.when.clone();
                }
                if let Some(reason) = &r.reason {
                    *s.reasons.entry(reason.clone()).or_default() += 1;
                }
                let Some(status) = r.status else { continue };
                *s.status.entry(status.to_string()).or_default() += 1;
                let key = (
                    r.client.clone().unwrap_or_default(),
                    r.uri.clone().unwrap_or_default().to_ascii_lowercase(),
                );
                if status == 401 {
                    let g = (r.substatus.unwrap_or(0), r.win32.unwrap_or(0));
                    let e = groups.entry(g).or_default();
                    e.count += 1;
                    e.urls.add(r.uri.as_deref());
                    e.users.add(r.user.as_deref());
                    e.clients.add(r.client.as_deref());
                    if pending.len() < MAX_DISTINCT || pending.contains_key(&key) {
                        pending.entry(key).or_default().push(g);
                    }
                } else if (200..400).contains(&status) {
                    for g in pending.remove(&key).unwrap_or_default() {
                        if let Some(e) = groups.get_mut(&g) {
                            e.followed += 1;
                        }
                    }
                }
            }
        }
    }
    s.format = reader.format();
    match s.format {
        Format::Unknown => {
            s.not_evaluated = Some(if s.unreadable > 0 {
                "no #Fields: directive: the columns are unknown, so no line was read (not \
                 evaluated, which is not \"no 401s\")"
                    .into()
            } else {
                "not a W3C extended log (no #Fields: directive)".into()
            });
            s.status.clear();
            groups.clear();
        }
        Format::Ftp => {
            // FTP logs reuse sc-status for FTP reply codes (530 = not logged in): never HTTP.
            s.not_evaluated = Some("an FTP log: its status codes are FTP replies, not HTTP".into());
            groups.clear();
        }
        _ => {}
    }
    let mut unauthorized: Vec<Unauthorized> = groups
        .into_iter()
        .map(|((sub, win32), g)| {
            let (meaning, normal_handshake) = meaning(sub, win32);
            Unauthorized {
                substatus: sub,
                win32,
                count: g.count,
                meaning,
                normal_handshake,
                followed_by_success: g.followed,
                top_urls: g.urls.top(),
                top_users: g.users.top(),
                top_clients: g.clients.top(),
            }
        })
        .collect();
    unauthorized.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| (a.substatus, a.win32).cmp(&(b.substatus, b.win32)))
    });
    s.unauthorized = unauthorized;
    Ok(s)
}

/// Reads every site's shipped log lines ([`summarize_site`]).
pub fn read_shipped(snapshot: &mut crate::snapshot::Snapshot) {
    if let Some(logs) = &mut snapshot.logs {
        logs.sites.iter_mut().for_each(summarize_site);
    }
}

/// Reads the raw lines a collector shipped for one site into its summary: 401 counts by
/// substatus and win32 status, first and last time. Lines are dropped afterwards (they were only
/// carried for this). A site whose files have no `#Fields:` keeps no counts — not evaluated.
pub fn summarize_site(site: &mut crate::snapshot::SiteLogSummary) {
    if site.raw.is_empty() {
        return;
    }
    let mut counts: BTreeMap<(u32, u32), u64> = BTreeMap::new();
    let (mut first, mut last): (Option<String>, Option<String>) = (None, None);
    for file in std::mem::take(&mut site.raw) {
        let mut reader = Reader::new(&file.name);
        for line in &file.lines {
            let Some(Line::Record(r)) = reader.line(line) else {
                continue;
            };
            if let Some(t) = r.when.as_deref().and_then(rfc3339) {
                if first.as_ref().is_none_or(|f| t < *f) {
                    first = Some(t.clone());
                }
                if last.as_ref().is_none_or(|l| t > *l) {
                    last = Some(t);
                }
            }
            if r.status == Some(401) && reader.format() == Format::W3c {
                *counts
                    .entry((r.substatus.unwrap_or(0), r.win32.unwrap_or(0)))
                    .or_default() += 1;
            }
        }
        site.truncated |= file.truncated;
    }
    site.counts = counts
        .into_iter()
        .map(|((substatus, win32), count)| crate::snapshot::StatusCount {
            status: 401,
            substatus,
            win32: u64::from(win32),
            count,
        })
        .collect();
    site.first = first.or(site.first.take());
    site.last = last.or(site.last.take());
}

/// `2023-01-01 08:00:01` → `2023-01-01T08:00:01Z` (W3C `date time` are UTC).
fn rfc3339(when: &str) -> Option<String> {
    let (d, t) = when.split_once(' ')?;
    let t = t.split('.').next().unwrap_or(t);
    (d.len() == 10 && t.len() == 8).then(|| format!("{d}T{t}Z"))
}

/// The log files under `paths` (files as given; directories searched for `*.log`), sorted.
pub fn discover(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut out, 0)?;
        } else {
            out.push(p.clone());
        }
    }
    if out.is_empty() {
        anyhow::bail!(
            "no log files (*.log) in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> anyhow::Result<()> {
    if depth > 8 {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot list: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let ft = std::fs::symlink_metadata(&p).map(|m| m.file_type());
        match ft {
            Ok(t) if t.is_dir() => walk(&p, out, depth + 1)?,
            Ok(t)
                if t.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("log")) =>
            {
                out.push(p)
            }
            _ => {}
        }
    }
    Ok(())
}

/// Fuzzing entry point (`fuzz/fuzz_targets/parse_w3c_log.rs`): must never panic.
#[doc(hidden)]
pub fn fuzz_summarize(data: &[u8]) {
    let _ = summarize("fuzz.log", data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_legs_are_told_apart_from_failures() {
        let log = "#Software: Microsoft Internet Information Services 10.0\n\
#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken\n\
2023-01-01 00:00:01 10.0.0.5 GET /app - 80 - 10.0.0.9 UA 401 2 5 1\n\
2023-01-01 00:00:01 10.0.0.5 GET /app - 80 - 10.0.0.9 UA 401 1 2148074254 1\n\
2023-01-01 00:00:01 10.0.0.5 GET /app - 80 CORP\\alice 10.0.0.9 UA 200 0 0 5\n\
2023-01-01 00:00:02 10.0.0.5 GET /app - 80 CORP\\bob 10.0.0.7 UA 401 1 1326 2\n";
        let s = summarize("u_ex230101.log", log.as_bytes()).unwrap();
        assert_eq!(s.format, Format::W3c);
        assert_eq!(s.requests, 4);
        assert_eq!(s.status["401"], 3);
        let failure = s.unauthorized.iter().find(|u| u.win32 == 1326).unwrap();
        assert!(!failure.normal_handshake);
        assert_eq!(failure.followed_by_success, 0);
        assert_eq!(failure.top_users, vec![("CORP\\bob".to_string(), 1)]);
        let first_leg = s.unauthorized.iter().find(|u| u.substatus == 2).unwrap();
        assert!(first_leg.normal_handshake);
        assert_eq!(first_leg.followed_by_success, 1);
    }

    #[test]
    fn a_headerless_file_is_not_evaluated_and_ftp_is_not_http() {
        let s = summarize("x.log", "2023-01-01 00:00:01 /a 401 2 5\n".as_bytes()).unwrap();
        assert_eq!(s.format, Format::Unknown);
        assert!(s.not_evaluated.is_some());
        assert!(s.unauthorized.is_empty());
        let ftp = "#Fields: date time c-ip cs-username s-ip s-port cs-method cs-uri-stem sc-status sc-win32-status sc-substatus x-session x-fullpath\n\
2023-01-01 00:00:01 10.0.0.9 bob 10.0.0.5 21 PASS *** 530 1326 41 abc /\n";
        let s = summarize("FTPSVC2/u_ex230101.log", ftp.as_bytes()).unwrap();
        assert_eq!(s.format, Format::Ftp);
        assert!(s.unauthorized.is_empty());
    }

    #[test]
    fn fuzz_corpus_replays_without_panic() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/parse_w3c_log");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).expect("fuzz corpus directory") {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            fuzz_summarize(&bytes);
            // Every prefix too: a file cut anywhere must not panic either.
            for cut in (0..bytes.len()).step_by(7) {
                fuzz_summarize(&bytes[..cut]);
            }
            n += 1;
        }
        assert!(n >= 5, "seed corpus has {n} files");
    }

    #[test]
    fn overlong_lines_are_bounded() {
        let mut log = String::from("#Fields: cs-uri-stem sc-status\n");
        log.push_str(&"a".repeat(MAX_LINE * 2));
        log.push_str(" 200\n/b 200\n");
        let s = summarize("big.log", log.as_bytes()).unwrap();
        assert_eq!(s.malformed, 1);
        assert_eq!(s.requests, 1);
    }
}
