//! What a virtual host does with a command line: recognise the collector, or answer as cmd.exe
//! and PowerShell would.
//!
//! Every WinRS command goes through cmd.exe: a command line longer than 8,191 characters
//! (256 with the `command-too-long` fault) fails with "The command line is too long." and exit
//! code 1.
//!
//! **The collector** (and only the real one) prints the host's snapshot verbatim, exit 0 —
//! unless a collector fault says otherwise. It arrives one of the two ways of
//! [`iis_sweep::collect::delivery`]:
//! - stdin: `powershell.exe … -EncodedCommand <STDIN_BOOTSTRAP>`, then the script on stdin
//!   (all Send chunks until `End="true"`), equal to [`iis_sweep::collect::COLLECTOR_SCRIPT`] once a
//!   UTF-8 BOM and trailing whitespace are set aside. Any other script on stdin runs through
//!   the PowerShell subset below, with `$ErrorActionPreference='Stop'`.
//! - staged: `parse_stage_append` commands append to a per-host staging file (one per token,
//!   like `%TEMP%`), `parse_stage_run` decodes it with `unstage_payload`, deletes it and runs it.
//!
//! **cmd.exe subset** (the first word; `cmd /c …` is unwrapped):
//! - `echo TEXT` prints TEXT (`echo` alone: `ECHO is on.`, `echo.`: an empty line);
//! - `type PATH`: a PATH ending in `\snapshot.json`, or named like the host's snapshot file
//!   (`NAME.json`), prints the snapshot; any other path: "The system cannot find the file
//!   specified.", exit 1;
//! - `hostname`, `whoami` (`name\user`), `ver`, `exit [/b] N`;
//! - `powershell`/`powershell.exe`/`pwsh` with `-EncodedCommand B64` (also `-enc`, `-e`,
//!   `-ec`) or `-Command TEXT` (also `-c`, or the bare remaining words);
//! - anything else: `'foo' is not recognized as an internal or external command,` /
//!   `operable program or batch file.` on stderr, exit 1.
//!
//! **PowerShell subset** (statements split on `;` and new lines): `Write-Output`/`echo`/
//! `Write-Host ARGS`, `Get-Content PATH` (same paths as `type`), `Start-Sleep [-Seconds] N` /
//! `-Milliseconds N`, `hostname`, `whoami`, `$env:COMPUTERNAME`, `$env:USERNAME`, `exit N`,
//! `$ErrorActionPreference='Stop'` (other assignments are ignored), `#` comments. Anything else
//! is "The term 'Foo' is not recognized as the name of a cmdlet, …" on stderr (plain text, not
//! CLIXML); the exit code is 1 when the last statement failed (or at the first error under
//! `Stop`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use iis_sweep::collect::delivery::{
    decode_command, parse_stage_append, parse_stage_run, strip_deadline, unstage_payload,
    CMD_LINE_LIMIT, STAGED_DELIVERY_EXIT, STDIN_BOOTSTRAP, STDIN_UNAVAILABLE_EXIT,
};
use iis_sweep::collect::{COLLECTOR_SCRIPT, PING_SCRIPT};

use super::faults::{HostFaults, TINY_COMMAND_LINE_LIMIT};

/// Most bytes a host keeps in its staging files (all tokens together).
pub const STAGING_LIMIT: usize = 64 << 20;

/// The host a command runs on.
pub struct HostContext<'a> {
    /// Host name.
    pub name: &'a str,
    /// Authenticated user.
    pub user: &'a str,
    /// Path of the snapshot file.
    pub snapshot_path: PathBuf,
    /// The host's faults.
    pub faults: &'a HostFaults,
    /// Staging files: token → base64 text appended so far.
    pub staged: &'a Mutex<HashMap<String, String>>,
}

/// What a finished command produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: Vec<u8>,
    /// Exit code.
    pub exit_code: i32,
    /// How long the command runs before its output appears.
    pub delay: Duration,
    /// Whether this was the real collector.
    pub collector: bool,
}

impl Outcome {
    fn ok(stdout: impl Into<Vec<u8>>) -> Self {
        Outcome {
            stdout: stdout.into(),
            ..Outcome::default()
        }
    }

    fn fail(stderr: impl Into<Vec<u8>>, exit_code: i32) -> Self {
        Outcome {
            stderr: stderr.into(),
            exit_code,
            ..Outcome::default()
        }
    }
}

