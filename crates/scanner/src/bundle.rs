//! Offline bundles: `iis-sweep check DIR` on a folder copied from a server, for air-gapped and
//! audit-only teams (docs/offline.md says how to make one with what Windows ships).
//!
//! A bundle mirrors the server's drives — `C/Windows/System32/inetsrv/config/...`,
//! `D/Sites/Shop/web.config` stand for `C:\Windows\...` and `D:\Sites\Shop\web.config` — and may
//! hold, anywhere, registry exports (`reg export` `.reg` files or `reg query` output in `.txt`),
//! W3C log folders (`W3SVC<id>\*.log`) and exported Security logs (`.evtx`, or XML from
//! `wevtutil qe`). `inetsrv/config/` may also sit at the top, as copied on its own. Every part
//! found is read into the same snapshot the collector would have produced; every part missing
//! stays "not collected" (its rules are "not evaluated"), and the snapshot says which.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::acl::icacls::{self, IcaclsFormat};
use crate::collect::REGISTRY_VALUES;
use crate::input::{bundle_apphost as find_apphost, child_ci, drive_folders};
use crate::snapshot::{
    AclFact, Collected, CollectionError, ConfigFile, FileRole, LogSummary, RawLogFile,
    RegistryData, RegistryFact, SecurityLog, SiteLogSummary, Snapshot,
};

/// Windows path of applicationHost.config, as the collector reports it.
const APPHOST: &str = r"C:\Windows\System32\inetsrv\config\applicationHost.config";
/// Bytes read of one configuration file (as the collector's bound).
const MAX_FILE: u64 = 16 << 20;
/// web.config files read per bundle.
const MAX_WEB_CONFIGS: usize = 5_000;
/// Log lines kept per site, and bytes read per site.
const MAX_LOG_LINES: usize = 20_000;
const MAX_LOG_BYTES: u64 = 64 << 20;
/// Folder depth searched below the bundle folder.
const MAX_DEPTH: usize = 24;

