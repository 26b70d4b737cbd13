//! Reading W3C extended log files as IIS writes them: IIS W3C logs (`u_ex*.log`), HTTP.sys
//! error logs (`httperr*.log`), FTP logs, and IIS Advanced Logging output.
//!
//! The format is self-describing: `#Fields:` names the columns of the lines that follow it, and
//! may change in the middle of a file (a setting changed, the service restarted). Each data line
//! is read with the layout in force at that point. What the parser does with the edge cases:
//!
//! - `#Fields:` padded with runs of blanks (Advanced Logging) is split on any whitespace.
//! - Fields quoted with `"` (Advanced Logging) may hold spaces and doubled quotes (`""`).
//! - `date`/`time` or `date-local`/`time-local`; without a date column the date comes from the
//!   last `#Date:` (or `#Start-Date:`) directive.
//! - `sc-win32-status` may be written signed (`-2146893054`) or unsigned: read as a 32-bit value.
//! - A line whose field count does not match the layout is counted as malformed, never guessed.
//! - Data lines before any `#Fields:` cannot be read: counted as `unreadable`, and a file with
//!   no `#Fields:` at all is "not evaluated", never "no 401s".
//! - HTTPERR logs (`#Software: Microsoft HTTP API`) are recognised and their `s-reason` kept;
//!   FTP logs (`FTPSVC`, `x-session`) are recognised and never read as HTTP.

/// What kind of log a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// IIS W3C (or Advanced Logging) HTTP requests.
    W3c,
    /// HTTP.sys error log.
    Httperr,
    /// IIS FTP service log.
    Ftp,
    /// No `#Fields:` directive, or not a W3C extended log at all.
    Unknown,
}

/// One request line, read with its layout.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// `YYYY-MM-DD hh:mm:ss` when known.
    pub when: Option<String>,
    pub site: Option<String>,
    pub uri: Option<String>,
    pub user: Option<String>,
    pub client: Option<String>,
    pub status: Option<u32>,
    pub substatus: Option<u32>,
    pub win32: Option<u32>,
    /// HTTPERR's `s-reason` (e.g. `Timer_ConnectionIdle`).
    pub reason: Option<String>,
}

/// Events of a read, in order: what the caller counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Record(Record),
    /// Field count does not match the layout in force (line number, fields found, expected).
    Malformed(usize, usize, usize),
    /// A data line before any `#Fields:` (line number).
    NoLayout(usize),
}

/// A streaming reader: feed it lines, get records.
#[derive(Debug, Default)]
pub struct Reader {
    fields: Option<Vec<String>>,
    date: Option<String>,
    software: Option<String>,
    saw_fields: bool,
    ftp_hint: bool,
    line_no: usize,
}

/// The columns a reader uses, by index in the layout in force.
struct Columns {
    date: Option<usize>,
    time: Option<usize>,
    site: Option<usize>,
    uri: Option<usize>,
    user: Option<usize>,
    client: Option<usize>,
    status: Option<usize>,
    substatus: Option<usize>,
    win32: Option<usize>,
    reason: Option<usize>,
}

impl Columns {
    fn of(fields: &[String]) -> Columns {
        let find = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| fields.iter().position(|f| f.eq_ignore_ascii_case(n)))
        };
        Columns {
            date: find(&["date", "date-local"]),
            time: find(&["time", "time-local"]),
            site: find(&["s-sitename"]),
            uri: find(&["cs-uri-stem", "cs-uri"]),
            user: find(&["cs-username"]),
            client: find(&["c-ip"]),
            status: find(&["sc-status", "s-status"]),
            substatus: find(&["sc-substatus"]),
            win32: find(&["sc-win32-status"]),
            reason: find(&["s-reason"]),
        }
    }
}

impl Reader {
    /// A reader for the file at `path` (its name hints at FTP: `FTPSVC…` folders).
    pub fn new(path_hint: &str) -> Reader {
        Reader {
            ftp_hint: path_hint.to_ascii_uppercase().contains("FTPSVC"),
            ..Reader::default()
        }
    }

    /// What the file is, from what was read so far.
    pub fn format(&self) -> Format {
        let software = self.software.as_deref().unwrap_or("");
        let fields = self.fields.as_deref().unwrap_or(&[]);
        let has = |n: &str| fields.iter().any(|f| f.eq_ignore_ascii_case(n));
        if !self.saw_fields {
            Format::Unknown
        } else if software.contains("HTTP API") || has("s-reason") {
            Format::Httperr
        } else if self.ftp_hint || has("x-session") || has("x-fullpath") {
            Format::Ftp
        } else {
            Format::W3c
        }
    }

