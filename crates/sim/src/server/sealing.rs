//! Message sealing over HTTP (MS-WSMV §2.2.9.1.1): the `multipart/encrypted` framing
//! ("Encrypted Boundary") of sealed requests and responses, shared by NTLM (a 16-byte signature
//! as the security header, below) and Kerberos (a wrap-token header, `kerberos.rs`).
//!
//! ```text
//! --Encrypted Boundary\r\n
//! \tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
//! \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=N\r\n
//! --Encrypted Boundary\r\n
//! \tContent-Type: application/octet-stream\r\n
//! u32le(16) ‖ 16-byte signature ‖ N sealed bytes
//! --Encrypted Boundary--\r\n                 (no CRLF before it)
//! ```
//!
//! Parsing is strict like Windows Server 2025: anything else (a CRLF before the closing
//! boundary included) is refused, and the server answers HTTP 400.

use super::ntlm::{NtlmError, Session};

/// HTTP `Content-Type` of a sealed message.
pub const CONTENT_TYPE: &str = "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";boundary=\"Encrypted Boundary\"";

const OPEN: &[u8] = b"--Encrypted Boundary\r\n";
const CLOSE: &[u8] = b"--Encrypted Boundary--\r\n";
const PROTOCOL: &str = "application/HTTP-SPNEGO-session-encrypted";
const OCTET: &[u8] = b"\tContent-Type: application/octet-stream\r\n";

/// Whether a request `Content-Type` announces a sealed body.
pub fn is_sealed(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        let ct = ct.to_ascii_lowercase();
        ct.starts_with("multipart/encrypted") && ct.contains(&PROTOCOL.to_ascii_lowercase())
    })
}

