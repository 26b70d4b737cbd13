//! Faults a virtual host can inject, parsed from `FleetHost.faults` (`name` or `name=value`) and
//! from the command line (`--fault HOST=FAULT`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// One injected fault. The text form (`name` or `name=value`) is what `fleet.toml` and
/// `--fault HOST=FAULT` carry; [`Fault::from_str`] and [`fmt::Display`] round-trip it.
///
/// | Text | Effect (as the client sees it) |
/// |---|---|
/// | `refuse` | no listener on the host's address: connection refused |
/// | `reset` | every Receive response is cut mid-body by a TCP reset (RST) |
/// | `delay-first-byte=MS` | every response waits MS milliseconds before its first byte |
/// | `slow-drip=BYTES_PER_SEC` | every response is written at BYTES_PER_SEC |
/// | `auth-401` | credentials are always rejected (HTTP 401), Basic and NTLM alike |
/// | `quota` | every Create answers the shell quota fault (`w:QuotaLimit`, 2150859173) |
/// | `collector-exit=CODE` | the collector prints an error on stderr and exits CODE |
/// | `garbage-stdout` | the collector prints bytes that are not JSON, exit 0 |
/// | `truncated-json` | the collector prints the first half of the snapshot, exit 0 |
/// | `oversized-stdout=BYTES` | the collector prints the snapshot padded with whitespace to BYTES |
/// | `command-too-long` | cmd.exe's command-line limit is 256 characters instead of 8,191 |
/// | `tls-mismatch` | HTTPS presents a certificate for another name (not trusted, not the pin) |
/// | `hang` | no command ever finishes: Receive keeps answering `w:TimedOut` |
/// | `receive-html` | every Receive is answered HTTP 200 with an HTML page (a proxy's or WAF's block page) |
/// | `receive-garbage` | every Receive is answered HTTP 200 with bytes that are not XML |
/// | `redirect` | every request is answered `302 Found` to a login portal |
/// | `no-stdin` | standard input is not redirected: the stdin bootstrap exits 86 |
/// | `constrained-language` | PowerShell runs in Constrained Language Mode (AppLocker/WDAC) |
///
/// Collector faults (`collector-exit`, `garbage-stdout`, `truncated-json`, `oversized-stdout`)
/// apply only when the real collector arrives; other commands behave normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// No listener: connection refused.
    Refuse,
    /// TCP reset in the middle of each Receive response.
    Reset,
    /// Delay before the first byte of every response.
    DelayFirstByte(Duration),
    /// Responses written at this many bytes per second.
    SlowDrip(u64),
    /// Credentials always rejected.
    Auth401,
    /// Shell quota fault on every Create.
    Quota,
    /// The collector exits with this code and an error on stderr.
    CollectorExit(i32),
    /// The collector prints non-JSON bytes.
    GarbageStdout,
    /// The collector prints a truncated snapshot.
    TruncatedJson,
    /// The collector's stdout is padded to this many bytes.
    OversizedStdout(usize),
    /// The command-line limit is tiny ([`TINY_COMMAND_LINE_LIMIT`]).
    CommandTooLong,
    /// HTTPS certificate for another name.
    TlsMismatch,
    /// Commands never finish.
    Hang,
    /// Receive answered 200 with an HTML page.
    ReceiveHtml,
    /// Receive answered 200 with non-XML bytes.
    ReceiveGarbage,
    /// Every request redirected.
    Redirect,
    /// Stdin not redirected to PowerShell.
    NoStdin,
    /// PowerShell in Constrained Language Mode.
    ConstrainedLanguage,
}

/// The command-line limit a host with [`Fault::CommandTooLong`] enforces.
pub const TINY_COMMAND_LINE_LIMIT: usize = 256;

/// Every fault name, for error messages and help text.
pub const FAULT_NAMES: &str = "refuse, reset, delay-first-byte=MS, slow-drip=BYTES_PER_SEC, \
auth-401, quota, collector-exit=CODE, garbage-stdout, truncated-json, oversized-stdout=BYTES, \
command-too-long, tls-mismatch, hang, receive-html, receive-garbage, redirect, no-stdin, constrained-language";

/// A fault text that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault `{text}`: {reason} (known faults: {FAULT_NAMES})")]
pub struct FaultParseError {
    text: String,
    reason: String,
}

impl FaultParseError {
    fn new(text: &str, reason: impl Into<String>) -> Self {
        FaultParseError {
            text: text.to_string(),
            reason: reason.into(),
        }
    }
}

