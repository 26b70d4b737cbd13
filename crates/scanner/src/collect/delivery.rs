//! How the collector script reaches a host.
//!
//! Windows hands every WinRS command to cmd.exe, which caps a command line at 8,191 characters;
//! `-EncodedCommand` (base64 of UTF-16LE) therefore carries at most ~3,000 characters of
//! PowerShell. The collector is larger, so it travels one of two ways:
//!
//! - **stdin** (default): a short bootstrap checks that standard input is redirected (else it
//!   exits with [`STDIN_UNAVAILABLE_EXIT`] at once, and the coordinator falls back to staged),
//!   reads the script from it and runs it in-process as a script block.
//! - **staged**: the script, as plain text, is appended to a temporary file in chunks that each
//!   fit one command line; a last command reads the file, deletes it and runs the text
//!   in-process as a script block — not with `-File`, which an `AllSigned`/`Restricted`
//!   execution policy set by GPO refuses. Needs no stdin. A failure of the delivery itself
//!   exits with [`STAGED_DELIVERY_EXIT`] and says so on stderr.
//!
//! Every command names powershell.exe by its full path (`%SystemRoot%` is expanded by cmd.exe),
//! so a planted `powershell.exe` earlier on the PATH is never run. Nothing is base64-decoded or
//! decompressed on the host (script-block-logging detections flag that pattern); the only
//! encoding is `-EncodedCommand`, which is how WinRM clients pass a command line.
//!
//! The simulator recognises exactly these command shapes; keep both sides in this module.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

/// cmd.exe's command-line limit (characters).
pub const CMD_LINE_LIMIT: usize = 8191;

/// The executable every command runs: Windows PowerShell 5.1 by its full path.
pub const POWERSHELL: &str = r"%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe";

/// Exit code of the stdin bootstrap when standard input is not redirected (a hardened host or
/// an intermediary that drops Send): the coordinator then delivers the script staged.
pub const STDIN_UNAVAILABLE_EXIT: i32 = 86;

/// Exit code of the staged run when its own step failed (file missing, unreadable).
pub const STAGED_DELIVERY_EXIT: i32 = 87;

/// Arguments placed before `-EncodedCommand`.
pub const POWERSHELL_ARGS: [&str; 5] = [
    "-NoLogo",
    "-NoProfile",
    "-NonInteractive",
    "-ExecutionPolicy",
    "Bypass",
];

/// Reads the whole of stdin as UTF-8 and runs it as a script block; exits with
/// [`STDIN_UNAVAILABLE_EXIT`] at once when stdin is not redirected (it would wait forever).
pub const STDIN_BOOTSTRAP: &str = "$ErrorActionPreference='Stop';\
if(-not [Console]::IsInputRedirected){[Console]::Error.WriteLine('iis-sweep: standard input is not redirected on this host');exit 86};\
$in=New-Object IO.StreamReader([Console]::OpenStandardInput(),(New-Object Text.UTF8Encoding $false));\
$s=$in.ReadToEnd();& ([ScriptBlock]::Create($s))";

/// Most UTF-16 units of (quote-doubled) script text per staged chunk: `-EncodedCommand` takes
/// 8/3 characters per unit, and the command's program, arguments and append statement take
/// the rest of [`CMD_LINE_LIMIT`], with room to spare.
pub const STAGE_CHUNK_UNITS: usize = 2800;

/// One command to run: executable plus arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    pub program: String,
    pub args: Vec<String>,
}

impl CommandLine {
    /// The command line as cmd.exe sees it.
    pub fn joined(&self) -> String {
        let mut s = self.program.clone();
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        s
    }
}

/// The line the sweep puts before a script: how many seconds the host has left for it.
const DEADLINE_PREFIX: &str = "$IisSweepSeconds = ";

/// `script` with its deadline line: the collector checks it in every phase and still prints
/// what it gathered when time runs out.
pub fn with_deadline(script: &str, seconds: u64) -> String {
    format!("{DEADLINE_PREFIX}{seconds}\n{script}")
}