/// How a started command proceeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Output known; appears after `Outcome::delay`.
    Finished(Outcome),
    /// Waits for stdin to end, then [`finish_stdin`]. `bootstrap`: the stdin bootstrap of
    /// [`iis_sweep::collect::delivery`] (only it may deliver the collector); otherwise a
    /// `powershell -Command -` reading commands from stdin.
    AwaitStdin {
        /// Whether this is the collector's stdin bootstrap.
        bootstrap: bool,
    },
    /// Never finishes (the `hang` fault).
    Hang,
}

/// Starts `line` (Command and Arguments joined with spaces, as cmd.exe sees them).
pub fn start(ctx: &HostContext<'_>, line: &str) -> Plan {
    if ctx.faults.hang() {
        return Plan::Hang;
    }
    let limit = if ctx.faults.command_too_long() {
        TINY_COMMAND_LINE_LIMIT
    } else {
        CMD_LINE_LIMIT
    };
    if line.encode_utf16().count() > limit {
        return Plan::Finished(Outcome::fail("The command line is too long.\r\n", 1));
    }
    cmd_line(ctx, line)
}

/// Runs what a command waiting for stdin read (see [`Plan::AwaitStdin`]).
pub fn finish_stdin(ctx: &HostContext<'_>, stdin: &[u8], bootstrap: bool) -> Outcome {
    let text = String::from_utf8_lossy(stdin);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if bootstrap && is_collector(text) {
        collector(ctx)
    } else if bootstrap && is_ping(text) {
        ping(ctx, true)
    } else {
        powershell_script(ctx, text, true)
    }
}

fn is_collector(script: &str) -> bool {
    let script = script.strip_prefix('\u{feff}').unwrap_or(script);
    let (_, script) = strip_deadline(script);
    let reference = COLLECTOR_SCRIPT
        .strip_prefix('\u{feff}')
        .unwrap_or(COLLECTOR_SCRIPT);
    script.trim_end() == reference.trim_end()
}

fn is_ping(script: &str) -> bool {
    let script = script.strip_prefix('\u{feff}').unwrap_or(script);
    let (_, script) = strip_deadline(script);
    script.trim_end() == PING_SCRIPT.trim_end()
}

/// What `iis-sweep ping`'s script prints on this host: Windows PowerShell 5.1, full language,
/// an elevated administrator, this machine's clock.
fn ping(ctx: &HostContext<'_>, stdin: bool) -> Outcome {
    let facts = serde_json::json!({
        "ping": "iis-sweep/ping/1",
        "computer": ctx.name.to_uppercase(),
        "user": format!("{}\\{}", ctx.name.to_uppercase(), ctx.user),
        "stdin_delivery": stdin,
        "powershell_version": "5.1.17763.5830",
        "language_mode": "FullLanguage",
        "execution_policy": "RemoteSigned",
        "elevated": true,
        "time_utc": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    });
    Outcome::ok(format!("{facts}\r\n").into_bytes())
}

fn read_snapshot(ctx: &HostContext<'_>) -> Result<Vec<u8>, Outcome> {
    std::fs::read(&ctx.snapshot_path).map_err(|e| {
        Outcome::fail(
            format!(
                "Get-Content : Cannot read the snapshot of {}: {e}\r\n",
                ctx.name
            ),
            1,
        )
    })
}