/// Why a sealed body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The MIME framing is wrong.
    #[error("bad sealed framing: {0}")]
    Framing(&'static str),
    /// The NTLM signature or sequence number does not verify.
    #[error(transparent)]
    Ntlm(#[from] NtlmError),
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The parts of a sealed body: security header and ciphertext (whose length the MIME header
/// announced).
#[derive(Debug, PartialEq, Eq)]
pub struct Framed<'a> {
    /// The security header: NTLM's 16-byte NTLMSSP_MESSAGE_SIGNATURE, or a Kerberos wrap-token
    /// header.
    pub signature: &'a [u8],
    /// The sealed bytes.
    pub sealed: &'a [u8],
}

/// Splits a sealed body into security header and ciphertext.
pub fn parse(body: &[u8]) -> Result<Framed<'_>, SealError> {
    let rest = body
        .strip_prefix(OPEN)
        .ok_or(SealError::Framing("no opening boundary"))?;
    let header_end = find(rest, OPEN).ok_or(SealError::Framing("no second boundary"))?;
    let header = std::str::from_utf8(&rest[..header_end])
        .map_err(|_| SealError::Framing("header is not text"))?;
    if !header.contains(PROTOCOL) {
        return Err(SealError::Framing("not HTTP-SPNEGO-session-encrypted"));
    }
    let length: usize = header
        .split_once("Length=")
        .map(|(_, v)| v.trim_end())
        .and_then(|v| v.parse().ok())
        .ok_or(SealError::Framing("no Length in OriginalContent"))?;
    let rest = &rest[header_end + OPEN.len()..];
    let rest = rest
        .strip_prefix(OCTET)
        .ok_or(SealError::Framing("no application/octet-stream part"))?;
    let sig_len = rest
        .get(..4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
        .ok_or(SealError::Framing("truncated signature length"))?;
    let data_at = 4 + sig_len;
    let signature = rest
        .get(4..data_at)
        .ok_or(SealError::Framing("truncated signature"))?;
    let end = data_at
        .checked_add(length)
        .filter(|end| *end <= rest.len())
        .ok_or(SealError::Framing("payload shorter than its Length"))?;
    let sealed = &rest[data_at..end];
    if &rest[end..] != CLOSE {
        return Err(SealError::Framing(
            "the payload is not followed by exactly the closing boundary",
        ));
    }
    Ok(Framed { signature, sealed })
}

/// Frames sealed bytes and their security header as a sealed body.
pub fn frame(signature: &[u8], sealed: &[u8]) -> Vec<u8> {
    let header = format!(
        "\tContent-Type: {PROTOCOL}\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={}\r\n",
        sealed.len()
    );
    let mut out =
        Vec::with_capacity(2 * OPEN.len() + header.len() + OCTET.len() + 20 + sealed.len() + 24);
    out.extend_from_slice(OPEN);
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(OPEN);
    out.extend_from_slice(OCTET);
    out.extend_from_slice(&(signature.len() as u32).to_le_bytes());
    out.extend_from_slice(signature);
    out.extend_from_slice(sealed);
    out.extend_from_slice(CLOSE);
    out
}

/// Unseals a sealed request body with the session's client-to-server direction.
pub fn unseal_request(session: &mut Session, body: &[u8]) -> Result<Vec<u8>, SealError> {
    let framed = parse(body)?;
    if framed.signature.len() != 16 {
        return Err(SealError::Framing("signature length is not 16"));
    }
    let mut data = framed.sealed.to_vec();
    session.inbound.unseal(&mut data, framed.signature)?;
    Ok(data)
}

/// Seals a response body with the session's server-to-client direction.
pub fn seal_response(session: &mut Session, mut plaintext: Vec<u8>) -> Vec<u8> {
    let signature = session.outbound.seal(&mut plaintext);
    frame(&signature, &plaintext)
}

#[cfg(test)]
mod tests {
    use super::super::ntlm::{Direction, Session};
    use super::*;

    const FLAGS: u32 = 0xe288_8235;

    #[test]
    fn a_client_sealed_request_unseals_and_the_reply_unseals_on_the_client() {
        let key = [3u8; 16];
        let mut server = Session::new(FLAGS, &key).unwrap();
        let mut client_out = Direction::new(FLAGS, &key, true);
        let mut client_in = Direction::new(FLAGS, &key, false);

        let mut msg = b"<s:Envelope/>".to_vec();
        let sig = client_out.seal(&mut msg);
        let body = frame(&sig, &msg);
        assert!(body.ends_with(b"--Encrypted Boundary--\r\n"));
        assert!(!body.ends_with(b"\r\n--Encrypted Boundary--\r\n"));
        assert_eq!(
            unseal_request(&mut server, &body).unwrap(),
            b"<s:Envelope/>"
        );

        let reply = seal_response(&mut server, b"<ok/>".to_vec());
        let framed = parse(&reply).unwrap();
        let mut data = framed.sealed.to_vec();
        client_in.unseal(&mut data, framed.signature).unwrap();
        assert_eq!(data, b"<ok/>");
    }

    #[test]
    fn framing_mistakes_are_refused() {
        let sig = [0u8; 16];
        let good = frame(&sig, b"abc");
        assert!(parse(&good).is_ok());
        let mut crlf = good[..good.len() - CLOSE.len()].to_vec();
        crlf.extend_from_slice(b"\r\n");
        crlf.extend_from_slice(CLOSE);
        assert!(parse(&crlf).is_err(), "CRLF before the closing boundary");
        assert!(parse(&good[..good.len() - 3]).is_err());
        assert!(parse(b"<s:Envelope/>").is_err());
        let long = String::from_utf8_lossy(&good).replace("Length=3", "Length=9");
        assert!(parse(long.as_bytes()).is_err());
    }

    #[test]
    fn sealed_content_type_is_recognised() {
        assert!(is_sealed(Some(CONTENT_TYPE)));
        assert!(is_sealed(Some(
            "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";boundary=\"Encrypted Boundary\""
        )));
        assert!(!is_sealed(Some("application/soap+xml;charset=UTF-8")));
        assert!(!is_sealed(None));
    }
}