/// The inverse of [`with_deadline`]: the seconds (if the line is there) and the script.
pub fn strip_deadline(script: &str) -> (Option<u64>, &str) {
    if let Some(rest) = script.strip_prefix(DEADLINE_PREFIX) {
        if let Some((n, body)) = rest.split_once('\n') {
            if let Ok(n) = n.trim().parse() {
                return (Some(n), body);
            }
        }
    }
    (None, script)
}

/// Base64 of the UTF-16LE encoding of `script`, as `-EncodedCommand` expects.
pub fn encode_command(script: &str) -> String {
    let bytes: Vec<u8> = script
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    B64.encode(bytes)
}

/// The inverse of [`encode_command`]; `None` when it is not valid base64 of UTF-16LE.
pub fn decode_command(encoded: &str) -> Option<String> {
    let bytes = B64.decode(encoded.trim()).ok()?;
    if bytes.len() % 2 != 0 {
        return None;
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).ok()
}

/// A PowerShell command line running `script` through `-EncodedCommand`.
pub fn powershell(script: &str) -> CommandLine {
    let mut args: Vec<String> = POWERSHELL_ARGS.iter().map(|s| s.to_string()).collect();
    args.push("-EncodedCommand".into());
    args.push(encode_command(script));
    CommandLine {
        program: POWERSHELL.into(),
        args,
    }
}

/// If `program args` is a PowerShell `-EncodedCommand` invocation, the decoded script.
pub fn encoded_script_of(program: &str, args: &[String]) -> Option<String> {
    let prog = program.to_ascii_lowercase();
    if !(prog == "powershell" || prog == "powershell.exe" || prog.ends_with("\\powershell.exe")) {
        return None;
    }
    let pos = args.iter().position(|a| {
        let a = a.to_ascii_lowercase();
        a == "-encodedcommand" || a == "-enc" || a == "-e" || a == "-ec"
    })?;
    decode_command(args.get(pos + 1)?)
}

/// The stdin delivery: the bootstrap command (the script itself goes on stdin).
pub fn stdin_bootstrap_command() -> CommandLine {
    powershell(STDIN_BOOTSTRAP)
}

const STAGE_APPEND_PREFIX: &str = "$p=Join-Path $env:TEMP 'iis-sweep-";
const STAGE_APPEND_MIDDLE: &str = ".ps1';[IO.File]::AppendAllText($p,'";
const STAGE_APPEND_SUFFIX: &str = "')";
const STAGE_RUN_PREFIX: &str = "$ErrorActionPreference='Stop';$p=Join-Path $env:TEMP 'iis-sweep-";
const STAGE_RUN_SUFFIX: &str = ".ps1';try{$t=[IO.File]::ReadAllText($p)}\
catch{[Console]::Error.WriteLine('iis-sweep staged delivery failed: '+$_.Exception.Message);exit 87}\
finally{Remove-Item -LiteralPath $p -Force -ErrorAction SilentlyContinue};\
& ([ScriptBlock]::Create($t))";

/// `script` split into chunks as plain text, each as long as fits one command line once its
/// quotes are doubled (at most [`STAGE_CHUNK_UNITS`] UTF-16 units).
pub fn stage_payload(script: &str) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut chunk = String::new();
    let mut units = 0;
    for c in script.chars() {
        let cost = c.len_utf16() * if c == '\'' { 2 } else { 1 };
        if units + cost > STAGE_CHUNK_UNITS {
            chunks.push(std::mem::take(&mut chunk));
            units = 0;
        }
        chunk.push(c);
        units += cost;
    }
    if !chunk.is_empty() {
        chunks.push(chunk);
    }
    chunks
}

/// The command that appends one chunk to the staging file `token` (quotes doubled: the chunk
/// is a single-quoted PowerShell string).
pub fn stage_append_command(token: &str, chunk: &str) -> CommandLine {
    let quoted = chunk.replace('\'', "''");
    powershell(&format!(
        "{STAGE_APPEND_PREFIX}{token}{STAGE_APPEND_MIDDLE}{quoted}{STAGE_APPEND_SUFFIX}"
    ))
}