/// Reads a bundle into a snapshot named after the folder.
pub fn read(dir: &Path) -> Result<Snapshot, String> {
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| dir.display().to_string());
    let mut snap = Snapshot::new(name.clone());
    snap.host.computer_name = Some(name);
    snap.collected = Collected {
        config: false,
        web_configs: false,
        ..Collected::default()
    };
    let missing = |snap: &mut Snapshot, part: &str, how: &str| {
        snap.errors.push(CollectionError {
            stage: "bundle".into(),
            target: None,
            message: format!("no {part} in the bundle ({how}): its rules are not evaluated"),
        });
    };

    let Some(apphost) = find_apphost(dir) else {
        return Err(format!(
            "{}: no applicationHost.config (looked for C/Windows/System32/inetsrv/config/ and \
             inetsrv/config/): not an offline bundle",
            dir.display()
        ));
    };
    // The collector reads these from the host; a bundle is a copy of a standard install.
    for (name, value) in [
        ("SystemDrive", "C:"),
        ("SystemRoot", r"C:\Windows"),
        ("windir", r"C:\Windows"),
    ] {
        snap.host.env.insert(name.into(), value.into());
    }
    snap.files
        .push(config_file(&apphost, APPHOST, FileRole::ApplicationHost));
    snap.collected.config = true;
    for other in ["redirection.config", "administration.config"] {
        if let Some(p) = child_ci(apphost.parent().unwrap_or(dir), other) {
            let windows = format!(r"C:\Windows\System32\inetsrv\config\{other}");
            snap.files.push(config_file(&p, &windows, FileRole::Other));
        }
    }

    // Drive mirrors: the framework's CONFIG folders and every web.config.
    // One walk of the bundle serves every part below.
    let mut all = Vec::new();
    walk(dir, 0, &mut all);
    all.sort();

    let drives = drive_folders(dir);
    let mut web_configs = 0usize;
    for (letter, root) in &drives {
        for f in all.iter().filter(|f| f.starts_with(root)) {
            let windows = windows_path(*letter, root, f);
            let lower = windows.to_ascii_lowercase();
            let file_name = f
                .file_name()
                .map(|n| n.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            if lower.contains(r"\microsoft.net\framework") && lower.contains(r"\config\") {
                let role = match file_name.as_str() {
                    "machine.config" => FileRole::MachineConfig,
                    "web.config" => FileRole::RootWebConfig,
                    _ => continue,
                };
                snap.files.push(config_file(f, &windows, role));
            } else if file_name == "web.config" && !lower.contains(r"\inetsrv\config\") {
                if web_configs == MAX_WEB_CONFIGS {
                    snap.errors.push(CollectionError {
                        stage: "limit".into(),
                        target: Some(root.display().to_string()),
                        message: format!(
                            "more than {MAX_WEB_CONFIGS} web.config files; the rest not read"
                        ),
                    });
                    break;
                }
                web_configs += 1;
                snap.files
                    .push(config_file(f, &windows, FileRole::WebConfig));
            }
        }
    }
    // Content folders copied (a drive folder other than the one holding applicationHost.config
    // alone counts): what the sites delegate to their web.config files was seen.
    snap.collected.web_configs = web_configs > 0
        || drives
            .iter()
            .any(|(_, root)| !apphost.starts_with(root) || has_inetpub(root));
    if !snap.collected.web_configs {
        missing(
            &mut snap,
            "content folders",
            "copy each site's folder tree (at least its web.config files) under its drive letter",
        );
    }

    // Folder ACLs: `icacls` listings (absolute paths) and `/save` files (paths relative to the
    // folder the file sits in, as a drive mirror).
    for f in all
        .iter()
        .filter(|f| has_ext(f, &["txt", "acl", "acls", "icacls"]))
    {
        let Ok(text) = read_text(f) else { continue };
        let Some((format, entries)) = icacls::parse(&text) else {
            continue;
        };
        let base = match format {
            IcaclsFormat::Listing => None,
            IcaclsFormat::Save => {
                let mirror = drives.iter().find(|(_, root)| f.starts_with(root));
                let Some((letter, root)) = mirror else {
                    snap.errors.push(CollectionError {
                        stage: "acl".into(),
                        target: Some(f.display().to_string()),
                        message: "an `icacls /save` file holds paths relative to the folder it \
                                  was saved from: put it in that folder's drive mirror (e.g. \
                                  C/inetpub/ for `icacls C:\\inetpub\\wwwroot /save FILE /t`)"
                            .into(),
                    });
                    continue;
                };
                f.parent().map(|p| windows_path(*letter, root, p))
            }
        };
        for e in entries {
            let path = match &base {
                Some(b) => format!("{}\\{}", b.trim_end_matches('\\'), e.path),
                None => e.path,
            };
            let (sddl, error) = match e.sddl {
                Ok(s) => (Some(s), None),
                Err(why) => (None, Some(format!("{}: {why}", f.display()))),
            };
            snap.acls
                .retain(|a| !crate::snapshot::windows_path_eq(&a.path, &path));
            snap.acls.push(AclFact {
                path,
                owner: None,
                sddl,
                error,
            });
        }
    }
    snap.collected.acls = !snap.acls.is_empty();

    // Registry exports.
    let mut values: BTreeMap<(String, String), (String, RegistryData)> = BTreeMap::new();
    let mut keys_seen: Vec<String> = Vec::new();
    for f in all.iter().filter(|f| has_ext(f, &["reg", "txt"])) {
        if let Ok(text) = read_text(f) {
            parse_registry(&text, &mut values, &mut keys_seen);
        }
    }
    let needed_keys: Vec<&str> = {
        let mut k: Vec<&str> = REGISTRY_VALUES.iter().map(|(k, _)| *k).collect();
        k.dedup();
        k
    };
    let exported = |key: &str| keys_seen.iter().any(|k| k.eq_ignore_ascii_case(key));
    if needed_keys.iter().all(|k| exported(&format!(r"HKLM\{k}"))) {
        snap.collected.registry = true;
        for (key, name) in REGISTRY_VALUES {
            let full = format!(r"HKLM\{key}");
            let found = values
                .iter()
                .find(|((k, n), _)| k.eq_ignore_ascii_case(&full) && n.eq_ignore_ascii_case(name));
            snap.registry.push(RegistryFact {
                key: full,
                name: name.to_string(),
                kind: found.map(|(_, (kind, _))| kind.clone()),
                data: found.map(|(_, (_, data))| data.clone()),
            });
        }
    } else {
        let absent: Vec<String> = needed_keys
            .iter()
            .map(|k| format!(r"HKLM\{k}"))
            .filter(|k| !exported(k))
            .collect();
        missing(
            &mut snap,
            "registry export",
            &format!("reg export each of: {}", absent.join(", ")),
        );
    }

    // W3C logs: W3SVC<id> folders anywhere.
    let mut sites: BTreeMap<u64, SiteLogSummary> = BTreeMap::new();
    for f in all.iter().filter(|f| has_ext(f, &["log"])) {
        let Some(site_id) = f
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().to_ascii_uppercase())
            .and_then(|n| {
                n.strip_prefix("W3SVC")
                    .and_then(|id| id.parse::<u64>().ok())
            })
        else {
            continue;
        };
        let s = sites.entry(site_id).or_insert_with(|| SiteLogSummary {
            site_id,
            ..Default::default()
        });
        read_log(f, s);
    }
    if sites.is_empty() {
        missing(
            &mut snap,
            "IIS logs",
            "copy the W3SVC<id> folders of the log directory",
        );
    } else {
        snap.collected.logs = true;
        snap.logs = Some(LogSummary {
            sites: sites.into_values().collect(),
        });
    }

    // Security logs.
    let mut events = Vec::new();
    let mut any = false;
    for f in all.iter().filter(|f| has_ext(f, &["evtx", "xml"])) {
        match crate::events::read::read_file(f) {
            Ok(e) => {
                any = true;
                events.extend(e.logon_events);
            }
            Err(e) if has_ext(f, &["evtx"]) => snap.errors.push(CollectionError {
                stage: "security".into(),
                target: Some(f.display().to_string()),
                message: e.to_string(),
            }),
            Err(_) => {} // an XML file that is no event export (a web.config copy, …)
        }
    }
    if any {
        snap.collected.security_log = true;
        snap.security = Some(SecurityLog {
            days: 0,
            events,
            truncated: false,
        });
    } else {
        missing(
            &mut snap,
            "Security log",
            "wevtutil epl Security security.evtx, or an XML export of events 4625",
        );
    }
    if !snap.collected.acls {
        missing(
            &mut snap,
            "folder ACLs",
            "icacls PATH /save FILE /t in each content folder's parent, or icacls PATH > FILE.txt",
        );
    }
    missing(
        &mut snap,
        "account SIDs",
        "the SIDs and groups of named accounts need the collector on the host",
    );
    Ok(snap)
}

