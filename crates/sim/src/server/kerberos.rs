//! Kerberos for the simulated hosts (MS-WSMV over the `Negotiate` scheme with a bare Kerberos
//! token, as Windows' acceptor takes it): a GSSAPI acceptor context per connection from the
//! service keytab (`KRB5_KTNAME`), mutual authentication (the AP-REP goes back in
//! `WWW-Authenticate`), and Kerberos message sealing over HTTP.
//!
//! The sealed body is the MS-WSMV framing with a Kerberos security header: `u32le(header
//! length) ‖ header ‖ data`, where the header is the RFC 4121 wrap token header with the
//! rotation count (RRC) set to the trailer length, then the trailer (the encrypted header copy
//! and the checksum), then the confounder — the layout Windows sends (RFC 4121 §4.2.5: a
//! right rotation by RRC of the plain wrap token). MIT's `gss_unwrap` takes the rotated token
//! as it is; answers are sealed with `gss_wrap_iov` and laid out the same way.

use bytes::BytesMut;
use cross_krb5::{AcceptFlags, K5Ctx, K5ServerCtx, ServerCtx, Step};

use super::sealing::{self, SealError};

/// RFC 4121 wrap token identifier.
const TOK_ID_WRAP: [u8; 2] = [0x05, 0x04];
/// Wrap token header length (`TOK_ID` .. `SND_SEQ`).
const TOKEN_HEADER_LEN: usize = 16;

/// The service principal a client names for `address` (the host part of the endpoint URL).
pub fn service_principal(address: &str) -> String {
    format!("HTTP/{address}")
}

/// A context accepted from an AP-REQ: the context, the AP-REP to send back, and the client's
/// principal (`user@REALM`).
pub struct Accepted {
    pub ctx: ServerCtx,
    pub ap_rep: Vec<u8>,
    pub client: String,
}

impl std::fmt::Debug for Accepted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accepted")
            .field("client", &self.client)
            .finish()
    }
}

/// Whether a `Negotiate` token is Kerberos (a GSS-API initial context token or a bare AP-REQ)
/// rather than NTLMSSP.
pub fn is_kerberos_token(token: &[u8]) -> bool {
    !token.starts_with(b"NTLMSSP\0") && matches!(token.first(), Some(0x60 | 0x6e))
}

/// Accepts `ap_req` for `spn` with keys from the keytab.
pub fn accept(spn: &str, ap_req: &[u8]) -> Result<Accepted, String> {
    let pending = ServerCtx::new(AcceptFlags::empty(), Some(spn), None)
        .map_err(|e| format!("no keys for {spn} in the keytab: {e}"))?;
    match pending.step(ap_req) {
        Ok(Step::Finished((mut ctx, Some(ap_rep)))) => {
            let ap_rep = ap_rep.to_vec();
            let client = ctx.client().map_err(|e| format!("client name: {e}"))?;
            Ok(Accepted {
                ctx,
                ap_rep,
                client,
            })
        }
        Ok(Step::Finished((_, None))) => {
            Err("the AP-REQ did not ask for mutual authentication".into())
        }
        Ok(Step::Continue(_)) => Err("the acceptor wants another round trip".into()),
        Err(e) => Err(format!("AP-REQ refused: {e}")),
    }
}

/// Unseals a Kerberos-sealed request body (the MIME framing is [`sealing::parse`]'s).
pub fn unseal_request(ctx: &mut ServerCtx, body: &[u8]) -> Result<Vec<u8>, SealError> {
    let framed = sealing::parse(body)?;
    // The wrap token is the security header followed by the encrypted data.
    let mut token = Vec::with_capacity(framed.signature.len() + framed.sealed.len());
    token.extend_from_slice(framed.signature);
    token.extend_from_slice(framed.sealed);
    let plain = ctx
        .unwrap(&token)
        .map_err(|_| SealError::Framing("the Kerberos wrap token does not verify"))?;
    if plain.len() != framed.sealed.len() {
        return Err(SealError::Framing("plaintext length differs from Length"));
    }
    Ok(plain.to_vec())
}

/// Seals a response as Windows does (see the module documentation).
pub fn seal_response(ctx: &mut ServerCtx, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
    let iov = ctx
        .wrap_iov(true, BytesMut::from(plaintext))
        .map_err(|_| SealError::Framing("the acceptor cannot wrap"))?;
    let (header, rest) = iov.into_inner();
    let (data, rest) = rest.into_inner();
    let (padding, trailer) = rest.into_inner();
    if header.len() < TOKEN_HEADER_LEN || header[..2] != TOK_ID_WRAP {
        return Err(SealError::Framing("not an RFC 4121 wrap token"));
    }
    let (token_header, confounder) = header.split_at(TOKEN_HEADER_LEN);
    let rrc = u16::try_from(trailer.len()).map_err(|_| SealError::Framing("trailer too long"))?;
    let mut security = Vec::with_capacity(header.len() + trailer.len());
    security.extend_from_slice(&token_header[..6]);
    security.extend_from_slice(&rrc.to_be_bytes());
    security.extend_from_slice(&token_header[8..]);
    security.extend_from_slice(&trailer);
    security.extend_from_slice(confounder);
    let mut sealed = data.to_vec();
    sealed.extend_from_slice(&padding);
    Ok(sealing::frame(&security, &sealed))
}