impl FromStr for Fault {
    type Err = FaultParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let (name, value) = match trimmed.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (trimmed, None),
        };
        let need = |what: &str| -> Result<&str, FaultParseError> {
            value
                .filter(|v| !v.is_empty())
                .ok_or_else(|| FaultParseError::new(text, format!("`{name}` needs ={what}")))
        };
        let none = |f: Fault| -> Result<Fault, FaultParseError> {
            match value {
                None => Ok(f),
                Some(_) => Err(FaultParseError::new(
                    text,
                    format!("`{name}` takes no value"),
                )),
            }
        };
        let number = |v: &str| -> Result<u64, FaultParseError> {
            v.parse::<u64>()
                .map_err(|_| FaultParseError::new(text, format!("`{v}` is not a whole number")))
        };
        match name.to_ascii_lowercase().as_str() {
            "refuse" => none(Fault::Refuse),
            "reset" => none(Fault::Reset),
            "delay-first-byte" => Ok(Fault::DelayFirstByte(Duration::from_millis(number(need(
                "MS",
            )?)?))),
            "slow-drip" => {
                let rate = number(need("BYTES_PER_SEC")?)?;
                if rate == 0 {
                    return Err(FaultParseError::new(text, "the rate must be at least 1"));
                }
                Ok(Fault::SlowDrip(rate))
            }
            "auth-401" => none(Fault::Auth401),
            "quota" => none(Fault::Quota),
            "collector-exit" => {
                let v = need("CODE")?;
                let code = v.parse::<i32>().map_err(|_| {
                    FaultParseError::new(text, format!("`{v}` is not an exit code"))
                })?;
                Ok(Fault::CollectorExit(code))
            }
            "garbage-stdout" => none(Fault::GarbageStdout),
            "truncated-json" => none(Fault::TruncatedJson),
            "oversized-stdout" => {
                let bytes = number(need("BYTES")?)?;
                Ok(Fault::OversizedStdout(usize::try_from(bytes).map_err(
                    |_| FaultParseError::new(text, "the size does not fit this platform"),
                )?))
            }
            "command-too-long" => none(Fault::CommandTooLong),
            "tls-mismatch" => none(Fault::TlsMismatch),
            "hang" => none(Fault::Hang),
            "receive-html" => none(Fault::ReceiveHtml),
            "receive-garbage" => none(Fault::ReceiveGarbage),
            "redirect" => none(Fault::Redirect),
            "no-stdin" => none(Fault::NoStdin),
            "constrained-language" => none(Fault::ConstrainedLanguage),
            _ => Err(FaultParseError::new(text, "unknown fault")),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Refuse => f.write_str("refuse"),
            Fault::Reset => f.write_str("reset"),
            Fault::DelayFirstByte(d) => write!(f, "delay-first-byte={}", d.as_millis()),
            Fault::SlowDrip(r) => write!(f, "slow-drip={r}"),
            Fault::Auth401 => f.write_str("auth-401"),
            Fault::Quota => f.write_str("quota"),
            Fault::CollectorExit(c) => write!(f, "collector-exit={c}"),
            Fault::GarbageStdout => f.write_str("garbage-stdout"),
            Fault::TruncatedJson => f.write_str("truncated-json"),
            Fault::OversizedStdout(n) => write!(f, "oversized-stdout={n}"),
            Fault::CommandTooLong => f.write_str("command-too-long"),
            Fault::TlsMismatch => f.write_str("tls-mismatch"),
            Fault::Hang => f.write_str("hang"),
            Fault::ReceiveHtml => f.write_str("receive-html"),
            Fault::ReceiveGarbage => f.write_str("receive-garbage"),
            Fault::Redirect => f.write_str("redirect"),
            Fault::NoStdin => f.write_str("no-stdin"),
            Fault::ConstrainedLanguage => f.write_str("constrained-language"),
        }
    }
}

/// `HOST=FAULT`, as given to `--fault`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFault {
    /// Host name (as in `fleet.toml`).
    pub host: String,
    /// The fault.
    pub fault: Fault,
}

impl FromStr for HostFault {
    type Err = FaultParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (host, fault) = text
            .split_once('=')
            .ok_or_else(|| FaultParseError::new(text, "expected HOST=FAULT"))?;
        let host = host.trim();
        if host.is_empty() {
            return Err(FaultParseError::new(text, "the host name is empty"));
        }
        Ok(HostFault {
            host: host.to_string(),
            fault: fault.parse()?,
        })
    }
}

impl fmt::Display for HostFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.host, self.fault)
    }
}

/// The faults of one host, folded into the knobs the server reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostFaults {
    /// Every fault, in the order given.
    pub list: Vec<Fault>,
}

impl HostFaults {
    /// Parses a host's fault strings.
    pub fn parse<S: AsRef<str>>(texts: &[S]) -> Result<Self, FaultParseError> {
        let list = texts
            .iter()
            .map(|t| t.as_ref().parse())
            .collect::<Result<Vec<Fault>, _>>()?;
        Ok(HostFaults { list })
    }

    /// Adds one fault.
    pub fn push(&mut self, fault: Fault) {
        self.list.push(fault);
    }

    fn has(&self, f: impl Fn(&Fault) -> bool) -> bool {
        self.list.iter().any(f)
    }