/// `C:\inetpub\wwwroot` for the bundle path `<bundle>/C/inetpub/wwwroot` under drive `root`.
fn windows_path(letter: char, root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    format!(
        "{letter}:\\{}",
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("\\")
    )
}

fn config_file(path: &Path, windows: &str, role: FileRole) -> ConfigFile {
    let (text, error) = match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE => (
            None,
            Some(format!("{} bytes, over the {MAX_FILE} byte bound", m.len())),
        ),
        Ok(_) => match read_text(path) {
            Ok(t) => (Some(t), None),
            Err(e) => (None, Some(e)),
        },
        Err(e) => (None, Some(e.to_string())),
    };
    ConfigFile {
        path: windows.to_string(),
        role,
        text,
        error,
        truncated: false,
    }
}

/// A file's text (UTF-8 or UTF-16 with a byte order mark, as `reg export` writes).
fn read_text(path: &Path) -> Result<String, String> {
    crate::text::decode_text(&std::fs::read(path).map_err(|e| e.to_string())?)
}

fn has_ext(p: &Path, exts: &[&str]) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| exts.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

fn has_inetpub(root: &Path) -> bool {
    child_ci(root, "inetpub").is_some()
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.filter_map(|e| e.ok()) {
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            walk(&e.path(), depth + 1, out);
        } else if t.is_file() {
            out.push(e.path());
        }
    }
}