/// The command that reads the staged file, deletes it and runs its text as a script block.
pub fn stage_run_command(token: &str) -> CommandLine {
    powershell(&format!("{STAGE_RUN_PREFIX}{token}{STAGE_RUN_SUFFIX}"))
}

/// Recognises a staged append: `(token, chunk)`.
pub fn parse_stage_append(script: &str) -> Option<(String, String)> {
    let rest = script.strip_prefix(STAGE_APPEND_PREFIX)?;
    let (token, rest) = rest.split_once(STAGE_APPEND_MIDDLE)?;
    let chunk = rest.strip_suffix(STAGE_APPEND_SUFFIX)?;
    Some((token.to_string(), chunk.replace("''", "'")))
}

/// Recognises a staged run: the token.
pub fn parse_stage_run(script: &str) -> Option<String> {
    let rest = script.strip_prefix(STAGE_RUN_PREFIX)?;
    let token = rest.strip_suffix(STAGE_RUN_SUFFIX)?;
    (!token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| token.to_string())
}

/// The whole staged script, from the concatenated chunks (they are the script's text).
pub fn unstage_payload(staged: &str) -> Option<String> {
    Some(staged.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_command_round_trips_non_ascii() {
        let s = "Write-Output 'Пользователи ✓'";
        assert_eq!(decode_command(&encode_command(s)).as_deref(), Some(s));
    }

    #[test]
    fn quotes_and_non_ascii_survive_staging() {
        let script = "Write-Output 'it''s ✓ 𝄞'\n".repeat(400);
        let mut joined = String::new();
        for c in stage_payload(&script) {
            let cmd = stage_append_command("t1", &c);
            assert!(cmd.joined().len() < CMD_LINE_LIMIT);
            let text = encoded_script_of(&cmd.program, &cmd.args).unwrap();
            joined.push_str(&parse_stage_append(&text).unwrap().1);
        }
        assert_eq!(joined, script);
        for worst in ["'".repeat(10_000), "𝄞".repeat(10_000)] {
            for c in stage_payload(&worst) {
                assert!(stage_append_command("abcdef123456", &c).joined().len() < CMD_LINE_LIMIT);
            }
        }
    }

    #[test]
    fn commands_name_powershell_by_full_path() {
        let cmd = stdin_bootstrap_command();
        assert!(cmd.program.starts_with("%SystemRoot%\\"), "{}", cmd.program);
        assert!(encoded_script_of(&cmd.program, &cmd.args).is_some());
        let run = stage_run_command("ab12");
        let text = encoded_script_of(&run.program, &run.args).unwrap();
        assert!(
            !text.contains("-File"),
            "staged delivery runs in-process: {text}"
        );
        assert!(!text.contains("FromBase64String") && !text.contains("GZip"));
    }

    #[test]
    fn bootstrap_fits_the_command_line() {
        assert!(stdin_bootstrap_command().joined().len() < CMD_LINE_LIMIT);
    }

    #[test]
    fn staged_commands_fit_and_round_trip() {
        let script = crate::collect::COLLECTOR_SCRIPT;
        let chunks = stage_payload(script);
        let mut joined = String::new();
        for c in &chunks {
            let cmd = stage_append_command("ab12", c);
            assert!(
                cmd.joined().len() < CMD_LINE_LIMIT,
                "chunk command too long"
            );
            let script = encoded_script_of(&cmd.program, &cmd.args).unwrap();
            let (token, chunk) = parse_stage_append(&script).unwrap();
            assert_eq!(token, "ab12");
            joined.push_str(&chunk);
        }
        assert_eq!(unstage_payload(&joined).as_deref(), Some(script));
        let run = stage_run_command("ab12");
        assert!(run.joined().len() < CMD_LINE_LIMIT);
        let run_script = encoded_script_of(&run.program, &run.args).unwrap();
        assert_eq!(parse_stage_run(&run_script).as_deref(), Some("ab12"));
    }
}