    /// `refuse`.
    pub fn refuse(&self) -> bool {
        self.has(|f| matches!(f, Fault::Refuse))
    }
    /// `reset`.
    pub fn reset(&self) -> bool {
        self.has(|f| matches!(f, Fault::Reset))
    }
    /// `auth-401`.
    pub fn auth_401(&self) -> bool {
        self.has(|f| matches!(f, Fault::Auth401))
    }
    /// `quota`.
    pub fn quota(&self) -> bool {
        self.has(|f| matches!(f, Fault::Quota))
    }
    /// `command-too-long`.
    pub fn command_too_long(&self) -> bool {
        self.has(|f| matches!(f, Fault::CommandTooLong))
    }
    /// `tls-mismatch`.
    pub fn tls_mismatch(&self) -> bool {
        self.has(|f| matches!(f, Fault::TlsMismatch))
    }
    /// `hang`.
    pub fn hang(&self) -> bool {
        self.has(|f| matches!(f, Fault::Hang))
    }
    /// `receive-html`.
    pub fn receive_html(&self) -> bool {
        self.has(|f| matches!(f, Fault::ReceiveHtml))
    }
    /// `receive-garbage`.
    pub fn receive_garbage(&self) -> bool {
        self.has(|f| matches!(f, Fault::ReceiveGarbage))
    }
    /// `redirect`.
    pub fn redirect(&self) -> bool {
        self.has(|f| matches!(f, Fault::Redirect))
    }
    /// `no-stdin`.
    pub fn no_stdin(&self) -> bool {
        self.has(|f| matches!(f, Fault::NoStdin))
    }
    /// `constrained-language`.
    pub fn constrained_language(&self) -> bool {
        self.has(|f| matches!(f, Fault::ConstrainedLanguage))
    }
    /// `garbage-stdout`.
    pub fn garbage_stdout(&self) -> bool {
        self.has(|f| matches!(f, Fault::GarbageStdout))
    }
    /// `truncated-json`.
    pub fn truncated_json(&self) -> bool {
        self.has(|f| matches!(f, Fault::TruncatedJson))
    }
    /// `delay-first-byte=MS` (the last one wins).
    pub fn delay_first_byte(&self) -> Option<Duration> {
        self.list.iter().rev().find_map(|f| match f {
            Fault::DelayFirstByte(d) => Some(*d),
            _ => None,
        })
    }
    /// `slow-drip=BYTES_PER_SEC` (the last one wins).
    pub fn slow_drip(&self) -> Option<u64> {
        self.list.iter().rev().find_map(|f| match f {
            Fault::SlowDrip(r) => Some(*r),
            _ => None,
        })
    }
    /// `collector-exit=CODE` (the last one wins).
    pub fn collector_exit(&self) -> Option<i32> {
        self.list.iter().rev().find_map(|f| match f {
            Fault::CollectorExit(c) => Some(*c),
            _ => None,
        })
    }
    /// `oversized-stdout=BYTES` (the last one wins).
    pub fn oversized_stdout(&self) -> Option<usize> {
        self.list.iter().rev().find_map(|f| match f {
            Fault::OversizedStdout(n) => Some(*n),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_round_trips_through_its_text() {
        let all = [
            Fault::Refuse,
            Fault::Reset,
            Fault::DelayFirstByte(Duration::from_millis(2000)),
            Fault::SlowDrip(512),
            Fault::Auth401,
            Fault::Quota,
            Fault::CollectorExit(-3),
            Fault::GarbageStdout,
            Fault::TruncatedJson,
            Fault::OversizedStdout(1 << 20),
            Fault::CommandTooLong,
            Fault::TlsMismatch,
            Fault::Hang,
        ];
        for f in all {
            assert_eq!(f.to_string().parse::<Fault>(), Ok(f), "{f}");
        }
    }

    #[test]
    fn bad_faults_are_refused_with_the_list_of_names() {
        for bad in [
            "explode",
            "delay-first-byte",
            "delay-first-byte=soon",
            "slow-drip=0",
            "hang=1",
            "collector-exit=",
        ] {
            let err = bad.parse::<Fault>().unwrap_err().to_string();
            assert!(err.contains("known faults"), "{bad}: {err}");
        }
    }

    #[test]
    fn host_fault_splits_at_the_first_equals_sign() {
        let hf: HostFault = "web01=delay-first-byte=250".parse().unwrap();
        assert_eq!(hf.host, "web01");
        assert_eq!(hf.fault, Fault::DelayFirstByte(Duration::from_millis(250)));
        assert_eq!(hf.to_string(), "web01=delay-first-byte=250");
        assert!("=hang".parse::<HostFault>().is_err());
        assert!("web01".parse::<HostFault>().is_err());
    }

    #[test]
    fn host_faults_fold_into_knobs() {
        let hf = HostFaults::parse(&["hang", "collector-exit=2", "collector-exit=5"]).unwrap();
        assert!(hf.hang());
        assert!(!hf.refuse());
        assert_eq!(hf.collector_exit(), Some(5));
        assert!(HostFaults::parse(&["nope"]).is_err());
    }
}