/// Registry values from `reg export` (.reg) or `reg query … /s` output, into `values` keyed by
/// (`HKLM\…` key, value name); every key met goes to `keys`.
fn parse_registry(
    text: &str,
    values: &mut BTreeMap<(String, String), (String, RegistryData)>,
    keys: &mut Vec<String>,
) {
    let short = |k: &str| -> String {
        let k = k.trim();
        for long in ["HKEY_LOCAL_MACHINE\\", "HKLM\\"] {
            if k.len() >= long.len() && k[..long.len()].eq_ignore_ascii_case(long) {
                return format!(r"HKLM\{}", &k[long.len()..]);
            }
        }
        k.to_string()
    };
    // .reg: logical lines (a trailing backslash continues a hex list).
    let mut logical: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        match logical.last_mut() {
            Some(prev) if prev.ends_with('\\') => {
                prev.pop();
                prev.push_str(line.trim());
            }
            _ => logical.push(line.to_string()),
        }
    }
    let mut key: Option<String> = None;
    for line in &logical {
        let t = line.trim();
        if let Some(k) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            let k = short(k);
            keys.push(k.clone());
            key = Some(k);
            continue;
        }
        if t.to_ascii_uppercase().starts_with("HKEY_LOCAL_MACHINE\\") && !line.starts_with(' ') {
            // reg query: a key line, unindented.
            let k = short(t);
            keys.push(k.clone());
            key = Some(k);
            continue;
        }
        let Some(k) = key.clone() else { continue };
        if let Some(rest) = t.strip_prefix('"') {
            // .reg: "Name"=type:data
            let Some((name, data)) = rest.split_once("\"=") else {
                continue;
            };
            if let Some(v) = reg_file_value(data) {
                values.insert((k, name.replace("\\\\", "\\")), v);
            }
        } else if line.starts_with("    ") {
            // reg query: "    Name    REG_TYPE    data"
            let parts: Vec<&str> = t.splitn(3, "    ").collect();
            if parts.len() >= 2 {
                let kind = parts[1].trim();
                let data = parts.get(2).map(|s| s.trim()).unwrap_or("");
                let value = match kind {
                    "REG_DWORD" | "REG_QWORD" => {
                        u64::from_str_radix(data.trim_start_matches("0x"), 16)
                            .ok()
                            .map(RegistryData::Number)
                    }
                    "REG_MULTI_SZ" => Some(RegistryData::Lines(
                        data.split("\\0")
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect(),
                    )),
                    "REG_SZ" | "REG_EXPAND_SZ" => Some(RegistryData::Text(data.to_string())),
                    _ => None,
                };
                if let Some(v) = value {
                    values.insert((k, parts[0].trim().to_string()), (kind.to_string(), v));
                }
            }
        }
    }
}

/// Fuzzing entry point (`fuzz/fuzz_targets/parse_registry_export.rs`): any bytes, as a
/// `reg export` or `reg query` text, must be read without a panic.
#[doc(hidden)]
pub fn fuzz_registry(data: &[u8]) {
    let text = crate::text::decode_text(data)
        .unwrap_or_else(|_| String::from_utf8_lossy(data).into_owned());
    let mut values = BTreeMap::new();
    let mut keys = Vec::new();
    parse_registry(&text, &mut values, &mut keys);
}

