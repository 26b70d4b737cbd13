//! Exported Security logs: `.evtx` files (read with the `evtx` crate, no Windows needed) and
//! XML exports (`wevtutil qe Security /q:"*[System[EventID=4625]]" /f:xml`, Event Viewer's
//! "Save as XML", `Get-WinEvent … | ForEach-Object { $_.ToXml() }`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{FailedLogons, FAILED_LOGON, NTLM_VALIDATION};
use crate::snapshot::SecurityEvent;

/// Bytes read from one export (Security logs are tens to hundreds of MB; filter bigger ones).
const MAX_FILE: u64 = 1 << 30;

/// What one file held.
#[derive(Debug, Serialize)]
pub struct FileEvents {
    pub path: PathBuf,
    /// `evtx` or `xml`.
    pub format: &'static str,
    /// Events read, of any id.
    pub events: u64,
    /// Events by id.
    pub by_id: BTreeMap<u32, u64>,
    /// Records that could not be read (damaged chunks, bad XML).
    pub unreadable: u64,
    /// The channels the events came from (`Security`, …).
    pub channels: Vec<String>,
    #[serde(skip)]
    pub logon_events: Vec<SecurityEvent>,
}

/// The report of `iis-sweep events`.
#[derive(Debug, Serialize)]
pub struct EventsReport {
    pub files: Vec<FileEvents>,
    pub failed_logons: Vec<FailedLogons>,
    /// Files that could not be read at all, with why.
    pub errors: Vec<String>,
}

/// Reads every file (a folder: its `*.evtx` and `*.xml`); one unreadable file is an error in
/// the report, never the end of the others.
pub fn read_all(paths: &[PathBuf]) -> EventsReport {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in expand(paths, &mut errors) {
        match read_file(&p) {
            Ok(f) => files.push(f),
            Err(e) => errors.push(format!("{}: {e}", p.display())),
        }
    }
    let all: Vec<SecurityEvent> = files
        .iter()
        .flat_map(|f| f.logon_events.iter().cloned())
        .collect();
    EventsReport {
        failed_logons: super::group(&all),
        files,
        errors,
    }
}

fn expand(paths: &[PathBuf], errors: &mut Vec<String>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            match std::fs::read_dir(p) {
                Ok(rd) => {
                    let mut found: Vec<PathBuf> = rd
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|f| {
                            f.extension().and_then(|x| x.to_str()).is_some_and(|x| {
                                x.eq_ignore_ascii_case("evtx") || x.eq_ignore_ascii_case("xml")
                            })
                        })
                        .collect();
                    found.sort();
                    if found.is_empty() {
                        errors.push(format!("{}: no .evtx or .xml files", p.display()));
                    }
                    out.extend(found);
                }
                Err(e) => errors.push(format!("{}: {e}", p.display())),
            }
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// Reads one `.evtx` or XML export.
pub fn read_file(path: &Path) -> anyhow::Result<FileEvents> {
    let size = std::fs::metadata(path)?.len();
    if size > MAX_FILE {
        anyhow::bail!("{size} bytes: an export over {MAX_FILE} bytes is refused; filter it to events 4625 and 4776 (wevtutil epl Security out.evtx /q:\"*[System[(EventID=4625 or EventID=4776)]]\")");
    }
    read_bytes(path, std::fs::read(path)?)
}

/// Reads an export already in memory; `path` names it.
pub fn read_bytes(path: &Path, bytes: Vec<u8>) -> anyhow::Result<FileEvents> {
    let mut out = FileEvents {
        path: path.to_path_buf(),
        format: "evtx",
        events: 0,
        by_id: BTreeMap::new(),
        unreadable: 0,
        channels: Vec::new(),
        logon_events: Vec::new(),
    };
    if bytes.starts_with(b"ElfFile\0") {
        let mut parser = evtx::EvtxParser::from_buffer(bytes)
            .map_err(|e| anyhow::anyhow!("not a readable .evtx file: {e}"))?;
        for record in parser.records() {
            match record {
                Ok(r) => match parse_event(&r.data) {
                    Some(e) => out.add(e),
                    None => out.unreadable += 1,
                },
                Err(_) => out.unreadable += 1,
            }
        }
        return Ok(out);
    }
    out.format = "xml";
    let text = crate::text::decode_text(&bytes).map_err(anyhow::Error::msg)?;
    if !text.trim_start().starts_with('<') {
        anyhow::bail!("neither an .evtx file (no ElfFile header) nor XML; export the Security log with wevtutil epl (evtx) or wevtutil qe /f:xml");
    }
    for chunk in events_in(&text) {
        match parse_event(chunk) {
            Some(e) => out.add(e),
            None => out.unreadable += 1,
        }
    }
    if out.events == 0 && out.unreadable == 0 {
        anyhow::bail!("no <Event> elements: not an event log export");
    }
    Ok(out)
}