    /// Reads one line; directives update the layout and yield nothing.
    pub fn line(&mut self, raw: &str) -> Option<Line> {
        self.line_no += 1;
        let line = raw.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            return None;
        }
        if let Some(d) = line.strip_prefix('#') {
            self.directive(d);
            return None;
        }
        let Some(fields) = &self.fields else {
            return Some(Line::NoLayout(self.line_no));
        };
        let values = split_fields(line);
        if values.len() != fields.len() {
            return Some(Line::Malformed(self.line_no, values.len(), fields.len()));
        }
        let cols = Columns::of(fields);
        let get = |i: Option<usize>| {
            i.and_then(|i| values.get(i))
                .map(|v| v.as_str())
                .filter(|v| *v != "-" && !v.is_empty())
        };
        let number = |i: Option<usize>| get(i).and_then(|v| v.parse::<u32>().ok());
        let when = match (get(cols.date).or(self.date.as_deref()), get(cols.time)) {
            (Some(d), Some(t)) => Some(format!("{d} {t}")),
            (Some(d), None) => Some(d.to_string()),
            _ => None,
        };
        Some(Line::Record(Record {
            when,
            site: get(cols.site).map(String::from),
            uri: get(cols.uri).map(String::from),
            user: get(cols.user).map(|u| u.replace('+', " ")),
            client: get(cols.client).map(String::from),
            status: number(cols.status),
            substatus: number(cols.substatus),
            win32: get(cols.win32).and_then(parse_win32),
            reason: get(cols.reason).map(String::from),
        }))
    }

    fn directive(&mut self, d: &str) {
        let (name, value) = d.split_once(':').unwrap_or((d, ""));
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "fields" => {
                self.fields = Some(value.split_whitespace().map(String::from).collect());
                self.saw_fields = true;
            }
            "software" => self.software = Some(value.to_string()),
            // `#Date: 2023-01-01 00:00:00`: the date part dates lines without a date column.
            "date" | "start-date" => {
                self.date = value.split_whitespace().next().map(String::from);
            }
            _ => {}
        }
    }
}

/// Splits a data line on blanks; a field starting with `"` runs to its closing quote and may
/// hold blanks and doubled quotes.
pub fn split_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        let Some(&first) = chars.peek() else {
            break;
        };
        let mut field = String::new();
        if first == '"' {
            chars.next();
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                    } else {
                        break;
                    }
                } else {
                    field.push(c);
                }
            }
            // Anything glued to the closing quote belongs to the same field.
            while let Some(c) = chars.next_if(|c| *c != ' ' && *c != '\t') {
                field.push(c);
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ' ' && *c != '\t') {
                field.push(c);
            }
        }
        out.push(field);
    }
    out
}

/// `sc-win32-status` as IIS writes it: unsigned, or (some versions, Advanced Logging) signed.
pub fn parse_win32(v: &str) -> Option<u32> {
    v.parse::<u32>()
        .ok()
        .or_else(|| v.parse::<i32>().ok().map(|n| n as u32))
        .or_else(|| {
            let hex = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X"))?;
            u32::from_str_radix(hex, 16).ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> (Reader, Vec<Line>) {
        let mut r = Reader::new("u_ex230101.log");
        let lines = text.lines().filter_map(|l| r.line(l)).collect();
        (r, lines)
    }

    #[test]
    fn the_layout_may_change_mid_file() {
        let (r, lines) = records(
            "#Fields: date time cs-uri-stem sc-status\n\
             2023-01-01 00:00:01 /a 200\n\
             #Fields: date time c-ip cs-uri-stem sc-status sc-substatus sc-win32-status\n\
             2023-01-01 00:00:02 10.0.0.9 /b 401 1 1326\n",
        );
        assert_eq!(r.format(), Format::W3c);
        let Line::Record(second) = &lines[1] else {
            panic!("{lines:?}")
        };
        assert_eq!(second.uri.as_deref(), Some("/b"));
        assert_eq!(second.client.as_deref(), Some("10.0.0.9"));
        assert_eq!(
            (second.status, second.substatus, second.win32),
            (Some(401), Some(1), Some(1326))
        );
    }

    #[test]
    fn quoted_fields_padded_directives_and_signed_win32() {
        let (_, lines) = records(
            "#Software: IIS Advanced Logging Module\n\
             #Fields:   date-local   time-local  cs-uri-stem   cs(User-Agent)  sc-status sc-substatus sc-win32-status\n\
             2023-01-01 00:00:01 /x \"Mozilla/5.0 (Windows NT; \"\"x\"\")\" 401 1 -2146893054\n",
        );
        let Line::Record(r) = &lines[0] else {
            panic!("{lines:?}")
        };
        assert_eq!(r.when.as_deref(), Some("2023-01-01 00:00:01"));
        assert_eq!(r.win32, Some(2_148_074_242));
        assert_eq!(
            split_fields("a \"b c\"\"d\" e"),
            vec!["a".to_string(), "b c\"d".into(), "e".into()]
        );
    }

    #[test]
    fn no_date_column_takes_the_date_directive_and_mismatches_are_malformed() {
        let (_, lines) = records(
            "#Date: 2023-02-03 10:00:00\n#Fields: time cs-uri-stem sc-status\n10:00:01 /a 200\n10:00:02 /a\n",
        );
        let Line::Record(r) = &lines[0] else {
            panic!("{lines:?}")
        };
        assert_eq!(r.when.as_deref(), Some("2023-02-03 10:00:01"));
        assert_eq!(lines[1], Line::Malformed(4, 2, 3));
    }

    #[test]
    fn headerless_lines_are_not_read_and_httperr_ftp_are_recognised() {
        let (r, lines) = records("2023-01-01 00:00:01 /a 401 2 5\n");
        assert_eq!(r.format(), Format::Unknown);
        assert_eq!(lines, vec![Line::NoLayout(1)]);
        let (r, _) = records(
            "#Software: Microsoft HTTP API 2.0\n#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename\n",
        );
        assert_eq!(r.format(), Format::Httperr);
        let mut ftp = Reader::new(r"C:\inetpub\logs\LogFiles\FTPSVC2\u_ex230101.log");
        ftp.line("#Fields: date time c-ip cs-username s-ip s-port cs-method cs-uri-stem sc-status sc-win32-status sc-substatus x-session x-fullpath");
        assert_eq!(ftp.format(), Format::Ftp);
    }
}
