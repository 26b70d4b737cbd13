//! How the collector script reaches a host.
//!
//! Windows hands every WinRS command to cmd.exe, which caps a command line at 8,191 characters;
//! `-EncodedCommand` (base64 of UTF-16LE) therefore carries at most ~3,000 characters of
//! PowerShell. The collector is larger, so it travels one of two ways:
//!
//! - **stdin** (default): a short bootstrap reads the script from standard input and runs it.
//! - **staged**: the script is gzip-compressed, base64-encoded and appended to a temporary file
//!   in chunks that each fit one command line; a last command decodes it to a `.ps1`, runs it
//!   with `-File` and deletes both files. Needs no stdin.
//!
//! The simulator recognises exactly these command shapes; keep both sides in this module.

use std::io::{Read, Write};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

/// cmd.exe's command-line limit (characters).
pub const CMD_LINE_LIMIT: usize = 8191;

/// The executable every command runs.
pub const POWERSHELL: &str = "powershell.exe";

/// Arguments placed before `-EncodedCommand`.
pub const POWERSHELL_ARGS: [&str; 5] = [
    "-NoLogo",
    "-NoProfile",
    "-NonInteractive",
    "-ExecutionPolicy",
    "Bypass",
];

/// Reads the whole of stdin as UTF-8 and runs it as a script block.
pub const STDIN_BOOTSTRAP: &str = "$ErrorActionPreference='Stop';\
$in=New-Object IO.StreamReader([Console]::OpenStandardInput(),(New-Object Text.UTF8Encoding $false));\
$s=$in.ReadToEnd();& ([ScriptBlock]::Create($s))";

/// Base64 characters per staged chunk; keeps each command far below [`CMD_LINE_LIMIT`].
pub const STAGE_CHUNK_CHARS: usize = 2000;

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
const STAGE_APPEND_MIDDLE: &str = ".b64';[IO.File]::AppendAllText($p,'";
const STAGE_APPEND_SUFFIX: &str = "')";

/// Gzip + base64 of `script`, split into chunks of [`STAGE_CHUNK_CHARS`].
pub fn stage_payload(script: &str) -> Vec<String> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(script.as_bytes())
        .expect("writing to a Vec cannot fail");
    let compressed = gz.finish().expect("writing to a Vec cannot fail");
    let encoded = B64.encode(compressed);
    encoded
        .as_bytes()
        .chunks(STAGE_CHUNK_CHARS)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect()
}

/// The command that appends one chunk to the staging file `token`.
pub fn stage_append_command(token: &str, chunk: &str) -> CommandLine {
    powershell(&format!(
        "{STAGE_APPEND_PREFIX}{token}{STAGE_APPEND_MIDDLE}{chunk}{STAGE_APPEND_SUFFIX}"
    ))
}

/// The command that decodes the staged file, runs it with `-File`, and deletes both files.
pub fn stage_run_command(token: &str) -> CommandLine {
    powershell(&format!(
        "$b=Join-Path $env:TEMP 'iis-sweep-{token}.b64';$f=Join-Path $env:TEMP 'iis-sweep-{token}.ps1';\
try{{$z=[Convert]::FromBase64String([IO.File]::ReadAllText($b));\
$ms=New-Object IO.MemoryStream(,$z);$gz=New-Object IO.Compression.GZipStream($ms,[IO.Compression.CompressionMode]::Decompress);\
$rd=New-Object IO.StreamReader($gz,[Text.Encoding]::UTF8);[IO.File]::WriteAllText($f,$rd.ReadToEnd(),(New-Object Text.UTF8Encoding $true));$rd.Close();\
& powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -File $f;$code=$LASTEXITCODE}}\
finally{{Remove-Item -LiteralPath $b,$f -Force -ErrorAction SilentlyContinue}};exit $code"
    ))
}

/// Recognises a staged append: `(token, chunk)`.
pub fn parse_stage_append(script: &str) -> Option<(String, String)> {
    let rest = script.strip_prefix(STAGE_APPEND_PREFIX)?;
    let (token, rest) = rest.split_once(STAGE_APPEND_MIDDLE)?;
    let chunk = rest.strip_suffix(STAGE_APPEND_SUFFIX)?;
    Some((token.to_string(), chunk.to_string()))
}

/// Recognises a staged run: the token.
pub fn parse_stage_run(script: &str) -> Option<String> {
    let rest = script.strip_prefix("$b=Join-Path $env:TEMP 'iis-sweep-")?;
    let (token, _) = rest.split_once(".b64'")?;
    if script.contains("-File $f") {
        Some(token.to_string())
    } else {
        None
    }
}

/// Decodes a whole staged payload (the concatenated chunks) back to the script text.
pub fn unstage_payload(encoded: &str) -> Option<String> {
    let compressed = B64.decode(encoded.trim()).ok()?;
    let mut out = String::new();
    // Bound the decompressed size: a staged script is never larger than a few MiB.
    flate2::read::GzDecoder::new(&compressed[..])
        .take(16 << 20)
        .read_to_string(&mut out)
        .ok()?;
    Some(out)
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