fn reg_file_value(data: &str) -> Option<(String, RegistryData)> {
    let data = data.trim();
    if let Some(h) = data.strip_prefix("dword:") {
        return Some((
            "REG_DWORD".into(),
            RegistryData::Number(u64::from_str_radix(h, 16).ok()?),
        ));
    }
    if let Some(s) = data.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        return Some((
            "REG_SZ".into(),
            RegistryData::Text(s.replace("\\\"", "\"").replace("\\\\", "\\")),
        ));
    }
    let (kind, hex) = data.split_once(':')?;
    let bytes: Vec<u8> = hex
        .split(',')
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(|b| u8::from_str_radix(b, 16))
        .collect::<Result<_, _>>()
        .ok()?;
    let utf16 = || {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    };
    match kind {
        "hex(7)" => Some((
            "REG_MULTI_SZ".into(),
            RegistryData::Lines(
                utf16()
                    .split('\0')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
        )),
        "hex(2)" => Some((
            "REG_EXPAND_SZ".into(),
            RegistryData::Text(utf16().trim_end_matches('\0').to_string()),
        )),
        "hex(b)" => {
            let mut n = [0u8; 8];
            for (i, b) in bytes.iter().take(8).enumerate() {
                n[i] = *b;
            }
            Some((
                "REG_QWORD".into(),
                RegistryData::Number(u64::from_le_bytes(n)),
            ))
        }
        _ => None,
    }
}

/// The lines of one W3C log file the collector would ship: directives, the first and last data
/// line, and every line holding ` 401 `; bounded per site.
fn read_log(path: &Path, site: &mut SiteLogSummary) {
    let left = MAX_LOG_BYTES.saturating_sub(site.bytes_scanned);
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if left == 0 || meta.len() > left {
        site.truncated = true;
        return;
    }
    let Ok(text) = read_text(path) else {
        site.truncated = true;
        return;
    };
    site.bytes_scanned += meta.len();
    site.files_scanned += 1;
    let shipped: usize = site.raw.iter().map(|f| f.lines.len()).sum();
    let data: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let (first, last) = (data.first().copied(), data.last().copied());
    let mut lines = Vec::new();
    let mut truncated = false;
    for l in text.lines() {
        let keep = l.starts_with('#') || Some(l) == first || Some(l) == last || l.contains(" 401 ");
        if !keep {
            continue;
        }
        if shipped + lines.len() >= MAX_LOG_LINES {
            truncated = true;
            break;
        }
        lines.push(l.to_string());
    }
    site.truncated |= truncated;
    site.raw.push(RawLogFile {
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        lines,
        truncated,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_corpus_replays_without_panic() {
        let dir =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/parse_registry_export");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).expect("fuzz corpus directory") {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            fuzz_registry(&bytes);
            for cut in 0..bytes.len() {
                fuzz_registry(&bytes[..cut]);
            }
            n += 1;
        }
        assert!(n >= 3, "seed corpus has {n} files");
    }

    #[test]
    fn registry_exports_and_queries_are_read() {
        let reg = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Lsa]\r\n\"LmCompatibilityLevel\"=dword:00000001\r\n\"Name\"=\"a \\\"b\\\"\"\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0]\r\n\"BackConnectionHostNames\"=hex(7):61,00,00,00,62,00,\\\r\n  00,00,00,00\r\n";
        let mut v = BTreeMap::new();
        let mut k = Vec::new();
        parse_registry(reg, &mut v, &mut k);
        assert_eq!(k.len(), 2);
        let get = |key: &str, name: &str| {
            v.get(&(key.to_string(), name.to_string()))
                .map(|x| x.1.clone())
        };
        assert_eq!(
            get(
                r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa",
                "LmCompatibilityLevel"
            ),
            Some(RegistryData::Number(1))
        );
        assert_eq!(
            get(
                r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0",
                "BackConnectionHostNames"
            ),
            Some(RegistryData::Lines(vec!["a".into(), "b".into()]))
        );
        let query = "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Lsa\r\n    DisableLoopbackCheck    REG_DWORD    0x1\r\n    LmCompatibilityLevel    REG_DWORD    0x5\r\n";
        let mut v = BTreeMap::new();
        let mut k = Vec::new();
        parse_registry(query, &mut v, &mut k);
        assert_eq!(
            v.get(&(
                r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa".to_string(),
                "DisableLoopbackCheck".to_string()
            ))
            .map(|x| x.1.clone()),
            Some(RegistryData::Number(1))
        );
    }
}