/// The collector's output on this host, with its faults applied.
pub fn collector(ctx: &HostContext<'_>) -> Outcome {
    let mut out = if let Some(code) = ctx.faults.collector_exit() {
        Outcome::fail(
            "Get-Content : Access to the path 'C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config' is denied.\r\n\
At line:1 char:1\r\n\
+ Get-Content -LiteralPath $env:windir\\System32\\inetsrv\\config\\applicationHost.config\r\n\
+ ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\r\n\
    + CategoryInfo          : PermissionDenied: (C:\\Windows\\Sys...licationHost.config:String) [Get-Content], UnauthorizedAccessException\r\n\
    + FullyQualifiedErrorId : GetContentReaderUnauthorizedAccessError,Microsoft.PowerShell.Commands.GetContentCommand\r\n \r\n",
            code,
        )
    } else if ctx.faults.garbage_stdout() {
        let mut g = b"\xef\xbb\xbfMZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff WARNING: ".to_vec();
        g.extend_from_slice(b"collector output corrupted \x1b[31m{{{\x00\x01\x02 }\r\n");
        g.extend((0..1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        Outcome::ok(g)
    } else {
        match read_snapshot(ctx) {
            Err(e) => e,
            Ok(mut snap) => {
                if ctx.faults.truncated_json() {
                    snap.truncate(snap.len() / 2);
                } else if let Some(n) = ctx.faults.oversized_stdout() {
                    while snap.len() < n {
                        let line = (n - snap.len()).min(80);
                        snap.extend(std::iter::repeat_n(b' ', line - 1));
                        snap.push(b'\n');
                    }
                }
                Outcome::ok(snap)
            }
        }
    };
    out.collector = true;
    out
}

/// Splits a cmd.exe line on white space outside double quotes (tokens keep their quotes).
fn cmd_tokens(line: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start = None;
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        if c == '"' {
            quoted = !quoted;
        }
        if c.is_whitespace() && !quoted {
            if let Some(s) = start.take() {
                tokens.push(&line[s..i]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        tokens.push(&line[s..]);
    }
    tokens
}

fn unquote(s: &str) -> String {
    s.replace('"', "")
}

/// `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe` → `powershell`.
fn program_name(token: &str) -> String {
    let t = unquote(token).to_ascii_lowercase();
    let base = t.rsplit(['\\', '/']).next().unwrap_or(&t).to_string();
    base.strip_suffix(".exe").unwrap_or(&base).to_string()
}

/// The text after the first token (and the single delimiter after it).
fn rest_after_first(line: &str) -> &str {
    let line = line.trim_start();
    let end = line.find(|c: char| c.is_whitespace()).unwrap_or(line.len());
    let rest = &line[end..];
    rest.strip_prefix(|c: char| c.is_whitespace())
        .unwrap_or(rest)
}

fn is_snapshot_path(ctx: &HostContext<'_>, path: &str) -> bool {
    let p = path
        .trim()
        .trim_matches(['"', '\''])
        .replace('/', "\\")
        .to_lowercase();
    let file = p.rsplit('\\').next().unwrap_or(&p).to_string();
    let own = ctx
        .snapshot_path
        .file_name()
        .map(|f| f.to_string_lossy().to_lowercase());
    file == "snapshot.json"
        || Some(&file) == own.as_ref()
        || file == format!("{}.json", ctx.name.to_lowercase())
}

fn whoami(ctx: &HostContext<'_>) -> String {
    let user = ctx
        .user
        .rsplit('\\')
        .next()
        .unwrap_or(ctx.user)
        .to_lowercase();
    format!("{}\\{user}", ctx.name.to_lowercase())
}

fn cmd_line(ctx: &HostContext<'_>, line: &str) -> Plan {
    let line = line.trim();
    let tokens = cmd_tokens(line);
    let Some(first) = tokens.first() else {
        return Plan::Finished(Outcome::default());
    };
    let prog = program_name(first);
    let first_lower = first.to_ascii_lowercase();
    if first_lower.starts_with("echo.") || first_lower == "echo." {
        return Plan::Finished(Outcome::ok(format!("{}\r\n", &line[5..])));
    }
    let out = match prog.as_str() {
        "cmd" => {
            let pos = tokens
                .iter()
                .position(|t| t.eq_ignore_ascii_case("/c") || t.eq_ignore_ascii_case("/k"));
            match pos {
                Some(p) => {
                    let offset = tokens[p].as_ptr() as usize - line.as_ptr() as usize + 2;
                    return cmd_line(ctx, unquote_outer(&line[offset..]));
                }
                None => Outcome::ok(
                    "Microsoft Windows [Version 10.0.20348.2849]\r\n(c) Microsoft Corporation. All rights reserved.\r\n\r\nC:\\Users\\Default>",
                ),
            }
        }
        "powershell" | "pwsh" => return powershell(ctx, &tokens[1..], line),
        "echo" => {
            let rest = rest_after_first(line);
            if rest.is_empty() {
                Outcome::ok("ECHO is on.\r\n")
            } else {
                Outcome::ok(format!("{rest}\r\n"))
            }
        }
        "type" => match tokens.get(1) {
            Some(path) if is_snapshot_path(ctx, path) => match read_snapshot(ctx) {
                Ok(s) => Outcome::ok(s),
                Err(e) => e,
            },
            Some(_) => Outcome::fail("The system cannot find the file specified.\r\n", 1),
            None => Outcome::fail("The syntax of the command is incorrect.\r\n", 1),
        },
        "hostname" => Outcome::ok(format!("{}\r\n", ctx.name)),
        "whoami" => Outcome::ok(format!("{}\r\n", whoami(ctx))),
        "ver" => Outcome::ok("\r\nMicrosoft Windows [Version 10.0.20348.2849]\r\n"),
        "exit" => {
            let code = tokens
                .iter()
                .skip(1)
                .find(|t| !t.eq_ignore_ascii_case("/b"))
                .and_then(|t| t.parse::<i32>().ok())
                .unwrap_or(0);
            Outcome {
                exit_code: code,
                ..Outcome::default()
            }
        }
        _ => Outcome::fail(
            format!(
                "'{}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n",
                unquote(first)
            ),
            1,
        ),
    };
    Plan::Finished(out)
}

fn unquote_outer(s: &str) -> &str {
    let t = s.trim();
    t.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(t)
}

/// PowerShell's command line: finds the script (`-EncodedCommand`, `-Command`, bare words).
fn powershell(ctx: &HostContext<'_>, args: &[&str], line: &str) -> Plan {
    const WITH_VALUE: [&str; 8] = [
        "-executionpolicy",
        "-ep",
        "-inputformat",
        "-outputformat",
        "-windowstyle",
        "-version",
        "-configurationname",
        "-psconsolefile",
    ];
    let mut i = 0;
    while i < args.len() {
        let a = args[i].to_ascii_lowercase();
        if matches!(
            a.as_str(),
            "-encodedcommand" | "-enc" | "-e" | "-ec" | "-encoded"
        ) {
            let Some(encoded) = args.get(i + 1) else {
                return Plan::Finished(Outcome::fail(
                    "Missing the argument to -EncodedCommand.\r\n",
                    -196_608,
                ));
            };
            return match decode_command(&unquote(encoded)) {
                Some(script) => powershell_entry(ctx, &script),
                None => Plan::Finished(Outcome::fail(
                    "Cannot process the command because the value specified with -EncodedCommand is not properly encoded. The value must be Base64 encoded.\r\n",
                    -196_608,
                )),
            };
        }
        if matches!(a.as_str(), "-command" | "-c") || !a.starts_with('-') {
            let from = if a.starts_with('-') { i + 1 } else { i };
            let Some(first) = args.get(from) else {
                return Plan::Finished(Outcome::default());
            };
            let offset = first.as_ptr() as usize - line.as_ptr() as usize;
            let script = unquote_outer(&line[offset..]);
            if script == "-" {
                return Plan::AwaitStdin { bootstrap: false };
            }
            return powershell_entry(ctx, script);
        }
        if matches!(a.as_str(), "-file" | "-f") {
            let file = args.get(i + 1).map(|f| unquote(f)).unwrap_or_default();
            return Plan::Finished(Outcome::fail(
                format!("The argument '{file}' to the -File parameter does not exist. Provide the path to an existing '.ps1' file as an argument to the -File parameter.\r\n"),
                -196_608,
            ));
        }
        i += if WITH_VALUE.contains(&a.as_str()) {
            2
        } else {
            1
        };
    }
    // No script: PowerShell reads commands from stdin.
    Plan::AwaitStdin { bootstrap: false }
}

/// A decoded PowerShell script: the stdin bootstrap, a staged step, or a script to interpret.
fn powershell_entry(ctx: &HostContext<'_>, script: &str) -> Plan {
    if ctx.faults.constrained_language() && script.contains("]::") {
        // What PowerShell says when a script calls a .NET method under AppLocker/WDAC.
        return Plan::Finished(Outcome::fail(
            "Cannot invoke method. Method invocation is supported only on core types in this \
language mode.\r\n    + CategoryInfo          : InvalidOperation: (:) [], RuntimeException\r\n    \
+ FullyQualifiedErrorId : MethodInvocationNotSupportedInConstrainedLanguage\r\n",
            1,
        ));
    }
    if script.trim() == STDIN_BOOTSTRAP {
        if ctx.faults.no_stdin() {
            return Plan::Finished(Outcome::fail(
                "iis-sweep: standard input is not redirected on this host\r\n",
                STDIN_UNAVAILABLE_EXIT,
            ));
        }
        return Plan::AwaitStdin { bootstrap: true };
    }
    if let Some((token, chunk)) = parse_stage_append(script) {
        let mut staged = ctx.staged.lock().unwrap_or_else(|e| e.into_inner());
        let used: usize = staged.values().map(String::len).sum();
        if used + chunk.len() > STAGING_LIMIT {
            return Plan::Finished(Outcome::fail(
                "Exception calling \"AppendAllText\" with \"2\" argument(s): \"There is not enough space on the disk.\r\n\"\r\n",
                1,
            ));
        }
        staged.entry(token).or_default().push_str(&chunk);
        return Plan::Finished(Outcome::default());
    }
    if let Some(token) = parse_stage_run(script) {
        let staged = ctx
            .staged
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&token);
        let Some(encoded) = staged else {
            return Plan::Finished(Outcome::fail(
                format!(
                    "iis-sweep staged delivery failed: Could not find file 'C:\\Users\\{}\\AppData\\Local\\Temp\\iis-sweep-{token}.ps1'.\r\n",
                    ctx.user
                ),
                STAGED_DELIVERY_EXIT,
            ));
        };
        return Plan::Finished(match unstage_payload(&encoded) {
            Some(s) if is_collector(&s) => collector(ctx),
            Some(s) if is_ping(&s) => ping(ctx, false),
            Some(s) => powershell_script(ctx, &s, false),
            None => Outcome::fail(
                "iis-sweep staged delivery failed: unreadable file\r\n",
                STAGED_DELIVERY_EXIT,
            ),
        });
    }
    Plan::Finished(powershell_script(ctx, script, false))
}

/// Splits a script into statements (on `;` and new lines outside quotes and braces), with
/// the 1-based line and column where each starts.
fn statements(script: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let (mut line, mut col) = (1usize, 1usize);
    let mut start = 0usize;
    let (mut start_line, mut start_col) = (1usize, 1usize);
    let mut quote: Option<char> = None;
    let mut depth = 0i32;
    for (i, c) in script.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '{' | '(' => depth += 1,
                '}' | ')' => depth -= 1,
                ';' | '\n' if depth <= 0 => {
                    out.push((start_line, start_col, &script[start..i]));
                    start = i + 1;
                    if c == '\n' {
                        (start_line, start_col) = (line + 1, 1);
                    } else {
                        (start_line, start_col) = (line, col + 1);
                    }
                }
                _ => {}
            },
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    out.push((start_line, start_col, &script[start..]));
    out
}

/// PowerShell words: white space separates, quotes group (`''` is a quote inside '…').
fn ps_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                while let Some(d) = chars.next() {
                    if d == '\'' {
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                            cur.push('\'');
                        } else {
                            break;
                        }
                    } else {
                        cur.push(d);
                    }
                }
            }
            '"' => {
                in_word = true;
                for d in chars.by_ref() {
                    if d == '"' {
                        break;
                    }
                    cur.push(d);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

fn expand(ctx: &HostContext<'_>, s: &str) -> String {
    let mut out = s.to_string();
    for (var, value) in [
        ("$env:COMPUTERNAME", ctx.name.to_uppercase()),
        ("$env:USERNAME", ctx.user.to_string()),
    ] {
        // Case-insensitive replace.
        while let Some(pos) = out.to_lowercase().find(&var.to_lowercase()) {
            out.replace_range(pos..pos + var.len(), &value);
        }
    }
    out
}

fn ps_error(stmt: &str, line: usize, col: usize, head: &str, category: &str, id: &str) -> String {
    let stmt = stmt.trim();
    let marks = "~".repeat(stmt.chars().count().max(1));
    format!(
        "{head}\r\nAt line:{line} char:{col}\r\n+ {stmt}\r\n+ {marks}\r\n    + CategoryInfo          : {category}\r\n    + FullyQualifiedErrorId : {id}\r\n \r\n"
    )
}

fn parse_sleep(words: &[String]) -> Option<Duration> {
    let mut millis = false;
    let mut value = None;
    let mut i = 0;
    while i < words.len() {
        let w = words[i].to_ascii_lowercase();
        if w.starts_with("-m") {
            millis = true;
        } else if !w.starts_with('-') {
            value = w.parse::<f64>().ok();
        }
        i += 1;
    }
    let v = value?;
    if !(0.0..=86_400.0).contains(&v) {
        return None;
    }
    Some(if millis {
        Duration::from_secs_f64(v / 1000.0)
    } else {
        Duration::from_secs_f64(v)
    })
}

/// Interprets a script with the PowerShell subset.
pub fn powershell_script(ctx: &HostContext<'_>, script: &str, stop_on_error: bool) -> Outcome {
    let mut out = Outcome::default();
    let mut stop = stop_on_error;
    let mut last_ok = true;
    let mut exit = None;
    for (line, col, stmt) in statements(script) {
        let text = stmt.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let words = ps_words(text);
        let Some(first) = words.first() else { continue };
        let cmd = first.to_ascii_lowercase();
        let mut error = None;
        if cmd.starts_with('$') {
            if let Some((lhs, rhs)) = text.split_once('=') {
                if lhs.trim().eq_ignore_ascii_case("$ErrorActionPreference")
                    && rhs.to_ascii_lowercase().contains("stop")
                {
                    stop = true;
                }
            } else {
                let value = expand(ctx, text);
                if value != text {
                    out.stdout
                        .extend_from_slice(format!("{value}\r\n").as_bytes());
                }
            }
            last_ok = true;
            continue;
        }
        match cmd.as_str() {
            "write-output" | "write" | "echo" | "write-host" => {
                for w in words.iter().skip(1).filter(|w| !w.starts_with('-')) {
                    out.stdout
                        .extend_from_slice(format!("{}\r\n", expand(ctx, w)).as_bytes());
                }
            }
            "get-content" | "gc" | "cat" | "type" => {
                let mut paths = Vec::new();
                let mut i = 1;
                while i < words.len() {
                    let w = words[i].to_ascii_lowercase();
                    if w == "-encoding" || w == "-totalcount" || w == "-tail" {
                        i += 2;
                        continue;
                    }
                    if !w.starts_with('-') {
                        paths.push(words[i].clone());
                    }
                    i += 1;
                }
                for p in paths {
                    if is_snapshot_path(ctx, &p) {
                        match read_snapshot(ctx) {
                            Ok(s) => out.stdout.extend_from_slice(&s),
                            Err(e) => error = Some(String::from_utf8_lossy(&e.stderr).into_owned()),
                        }
                    } else {
                        error = Some(ps_error(
                            text,
                            line,
                            col,
                            &format!("Get-Content : Cannot find path '{p}' because it does not exist."),
                            &format!("ObjectNotFound: ({p}:String) [Get-Content], ItemNotFoundException"),
                            "PathNotFound,Microsoft.PowerShell.Commands.GetContentCommand",
                        ));
                    }
                }
            }
            "start-sleep" | "sleep" => match parse_sleep(&words[1..]) {
                Some(d) => out.delay += d,
                None => {
                    error = Some(ps_error(
                        text,
                        line,
                        col,
                        "Start-Sleep : Cannot validate argument on parameter 'Seconds'.",
                        "InvalidData: (:) [Start-Sleep], ParameterBindingValidationException",
                        "ParameterArgumentValidationError,Microsoft.PowerShell.Commands.StartSleepCommand",
                    ))
                }
            },
            "hostname" | "hostname.exe" => {
                out.stdout
                    .extend_from_slice(format!("{}\r\n", ctx.name).as_bytes());
            }
            "whoami" | "whoami.exe" => {
                out.stdout
                    .extend_from_slice(format!("{}\r\n", whoami(ctx)).as_bytes());
            }
            "[environment]::machinename" => {
                out.stdout
                    .extend_from_slice(format!("{}\r\n", ctx.name.to_uppercase()).as_bytes());
            }
            "exit" => {
                exit = Some(
                    words
                        .get(1)
                        .and_then(|w| w.parse::<i32>().ok())
                        .unwrap_or(0),
                );
                break;
            }
            _ => {
                error = Some(ps_error(
                    text,
                    line,
                    col,
                    &format!(
                        "{first} : The term '{first}' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again."
                    ),
                    &format!("ObjectNotFound: ({first}:String) [], CommandNotFoundException"),
                    "CommandNotFoundException",
                ));
            }
        }
        match error {
            Some(e) => {
                out.stderr.extend_from_slice(e.as_bytes());
                last_ok = false;
                if stop {
                    exit = Some(1);
                    break;
                }
            }
            None => last_ok = true,
        }
    }
    out.exit_code = exit.unwrap_or(if last_ok { 0 } else { 1 });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use iis_sweep::collect::delivery::{
        powershell as ps_command, stage_append_command, stage_payload, stage_run_command,
        stdin_bootstrap_command,
    };

    struct Host {
        dir: PathBuf,
        faults: HostFaults,
        staged: Mutex<HashMap<String, String>>,
    }

    impl Host {
        fn new(faults: &[&str]) -> Self {
            let dir = std::env::temp_dir().join(format!("iis-sweep-cmd-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("web01.json"), b"{\"host\":\"web01\"}\n").unwrap();
            Host {
                dir,
                faults: HostFaults::parse(faults).unwrap(),
                staged: Mutex::new(HashMap::new()),
            }
        }
        fn ctx(&self) -> HostContext<'_> {
            HostContext {
                name: "web01",
                user: "scanner",
                snapshot_path: self.dir.join("web01.json"),
                faults: &self.faults,
                staged: &self.staged,
            }
        }
        fn run(&self, line: &str) -> Outcome {
            match start(&self.ctx(), line) {
                Plan::Finished(o) => o,
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    impl Drop for Host {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    #[test]
    fn cmd_builtins_answer_like_windows() {
        let h = Host::new(&[]);
        assert_eq!(h.run("echo hello world").stdout, b"hello world\r\n");
        assert_eq!(h.run("echo").stdout, b"ECHO is on.\r\n");
        assert_eq!(h.run("echo.").stdout, b"\r\n");
        assert_eq!(h.run("hostname").stdout, b"web01\r\n");
        assert_eq!(h.run("whoami").stdout, b"web01\\scanner\r\n");
        assert_eq!(h.run("cmd /c echo hi").stdout, b"hi\r\n");
        assert_eq!(h.run("exit /b 7").exit_code, 7);
        let t = h.run(r"type C:\ProgramData\iis-sweep\snapshot.json");
        assert_eq!(
            (t.stdout.as_slice(), t.exit_code),
            (&b"{\"host\":\"web01\"}\n"[..], 0)
        );
        assert_eq!(h.run(r#"type "D:\x\web01.json""#).exit_code, 0);
        let missing = h.run(r"type C:\nope.txt");
        assert_eq!(missing.exit_code, 1);
        assert_eq!(
            missing.stderr,
            b"The system cannot find the file specified.\r\n"
        );
        let unknown = h.run("foo --bar");
        assert_eq!(unknown.exit_code, 1);
        assert_eq!(
            unknown.stderr,
            b"'foo' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"
        );
    }

    #[test]
    fn long_command_lines_fail_like_cmd() {
        let h = Host::new(&[]);
        let long = format!("echo {}", "x".repeat(8200));
        let o = h.run(&long);
        assert_eq!(
            (o.exit_code, o.stderr.as_slice()),
            (1, &b"The command line is too long.\r\n"[..])
        );
        let tiny = Host::new(&["command-too-long"]);
        assert_eq!(tiny.run(&format!("echo {}", "x".repeat(300))).exit_code, 1);
        assert_eq!(tiny.run("echo short").exit_code, 0);
    }

    #[test]
    fn powershell_subset_and_errors() {
        let h = Host::new(&[]);
        let run_ps = |s: &str| h.run(&ps_command(s).joined());
        assert_eq!(run_ps("Write-Output 'a;b' \"c\"").stdout, b"a;b\r\nc\r\n");
        assert_eq!(run_ps("$env:COMPUTERNAME").stdout, b"WEB01\r\n");
        assert_eq!(run_ps("Get-Content C:\\x\\snapshot.json").exit_code, 0);
        let sleep = run_ps("Start-Sleep -Seconds 2; echo done");
        assert_eq!(
            (sleep.delay, sleep.stdout.as_slice()),
            (Duration::from_secs(2), &b"done\r\n"[..])
        );
        assert_eq!(
            run_ps("Start-Sleep -Milliseconds 250").delay,
            Duration::from_millis(250)
        );
        let err = run_ps("Foo-Bar -x");
        assert_eq!(err.exit_code, 1);
        let text = String::from_utf8(err.stderr).unwrap();
        assert!(
            text.starts_with(
                "Foo-Bar : The term 'Foo-Bar' is not recognized as the name of a cmdlet"
            ),
            "{text}"
        );
        assert!(text.contains("At line:1 char:1"));
        // Continues after a non-terminating error; the exit code follows the last statement.
        let cont = run_ps("nope; echo after");
        assert_eq!(
            (cont.exit_code, cont.stdout.as_slice()),
            (0, &b"after\r\n"[..])
        );
        let stop = run_ps("$ErrorActionPreference='Stop'\nnope\necho after");
        assert_eq!((stop.exit_code, stop.stdout.len()), (1, 0));
        assert!(String::from_utf8(stop.stderr)
            .unwrap()
            .contains("At line:2 char:1"));
        assert_eq!(run_ps("exit 4").exit_code, 4);
        assert_eq!(
            h.run("powershell -Command \"Write-Output hi\"").stdout,
            b"hi\r\n"
        );
    }

    #[test]
    fn the_collector_on_stdin_plays_back_the_snapshot_and_only_it() {
        let h = Host::new(&[]);
        assert_eq!(
            start(&h.ctx(), &stdin_bootstrap_command().joined()),
            Plan::AwaitStdin { bootstrap: true }
        );
        let mut with_bom = "\u{feff}".to_string();
        with_bom.push_str(COLLECTOR_SCRIPT);
        let o = finish_stdin(&h.ctx(), with_bom.as_bytes(), true);
        assert!(o.collector);
        assert_eq!(
            (o.stdout.as_slice(), o.exit_code),
            (&b"{\"host\":\"web01\"}\n"[..], 0)
        );
        let other = finish_stdin(&h.ctx(), b"Write-Output other", true);
        assert!(!other.collector);
        assert_eq!(other.stdout, b"other\r\n");
        let almost = finish_stdin(
            &h.ctx(),
            format!("# x\n{COLLECTOR_SCRIPT}").as_bytes(),
            true,
        );
        assert!(!almost.collector);
        let not_bootstrap = finish_stdin(&h.ctx(), COLLECTOR_SCRIPT.as_bytes(), false);
        assert!(!not_bootstrap.collector);
    }

    #[test]
    fn the_staged_collector_plays_back_the_snapshot() {
        let h = Host::new(&[]);
        for chunk in stage_payload(COLLECTOR_SCRIPT) {
            let o = h.run(&stage_append_command("t1", &chunk).joined());
            assert_eq!((o.exit_code, o.stdout.len()), (0, 0));
        }
        let o = h.run(&stage_run_command("t1").joined());
        assert!(o.collector);
        assert_eq!(o.exit_code, 0);
        // The staging file is deleted by the run; running it again is the delivery's own failure.
        let again = h.run(&stage_run_command("t1").joined());
        assert_eq!(again.exit_code, STAGED_DELIVERY_EXIT);
        // A staged script that is not the collector is interpreted.
        for chunk in stage_payload("Write-Output staged") {
            h.run(&stage_append_command("t2", &chunk).joined());
        }
        assert_eq!(
            h.run(&stage_run_command("t2").joined()).stdout,
            b"staged\r\n"
        );
    }

    #[test]
    fn collector_faults_shape_its_output() {
        let snap = b"{\"host\":\"web01\"}\n";
        let run = |f: &str| {
            let h = Host::new(&[f]);
            collector(&h.ctx())
        };
        let exit = run("collector-exit=3");
        assert_eq!((exit.exit_code, exit.stdout.len()), (3, 0));
        assert!(!exit.stderr.is_empty());
        assert!(
            serde_json::from_slice::<serde_json::Value>(&run("garbage-stdout").stdout).is_err()
        );
        assert_eq!(run("truncated-json").stdout, &snap[..snap.len() / 2]);
        let big = run("oversized-stdout=5000").stdout;
        assert_eq!(big.len(), 5000);
        assert!(serde_json::from_slice::<serde_json::Value>(&big).is_ok());
        assert_eq!(start(&Host::new(&["hang"]).ctx(), "echo"), Plan::Hang);
    }
}
