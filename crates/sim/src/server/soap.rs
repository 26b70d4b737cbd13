//! WS-Management SOAP: namespace-aware request parsing (roxmltree; prefixes never matter) and
//! the response and fault envelopes in the shapes Windows sends.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

/// SOAP 1.2 envelope.
pub const NS_SOAP: &str = "http://www.w3.org/2003/05/soap-envelope";
/// WS-Addressing.
pub const NS_ADDRESSING: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
/// DMTF WS-Management.
pub const NS_WSMAN: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
/// Microsoft WS-Management extensions.
pub const NS_WSMAN_MS: &str = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd";
/// Windows Remote Shell.
pub const NS_SHELL: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell";
/// WS-Transfer.
pub const NS_TRANSFER: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer";
/// WS-Management fault detail.
pub const NS_WSMAN_FAULT: &str = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault";

/// Resource URI of the cmd shell.
pub const RESOURCE_CMD: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd";
/// `a:To` of every response.
pub const ANONYMOUS: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";

/// WS-Transfer Create.
pub const ACTION_CREATE: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create";
/// WS-Transfer Delete.
pub const ACTION_DELETE: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete";
/// WinRS Command.
pub const ACTION_COMMAND: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command";
/// WinRS Send.
pub const ACTION_SEND: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send";
/// WinRS Receive.
pub const ACTION_RECEIVE: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive";
/// WinRS Signal.
pub const ACTION_SIGNAL: &str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal";
/// Fault action.
pub const ACTION_FAULT: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault";

/// Signal code: terminate.
pub const SIGNAL_TERMINATE: &str =
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate";
/// Signal code: Ctrl+C.
pub const SIGNAL_CTRL_C: &str =
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_c";
/// Command state: done.
pub const STATE_DONE: &str =
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done";
/// Command state: running.
pub const STATE_RUNNING: &str =
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running";

/// One stdin chunk of a Send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputChunk {
    /// Stream name (`stdin`).
    pub name: String,
    /// The command it belongs to.
    pub command_id: Option<String>,
    /// `End="true"`.
    pub end: bool,
    /// Decoded bytes.
    pub data: Vec<u8>,
}

/// The body of a request, by action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Create a shell.
    Create {
        /// `rsp:IdleTimeOut`.
        idle_timeout: Option<Duration>,
    },
    /// Start a command.
    Command {
        /// `rsp:Command`.
        command: String,
        /// Every `rsp:Arguments`, in order.
        arguments: Vec<String>,
    },
    /// Send stdin.
    Send {
        /// The streams.
        streams: Vec<InputChunk>,
    },
    /// Receive output.
    Receive {
        /// `rsp:DesiredStream/@CommandId`.
        command_id: Option<String>,
    },
    /// Signal a command.
    Signal {
        /// `rsp:Signal/@CommandId`.
        command_id: Option<String>,
        /// `rsp:Code`.
        code: String,
    },
    /// Delete the shell.
    Delete,
    /// Any other action.
    Other,
}

/// A parsed WS-Management request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `a:Action`.
    pub action: String,
    /// `a:MessageID`, verbatim.
    pub message_id: Option<String>,
    /// `w:ResourceURI`.
    pub resource_uri: Option<String>,
    /// `w:SelectorSet/w:Selector[@Name="ShellId"]`.
    pub shell_id: Option<String>,
    /// `w:OperationTimeout`.
    pub operation_timeout: Option<Duration>,
    /// `w:MaxEnvelopeSize` (bytes of the response the client accepts).
    pub max_envelope_size: Option<usize>,
    /// `w:OptionSet/w:Option` name/value pairs.
    pub options: Vec<(String, String)>,
    /// The body.
    pub body: Body,
}

impl Request {
    /// The value of option `name` (case-insensitive), if present.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A request that is not a usable WS-Management envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

fn child<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    ns: &str,
    name: &str,
) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|c| {
        c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(ns)
    })
}

fn children<'a, 'i: 'a>(
    node: roxmltree::Node<'a, 'i>,
    ns: &'a str,
    name: &'a str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> + 'a {
    node.children().filter(move |c| {
        c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(ns)
    })
}

fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    node.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect::<String>()
}