/// Fuzzing entry point (`fuzz/fuzz_targets/parse_event_export.rs`): any bytes, as an .evtx or
/// XML export, must be read or refused without a panic.
#[doc(hidden)]
pub fn fuzz_read(data: &[u8]) {
    if let Ok(f) = read_bytes(Path::new("fuzz"), data.to_vec()) {
        let _ = super::group(&f.logon_events);
    }
}

/// The `<Event>…</Event>` elements of an export, whatever wraps them (an `<Events>` root, or
/// none: wevtutil writes the events one after another).
fn events_in(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = find_event_start(rest) {
        let tail = &rest[start..];
        match tail.find("</Event>") {
            Some(end) => {
                out.push(&tail[..end + "</Event>".len()]);
                rest = &tail[end + "</Event>".len()..];
            }
            None => {
                out.push(tail);
                break;
            }
        }
    }
    out
}

fn find_event_start(s: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s[from..].find("<Event") {
        let at = from + i;
        let next = s[at + 6..].chars().next();
        if matches!(next, Some(' ' | '>' | '\n' | '\r' | '\t')) {
            return Some(at);
        }
        from = at + 6;
    }
    None
}

impl FileEvents {
    fn add(&mut self, e: Parsed) {
        self.events += 1;
        *self.by_id.entry(e.event.id).or_default() += 1;
        if let Some(c) = e.channel {
            if !self.channels.contains(&c) {
                self.channels.push(c);
            }
        }
        if matches!(e.event.id, FAILED_LOGON | NTLM_VALIDATION) {
            self.logon_events.push(e.event);
        }
    }
}

struct Parsed {
    event: SecurityEvent,
    channel: Option<String>,
}

fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// One event's XML: its id, time, channel and `<EventData>` fields.
fn parse_event(xml: &str) -> Option<Parsed> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    let root = doc.root_element();
    if root.tag_name().name() != "Event" {
        return None;
    }
    let system = child(root, "System")?;
    let id = child(system, "EventID")?.text()?.trim().parse().ok()?;
    let time = child(system, "TimeCreated")
        .and_then(|t| t.attribute("SystemTime"))
        .map(str::to_string);
    let channel = child(system, "Channel")
        .and_then(|c| c.text())
        .map(|s| s.trim().to_string());
    let mut data = BTreeMap::new();
    if let Some(ed) = child(root, "EventData") {
        for d in ed
            .children()
            .filter(|c| c.is_element() && c.tag_name().name() == "Data")
        {
            if let Some(name) = d.attribute("Name") {
                data.insert(name.to_string(), d.text().unwrap_or("").trim().to_string());
            }
        }
    }
    Some(Parsed {
        event: SecurityEvent { id, time, data },
        channel,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_corpus_replays_without_panic() {
        let dir =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/parse_event_export");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).expect("fuzz corpus directory") {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            fuzz_read(&bytes);
            // Every prefix too: a file cut anywhere must not panic either.
            for cut in (0..bytes.len()).step_by(97) {
                fuzz_read(&bytes[..cut]);
            }
            n += 1;
        }
        assert!(n >= 4, "seed corpus has {n} files");
    }

    #[test]
    fn finds_events_with_and_without_a_root() {
        let bare = "<Event xmlns='x'><System><EventID>1</EventID></System></Event>\n<Event><System><EventID>2</EventID></System></Event>";
        assert_eq!(events_in(bare).len(), 2);
        let rooted = format!("<?xml version='1.0'?><Events>{bare}</Events>");
        assert_eq!(events_in(&rooted).len(), 2);
        assert!(events_in("<EventData/>").is_empty());
    }
}