fn attr<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.name() == name && a.namespace().is_none())
        .map(|a| a.value())
}

/// Parses an `xs:duration` such as `PT60S`, `PT60.000S`, `PT1M30S`, `P0DT0H0M20S`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let rest = t.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut secs = 0f64;
    let mut consume = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut num = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                num.push(c);
            } else {
                let (_, factor) = units.iter().find(|(u, _)| *u == c)?;
                secs += num.parse::<f64>().ok()? * factor;
                num.clear();
            }
        }
        num.is_empty().then_some(())
    };
    consume(
        date,
        &[
            ('Y', 365.0 * 86400.0),
            ('M', 30.0 * 86400.0),
            ('D', 86400.0),
        ],
    )?;
    consume(time, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)])?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(secs.min(1e9)))
}

/// Formats a duration as Windows does (`PT7200.000S`).
pub fn format_duration(d: Duration) -> String {
    format!("PT{}.{:03}S", d.as_secs(), d.subsec_millis())
}

/// Parses a request envelope.
pub fn parse_request(xml: &str) -> Result<Request, ParseError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| ParseError(format!("bad XML: {e}")))?;
    let env = doc.root_element();
    if env.tag_name().name() != "Envelope" || env.tag_name().namespace() != Some(NS_SOAP) {
        return Err(ParseError("not a SOAP 1.2 envelope".into()));
    }
    let header = child(env, NS_SOAP, "Header").ok_or_else(|| ParseError("no Header".into()))?;
    let body = child(env, NS_SOAP, "Body").ok_or_else(|| ParseError("no Body".into()))?;
    let action = child(header, NS_ADDRESSING, "Action")
        .map(|n| text_of(n).trim().to_string())
        .ok_or_else(|| ParseError("no Action".into()))?;
    let message_id =
        child(header, NS_ADDRESSING, "MessageID").map(|n| text_of(n).trim().to_string());
    let resource_uri =
        child(header, NS_WSMAN, "ResourceURI").map(|n| text_of(n).trim().to_string());
    let shell_id = child(header, NS_WSMAN, "SelectorSet").and_then(|set| {
        children(set, NS_WSMAN, "Selector")
            .find(|s| attr(*s, "Name") == Some("ShellId"))
            .map(|s| text_of(s).trim().to_string())
    });
    let operation_timeout =
        child(header, NS_WSMAN, "OperationTimeout").and_then(|n| parse_duration(&text_of(n)));
    let max_envelope_size = child(header, NS_WSMAN, "MaxEnvelopeSize")
        .and_then(|n| text_of(n).trim().parse::<usize>().ok());
    let options = child(header, NS_WSMAN, "OptionSet")
        .map(|set| {
            children(set, NS_WSMAN, "Option")
                .map(|o| {
                    (
                        attr(o, "Name").unwrap_or_default().to_string(),
                        text_of(o).trim().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();

    let body = match action.as_str() {
        ACTION_CREATE => {
            let shell = child(body, NS_SHELL, "Shell");
            Body::Create {
                idle_timeout: shell
                    .and_then(|s| child(s, NS_SHELL, "IdleTimeOut"))
                    .and_then(|n| parse_duration(&text_of(n))),
            }
        }
        ACTION_COMMAND => {
            let line = child(body, NS_SHELL, "CommandLine")
                .ok_or_else(|| ParseError("Command without rsp:CommandLine".into()))?;
            let command = child(line, NS_SHELL, "Command")
                .map(text_of)
                .ok_or_else(|| ParseError("Command without rsp:Command".into()))?;
            let arguments = children(line, NS_SHELL, "Arguments").map(text_of).collect();
            Body::Command { command, arguments }
        }
        ACTION_SEND => {
            let send = child(body, NS_SHELL, "Send")
                .ok_or_else(|| ParseError("Send without rsp:Send".into()))?;
            let mut streams = Vec::new();
            for s in children(send, NS_SHELL, "Stream") {
                let text: String = text_of(s).chars().filter(|c| !c.is_whitespace()).collect();
                let data = B64
                    .decode(text.as_bytes())
                    .map_err(|_| ParseError("stdin stream is not base64".into()))?;
                streams.push(InputChunk {
                    name: attr(s, "Name").unwrap_or("stdin").to_string(),
                    command_id: attr(s, "CommandId").map(str::to_string),
                    end: attr(s, "End").is_some_and(|v| v.eq_ignore_ascii_case("true")),
                    data,
                });
            }
            Body::Send { streams }
        }
        ACTION_RECEIVE => {
            let recv = child(body, NS_SHELL, "Receive")
                .ok_or_else(|| ParseError("Receive without rsp:Receive".into()))?;
            Body::Receive {
                command_id: child(recv, NS_SHELL, "DesiredStream")
                    .and_then(|d| attr(d, "CommandId"))
                    .map(str::to_string),
            }
        }
        ACTION_SIGNAL => {
            let sig = child(body, NS_SHELL, "Signal")
                .ok_or_else(|| ParseError("Signal without rsp:Signal".into()))?;
            Body::Signal {
                command_id: attr(sig, "CommandId").map(str::to_string),
                code: child(sig, NS_SHELL, "Code")
                    .map(|n| text_of(n).trim().to_string())
                    .unwrap_or_default(),
            }
        }
        ACTION_DELETE => Body::Delete,
        _ => Body::Other,
    };
    Ok(Request {
        action,
        message_id,
        resource_uri,
        shell_id,
        operation_timeout,
        max_envelope_size,
        options,
        body,
    })
}

/// Escapes text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A new upper-case GUID, as Windows writes them.
pub fn new_guid() -> String {
    uuid::Uuid::new_v4().to_string().to_uppercase()
}

fn envelope(action: &str, relates_to: Option<&str>, body: &str) -> String {
    let relates = relates_to
        .map(|r| format!("<a:RelatesTo>{}</a:RelatesTo>", escape(r)))
        .unwrap_or_default();
    format!(
        "<s:Envelope xml:lang=\"en-US\" xmlns:s=\"{NS_SOAP}\" xmlns:a=\"{NS_ADDRESSING}\" \
xmlns:x=\"{NS_TRANSFER}\" xmlns:w=\"{NS_WSMAN}\" xmlns:rsp=\"{NS_SHELL}\" xmlns:p=\"{NS_WSMAN_MS}\">\
<s:Header><a:Action>{action}</a:Action><a:MessageID>uuid:{}</a:MessageID>\
<a:To>{ANONYMOUS}</a:To>{relates}</s:Header><s:Body>{body}</s:Body></s:Envelope>",
        new_guid()
    )
}

/// What a Create response reports about the new shell.
#[derive(Debug, Clone)]
pub struct ShellInfo<'a> {
    /// Endpoint URL (`http://host:port/wsman`).
    pub address: &'a str,
    /// Shell id (upper-case GUID).
    pub shell_id: &'a str,
    /// Owner (user name).
    pub owner: &'a str,
    /// Client IP address.
    pub client_ip: &'a str,
    /// Idle timeout.
    pub idle_timeout: Duration,
}

/// CreateResponse: `x:ResourceCreated` with the `ShellId` selector (pywinrm, Go) **and**
/// `rsp:Shell/rsp:ShellId` (winrm-rs).
pub fn create_response(relates_to: Option<&str>, s: &ShellInfo<'_>) -> String {
    let body = format!(
        "<x:ResourceCreated><a:Address>{addr}</a:Address><a:ReferenceParameters>\
<w:ResourceURI>{RESOURCE_CMD}</w:ResourceURI><w:SelectorSet><w:Selector Name=\"ShellId\">{id}</w:Selector>\
</w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>\
<rsp:Shell><rsp:ShellId>{id}</rsp:ShellId><rsp:ResourceUri>{RESOURCE_CMD}</rsp:ResourceUri>\
<rsp:Owner>{owner}</rsp:Owner><rsp:ClientIP>{ip}</rsp:ClientIP><rsp:IdleTimeOut>{idle}</rsp:IdleTimeOut>\
<rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams>\
<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>",
        addr = escape(s.address),
        id = escape(s.shell_id),
        owner = escape(s.owner),
        ip = escape(s.client_ip),
        idle = format_duration(s.idle_timeout),
    );
    envelope(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse",
        relates_to,
        &body,
    )
}

/// CommandResponse.
pub fn command_response(relates_to: Option<&str>, command_id: &str) -> String {
    envelope(
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandResponse",
        relates_to,
        &format!(
            "<rsp:CommandResponse><rsp:CommandId>{}</rsp:CommandId></rsp:CommandResponse>",
            escape(command_id)
        ),
    )
}

/// SendResponse.
pub fn send_response(relates_to: Option<&str>) -> String {
    envelope(
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SendResponse",
        relates_to,
        "<rsp:SendResponse/>",
    )
}

/// SignalResponse.
pub fn signal_response(relates_to: Option<&str>) -> String {
    envelope(
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SignalResponse",
        relates_to,
        "<rsp:SignalResponse/>",
    )
}

/// DeleteResponse (empty body).
pub fn delete_response(relates_to: Option<&str>) -> String {
    envelope(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse",
        relates_to,
        "",
    )
}

/// The bytes a Receive response envelope adds around its streams, with room to spare; the
/// stream budget is `MaxEnvelopeSize` minus this.
pub const RECEIVE_OVERHEAD: usize = 2048;

/// One Receive response. `exit_code: Some(_)` means Done (and always carries the ExitCode);
/// `None` means Running.
pub fn receive_response(
    relates_to: Option<&str>,
    command_id: &str,
    stdout: &[u8],
    stderr: &[u8],
    exit_code: Option<i32>,
) -> String {
    let id = escape(command_id);
    let mut body = String::from("<rsp:ReceiveResponse>");
    for (name, data) in [("stdout", stdout), ("stderr", stderr)] {
        if !data.is_empty() {
            body.push_str(&format!(
                "<rsp:Stream Name=\"{name}\" CommandId=\"{id}\">{}</rsp:Stream>",
                B64.encode(data)
            ));
        }
    }
    match exit_code {
        Some(code) => {
            body.push_str(&format!(
                "<rsp:Stream Name=\"stdout\" CommandId=\"{id}\" End=\"true\"></rsp:Stream>\
<rsp:Stream Name=\"stderr\" CommandId=\"{id}\" End=\"true\"></rsp:Stream>\
<rsp:CommandState CommandId=\"{id}\" State=\"{STATE_DONE}\"><rsp:ExitCode>{code}</rsp:ExitCode></rsp:CommandState>"
            ));
        }
        None => body.push_str(&format!(
            "<rsp:CommandState CommandId=\"{id}\" State=\"{STATE_RUNNING}\"/>"
        )),
    }
    body.push_str("</rsp:ReceiveResponse>");
    envelope(
        "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse",
        relates_to,
        &body,
    )
}

/// A SOAP 1.2 fault as WinRM sends it (with HTTP 500).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// `s:Sender` or `s:Receiver`.
    pub code: &'static str,
    /// Subcode, e.g. `w:TimedOut`.
    pub subcode: &'static str,
    /// `f:WSManFault/@Code`.
    pub wsman_code: u32,
    /// Reason and message text (English).
    pub text: String,
    /// Optional `w:FaultDetail` URI.
    pub detail: Option<&'static str>,
}

impl Fault {
    /// `w:TimedOut` (2150858793): no output within OperationTimeout. Poll again.
    pub fn timed_out() -> Self {
        Fault {
            code: "s:Receiver",
            subcode: "w:TimedOut",
            wsman_code: 2_150_858_793,
            text: "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ".into(),
            detail: None,
        }
    }

    /// `w:QuotaLimit` (2150859173, ERROR_WSMAN_QUOTA_MAX_SHELLS): too many shells for the user.
    pub fn max_shells(max: usize) -> Self {
        Fault {
            code: "s:Receiver",
            subcode: "w:QuotaLimit",
            wsman_code: 2_150_859_173,
            text: format!("The WS-Management service cannot process the request. This user is allowed a maximum number of {max} concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. "),
            detail: None,
        }
    }

    /// `w:QuotaLimit` (2150859174, ERROR_WSMAN_QUOTA_MAX_OPERATIONS): too many commands in a shell.
    pub fn max_operations(max: usize) -> Self {
        Fault {
            code: "s:Receiver",
            subcode: "w:QuotaLimit",
            wsman_code: 2_150_859_174,
            text: format!("The WS-Management service cannot process the request. This user is allowed a maximum number of {max} concurrent operations, which has been exceeded. Close existing operations for this user, or raise the quota for this user. "),
            detail: None,
        }
    }

    /// `w:InvalidSelectors` (2150858843): the shell does not exist.
    pub fn shell_not_found(shell_id: &str) -> Self {
        Fault {
            code: "s:Sender",
            subcode: "w:InvalidSelectors",
            wsman_code: 2_150_858_843,
            text: format!("The request for the Windows Remote Shell with ShellId {shell_id} failed because the shell was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. Provide the correct ShellId or create a new shell and retry the operation. "),
            detail: Some("http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors"),
        }
    }

    /// `w:InvalidParameter` (2150858810): the CommandId is unknown.
    pub fn command_not_found(command_id: &str) -> Self {
        Fault {
            code: "s:Sender",
            subcode: "w:InvalidParameter",
            wsman_code: 2_150_858_810,
            text: format!("The request for the Windows Remote Shell with CommandId {command_id} failed because the command was not found. "),
            detail: None,
        }
    }

    /// `a:ActionNotSupported` (2150858771).
    pub fn action_not_supported(action: &str) -> Self {
        Fault {
            code: "s:Sender",
            subcode: "a:ActionNotSupported",
            wsman_code: 2_150_858_771,
            text: format!("The WS-Management service cannot process the request because the action {action} is not supported by the simulated cmd shell. "),
            detail: None,
        }
    }

    /// `w:DestinationUnreachable` (2150858752, ERROR_WSMAN_RESOURCE_NOT_FOUND).
    pub fn resource_not_found(uri: &str) -> Self {
        Fault {
            code: "s:Sender",
            subcode: "w:DestinationUnreachable",
            wsman_code: 2_150_858_752,
            text: format!("The WS-Management service cannot process the request. The resource URI ({uri}) was not found in the WS-Management catalog. "),
            detail: None,
        }
    }

    /// `w:SchemaValidationError` (2150858817): the request is not a usable envelope.
    pub fn schema(reason: &str) -> Self {
        Fault {
            code: "s:Sender",
            subcode: "w:SchemaValidationError",
            wsman_code: 2_150_858_817,
            text: format!("The SOAP XML in the message does not match the corresponding XML schema definition. Change the XML and retry. ({reason}) "),
            detail: None,
        }
    }

    /// `w:EncodingLimit` (2150858805): the request exceeds MaxEnvelopeSizekb.
    pub fn encoding_limit(max_kb: usize) -> Self {
        Fault {
            code: "s:Sender",
            subcode: "w:EncodingLimit",
            wsman_code: 2_150_858_805,
            text: format!("The WS-Management service cannot process the request because the request packet size exceeds the maximum envelope size of {max_kb} KB. "),
            detail: Some("http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/MaxEnvelopeSize"),
        }
    }
}

/// The fault envelope (send with HTTP 500).
pub fn fault_response(relates_to: Option<&str>, machine: &str, f: &Fault) -> String {
    let detail = f
        .detail
        .map(|d| format!("<w:FaultDetail>{d}</w:FaultDetail>"))
        .unwrap_or_default();
    let text = escape(&f.text);
    let body = format!(
        "<s:Fault><s:Code><s:Value>{code}</s:Value><s:Subcode><s:Value>{sub}</s:Value></s:Subcode></s:Code>\
<s:Reason><s:Text xml:lang=\"en-US\">{text}</s:Text></s:Reason><s:Detail>{detail}\
<f:WSManFault xmlns:f=\"{NS_WSMAN_FAULT}\" Code=\"{wc}\" Machine=\"{machine}\"><f:Message>{text}</f:Message></f:WSManFault>\
</s:Detail></s:Fault>",
        code = f.code,
        sub = f.subcode,
        wc = f.wsman_code,
        machine = escape(machine),
    );
    envelope(ACTION_FAULT, relates_to, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    // pywinrm's prefixes (env/a/w/rsp) and namespaces, abridged.
    const PYWINRM_COMMAND: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">
<env:Header><a:To>http://windows-host:5985/wsman</a:To>
<w:MaxEnvelopeSize mustUnderstand="true">153600</w:MaxEnvelopeSize>
<a:MessageID>uuid:11111111-2222-3333-4444-555555555555</a:MessageID>
<w:OperationTimeout>PT20S</w:OperationTimeout>
<w:ResourceURI mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>
<a:Action mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command</a:Action>
<w:SelectorSet><w:Selector Name="ShellId">ABC</w:Selector></w:SelectorSet>
<w:OptionSet><w:Option Name="WINRS_CONSOLEMODE_STDIN">TRUE</w:Option><w:Option Name="WINRS_SKIP_CMD_SHELL">FALSE</w:Option></w:OptionSet>
</env:Header><env:Body><rsp:CommandLine><rsp:Command>echo</rsp:Command><rsp:Arguments>a &amp; b</rsp:Arguments></rsp:CommandLine></env:Body></env:Envelope>"#;

    #[test]
    fn requests_parse_by_namespace_not_prefix() {
        let r = parse_request(PYWINRM_COMMAND).unwrap();
        assert_eq!(r.action, ACTION_COMMAND);
        assert_eq!(
            r.message_id.as_deref(),
            Some("uuid:11111111-2222-3333-4444-555555555555")
        );
        assert_eq!(r.shell_id.as_deref(), Some("ABC"));
        assert_eq!(r.operation_timeout, Some(Duration::from_secs(20)));
        assert_eq!(r.max_envelope_size, Some(153_600));
        assert_eq!(r.option("winrs_skip_cmd_shell"), Some("FALSE"));
        assert_eq!(
            r.body,
            Body::Command {
                command: "echo".into(),
                arguments: vec!["a & b".into()]
            }
        );
        // Same document with other prefixes and a default namespace for the shell elements.
        let other = PYWINRM_COMMAND
            .replace("env:", "soap:")
            .replace("xmlns:env", "xmlns:soap")
            .replace("a:", "wsa:")
            .replace("xmlns:a=", "xmlns:wsa=")
            .replace("<rsp:", "<")
            .replace("</rsp:", "</")
            .replace(
                "<CommandLine>",
                "<CommandLine xmlns=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\">",
            );
        assert_eq!(parse_request(&other).unwrap(), r);
        // A wrong namespace is not the same element.
        let wrong = PYWINRM_COMMAND.replace(
            "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\"",
            "xmlns:a=\"urn:other\"",
        );
        assert!(parse_request(&wrong).is_err());
    }

    #[test]
    fn durations_parse_like_windows_writes_them() {
        assert_eq!(parse_duration("PT60S"), Some(Duration::from_secs(60)));
        assert_eq!(
            parse_duration("PT60.500S"),
            Some(Duration::from_millis(60_500))
        );
        assert_eq!(parse_duration("PT1M30S"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("P0DT0H0M20S"), Some(Duration::from_secs(20)));
        assert_eq!(
            parse_duration("PT7200.000S"),
            Some(Duration::from_secs(7200))
        );
        assert_eq!(parse_duration("60"), None);
        assert_eq!(parse_duration("PTxS"), None);
        assert_eq!(format_duration(Duration::from_secs(7200)), "PT7200.000S");
    }

    #[test]
    fn receive_done_always_carries_an_exit_code() {
        let xml = receive_response(Some("uuid:X"), "C1", b"hi", b"", Some(0));
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let state = doc
            .descendants()
            .find(|n| n.tag_name().name() == "CommandState")
            .unwrap();
        assert_eq!(state.attribute("State"), Some(STATE_DONE));
        let code = state.children().find(|n| n.is_element()).unwrap();
        assert_eq!(code.tag_name().name(), "ExitCode");
        assert_eq!(code.text(), Some("0"));
        let running = receive_response(None, "C1", b"", b"", None);
        assert!(running.contains(STATE_RUNNING) && !running.contains("ExitCode"));
    }

    #[test]
    fn faults_are_well_formed_soap() {
        let xml = fault_response(Some("uuid:R"), "web01", &Fault::timed_out());
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let wsf = doc
            .descendants()
            .find(|n| n.tag_name().name() == "WSManFault")
            .unwrap();
        assert_eq!(wsf.attribute("Code"), Some("2150858793"));
        assert!(
            xml.contains("OperationTimeout") && xml.contains("<a:RelatesTo>uuid:R</a:RelatesTo>")
        );
    }
}
