//! Server side of NTLMv2 (MS-NLMP): the CHALLENGE message, verification of the AUTHENTICATE
//! message against one configured user and password, and the session keys for signing and
//! sealing in both directions (extended session security, key exchange).
//!
//! Written for the simulator from the specification; tested against the MS-NLMP §4.2.4
//! NTLMv2 vectors. NTLMv1 and anonymous logons are refused.

use hmac::{Hmac, Mac};
use md4::Md4;
use md5::{Digest, Md5};
use rc4::{consts::U16, KeyInit, Rc4, StreamCipher};

/// `NTLMSSP\0`.
pub const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";

/// NTLMSSP_NEGOTIATE_UNICODE.
pub const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
/// NTLMSSP_REQUEST_TARGET.
pub const REQUEST_TARGET: u32 = 0x0000_0004;
/// NTLMSSP_NEGOTIATE_SIGN.
pub const NEGOTIATE_SIGN: u32 = 0x0000_0010;
/// NTLMSSP_NEGOTIATE_SEAL.
pub const NEGOTIATE_SEAL: u32 = 0x0000_0020;
/// NTLMSSP_NEGOTIATE_NTLM.
pub const NEGOTIATE_NTLM: u32 = 0x0000_0200;
/// NTLMSSP_NEGOTIATE_ALWAYS_SIGN.
pub const NEGOTIATE_ALWAYS_SIGN: u32 = 0x0000_8000;
/// NTLMSSP_TARGET_TYPE_SERVER.
pub const TARGET_TYPE_SERVER: u32 = 0x0002_0000;
/// NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY.
pub const NEGOTIATE_EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
/// NTLMSSP_NEGOTIATE_TARGET_INFO.
pub const NEGOTIATE_TARGET_INFO: u32 = 0x0080_0000;
/// NTLMSSP_NEGOTIATE_VERSION.
pub const NEGOTIATE_VERSION: u32 = 0x0200_0000;
/// NTLMSSP_NEGOTIATE_128.
pub const NEGOTIATE_128: u32 = 0x2000_0000;
/// NTLMSSP_NEGOTIATE_KEY_EXCH.
pub const NEGOTIATE_KEY_EXCH: u32 = 0x4000_0000;
/// NTLMSSP_NEGOTIATE_56.
pub const NEGOTIATE_56: u32 = 0x8000_0000;

const AV_EOL: u16 = 0;
const AV_NB_COMPUTER_NAME: u16 = 1;
const AV_NB_DOMAIN_NAME: u16 = 2;
const AV_DNS_COMPUTER_NAME: u16 = 3;
const AV_DNS_DOMAIN_NAME: u16 = 4;
const AV_FLAGS: u16 = 6;
const AV_TIMESTAMP: u16 = 7;
const AV_FLAG_MIC: u32 = 0x2;

/// Offset of the MIC in an AUTHENTICATE message that carries one (after the VERSION field).
const MIC_OFFSET: usize = 72;

/// Flags the server echoes when the client asks for them.
const ECHOED: u32 = NEGOTIATE_SIGN
    | NEGOTIATE_SEAL
    | NEGOTIATE_KEY_EXCH
    | NEGOTIATE_56
    | NEGOTIATE_128
    | NEGOTIATE_ALWAYS_SIGN;

/// Flags the server always sets, as a Windows workgroup server does.
const ALWAYS: u32 = NEGOTIATE_UNICODE
    | REQUEST_TARGET
    | NEGOTIATE_NTLM
    | TARGET_TYPE_SERVER
    | NEGOTIATE_EXTENDED_SESSIONSECURITY
    | NEGOTIATE_TARGET_INFO
    | NEGOTIATE_VERSION;

/// Windows Server 2022 (10.0.20348), NTLM revision 15.
const VERSION: [u8; 8] = [10, 0, 0x7c, 0x4f, 0, 0, 0, 15];

/// Why a message or a logon was refused. The text never contains secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NtlmError {
    /// The bytes are not the expected NTLM message.
    #[error("malformed NTLM message: {0}")]
    Malformed(&'static str),
    /// The logon is refused (unknown user, wrong password, NTLMv1, bad MIC, ...).
    #[error("logon refused: {0}")]
    Refused(&'static str),
    /// A sealed message does not verify.
    #[error("sealed message refused: {0}")]
    BadSeal(&'static str),
}

type HmacMd5 = Hmac<Md5>;

fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    let mut mac = <HmacMd5 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn from_utf16le(b: &[u8]) -> Option<String> {
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).ok()
}

/// NTOWFv1: MD4 of the UTF-16LE password.
pub fn nt_hash(password: &str) -> [u8; 16] {
    let mut h = Md4::new();
    h.update(utf16le(password));
    h.finalize().into()
}

/// NTOWFv2 (MS-NLMP §3.3.2): HMAC_MD5(NTOWFv1, UTF-16LE(Uppercase(user) ‖ domain)).
pub fn ntowf_v2(password: &str, user: &str, domain: &str) -> [u8; 16] {
    let identity = utf16le(&format!("{}{}", user.to_uppercase(), domain));
    hmac_md5(&nt_hash(password), &[&identity])
}

fn rc4_once(key: &[u8; 16], data: &mut [u8]) {
    let mut c = Rc4::<U16>::new(key.into());
    c.apply_keystream(data);
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The bytes a security buffer (len u16, maxlen u16, offset u32) at `at` points to.
fn sec_buf(msg: &[u8], at: usize) -> Result<&[u8], NtlmError> {
    let len = u16_at(msg, at).ok_or(NtlmError::Malformed("truncated header"))? as usize;
    let off = u32_at(msg, at + 4).ok_or(NtlmError::Malformed("truncated header"))? as usize;
    if len == 0 {
        return Ok(&[]);
    }
    msg.get(
        off..off
            .checked_add(len)
            .ok_or(NtlmError::Malformed("field overflows"))?,
    )
    .ok_or(NtlmError::Malformed("field outside the message"))
}

fn check_header(msg: &[u8], kind: u32) -> Result<(), NtlmError> {
    if msg.len() < 12 || &msg[..8] != SIGNATURE {
        return Err(NtlmError::Malformed("no NTLMSSP signature"));
    }
    if u32_at(msg, 8) != Some(kind) {
        return Err(NtlmError::Malformed("unexpected message type"));
    }
    Ok(())
}

/// The message type (1, 2, 3) of an NTLMSSP token, if it is one.
pub fn message_type(token: &[u8]) -> Option<u32> {
    if token.len() >= 12 && &token[..8] == SIGNATURE {
        u32_at(token, 8)
    } else {
        None
    }
}

/// Iterates the AV_PAIRs of a target info block.
fn av_pairs(mut ti: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let id = u16_at(ti, 0)?;
        let len = u16_at(ti, 2)? as usize;
        if id == AV_EOL {
            return None;
        }
        let value = ti.get(4..4 + len)?;
        ti = &ti[4 + len..];
        Some((id, value))
    })
}

/// Current time as a Windows FILETIME (100 ns since 1601-01-01).
pub fn filetime_now() -> u64 {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (unix.as_secs() + 11_644_473_600) * 10_000_000 + u64::from(unix.subsec_nanos() / 100)
}

/// The names a virtual host announces in its CHALLENGE message.
#[derive(Debug, Clone)]
pub struct ServerNames {
    /// NetBIOS computer name (upper case, at most 15 characters).
    pub netbios: String,
    /// DNS computer name.
    pub dns: String,
}

impl ServerNames {
    /// Names for a workgroup host called `name`.
    pub fn for_host(name: &str) -> Self {
        let netbios: String = name
            .split('.')
            .next()
            .unwrap_or(name)
            .to_uppercase()
            .chars()
            .take(15)
            .collect();
        ServerNames {
            netbios,
            dns: name.to_ascii_lowercase(),
        }
    }
}

/// Builds the target info block: NetBIOS domain and computer names, DNS domain and computer
/// names, a timestamp (so clients add a MIC), EOL. A workgroup server is its own domain.
fn target_info(names: &ServerNames, timestamp: u64) -> Vec<u8> {
    let mut ti = Vec::new();
    let mut push = |id: u16, value: &[u8]| {
        ti.extend_from_slice(&id.to_le_bytes());
        ti.extend_from_slice(&(value.len() as u16).to_le_bytes());
        ti.extend_from_slice(value);
    };
    push(AV_NB_DOMAIN_NAME, &utf16le(&names.netbios));
    push(AV_NB_COMPUTER_NAME, &utf16le(&names.netbios));
    push(AV_DNS_DOMAIN_NAME, &utf16le(&names.dns));
    push(AV_DNS_COMPUTER_NAME, &utf16le(&names.dns));
    push(AV_TIMESTAMP, &timestamp.to_le_bytes());
    push(AV_EOL, &[]);
    ti
}

/// The server's half of one handshake, kept on the connection between the CHALLENGE and the
/// AUTHENTICATE message.
#[derive(Debug, Clone)]
pub struct Challenge {
    negotiate: Vec<u8>,
    challenge: Vec<u8>,
    server_challenge: [u8; 8],
}

impl Challenge {
    /// Answers a NEGOTIATE message with a CHALLENGE (returned by [`Challenge::message`]).
    pub fn new(
        negotiate: &[u8],
        names: &ServerNames,
        server_challenge: [u8; 8],
        timestamp: u64,
    ) -> Result<Self, NtlmError> {
        check_header(negotiate, 1)?;
        let client_flags =
            u32_at(negotiate, 12).ok_or(NtlmError::Malformed("NEGOTIATE without flags"))?;
        if client_flags & NEGOTIATE_UNICODE == 0 {
            return Err(NtlmError::Malformed("OEM-only clients are not supported"));
        }
        let flags = ALWAYS | (client_flags & ECHOED);
        let target_name = utf16le(&names.netbios);
        let ti = target_info(names, timestamp);
        let payload = 56usize;
        let mut m = Vec::with_capacity(payload + target_name.len() + ti.len());
        m.extend_from_slice(SIGNATURE);
        m.extend_from_slice(&2u32.to_le_bytes());
        m.extend_from_slice(&(target_name.len() as u16).to_le_bytes());
        m.extend_from_slice(&(target_name.len() as u16).to_le_bytes());
        m.extend_from_slice(&(payload as u32).to_le_bytes());
        m.extend_from_slice(&flags.to_le_bytes());
        m.extend_from_slice(&server_challenge);
        m.extend_from_slice(&[0u8; 8]);
        m.extend_from_slice(&(ti.len() as u16).to_le_bytes());
        m.extend_from_slice(&(ti.len() as u16).to_le_bytes());
        m.extend_from_slice(&((payload + target_name.len()) as u32).to_le_bytes());
        m.extend_from_slice(&VERSION);
        m.extend_from_slice(&target_name);
        m.extend_from_slice(&ti);
        Ok(Challenge {
            negotiate: negotiate.to_vec(),
            challenge: m,
            server_challenge,
        })
    }

    /// The CHALLENGE message bytes.
    pub fn message(&self) -> &[u8] {
        &self.challenge
    }

    /// Verifies an AUTHENTICATE message for `user`/`password` (user name compared without
    /// regard to case; any domain, as for a local account) and derives the session.
    pub fn accept(
        &self,
        authenticate: &[u8],
        user: &str,
        password: &str,
    ) -> Result<Session, NtlmError> {
        let msg = Authenticate::parse(authenticate)?;
        if !msg.user.eq_ignore_ascii_case(user) && msg.user.to_lowercase() != user.to_lowercase() {
            return Err(NtlmError::Refused("unknown user"));
        }
        let keys = verify_ntlmv2(&msg, &self.server_challenge, password)?;
        if let Some(mic) = msg.mic {
            let mut zeroed = authenticate.to_vec();
            zeroed[MIC_OFFSET..MIC_OFFSET + 16].fill(0);
            let expected = hmac_md5(
                &keys.exported_session_key,
                &[&self.negotiate, &self.challenge, &zeroed],
            );
            if expected != mic {
                return Err(NtlmError::Refused("MIC does not verify"));
            }
        }
        Session::new(msg.flags, &keys.exported_session_key)
    }
}

/// The fields of an AUTHENTICATE message the server uses.
#[derive(Debug, Clone)]
pub struct Authenticate {
    /// NtChallengeResponse.
    pub nt_response: Vec<u8>,
    /// User name.
    pub user: String,
    /// Domain name as sent.
    pub domain: String,
    /// Workstation name.
    pub workstation: String,
    /// EncryptedRandomSessionKey (empty without key exchange).
    pub encrypted_session_key: Vec<u8>,
    /// NegotiateFlags.
    pub flags: u32,
    /// The MIC, when the client announced one (MsvAvFlags bit 0x2).
    pub mic: Option<[u8; 16]>,
}

impl Authenticate {
    /// Parses an AUTHENTICATE message (Unicode strings only).
    pub fn parse(m: &[u8]) -> Result<Self, NtlmError> {
        check_header(m, 3)?;
        let flags = u32_at(m, 60).ok_or(NtlmError::Malformed("AUTHENTICATE too short"))?;
        if flags & NEGOTIATE_UNICODE == 0 {
            return Err(NtlmError::Malformed("OEM strings are not supported"));
        }
        let nt_response = sec_buf(m, 20)?.to_vec();
        let text = |at| -> Result<String, NtlmError> {
            from_utf16le(sec_buf(m, at)?).ok_or(NtlmError::Malformed("bad UTF-16 string"))
        };
        let domain = text(28)?;
        let user = text(36)?;
        let workstation = text(44)?;
        let encrypted_session_key = sec_buf(m, 52)?.to_vec();
        let mut mic = None;
        if nt_response.len() > 44 {
            let announced = av_pairs(&nt_response[44..]).any(|(id, v)| {
                id == AV_FLAGS && u32_at(v, 0).is_some_and(|f| f & AV_FLAG_MIC != 0)
            });
            if announced {
                let bytes = m
                    .get(MIC_OFFSET..MIC_OFFSET + 16)
                    .ok_or(NtlmError::Malformed("MIC announced but absent"))?;
                mic = Some(bytes.try_into().expect("16 bytes"));
            }
        }
        Ok(Authenticate {
            nt_response,
            user,
            domain,
            workstation,
            encrypted_session_key,
            flags,
            mic,
        })
    }
}

/// Keys of a verified NTLMv2 logon.
#[derive(Clone)]
pub struct LogonKeys {
    /// SessionBaseKey = HMAC_MD5(NTOWFv2, NTProofStr) (also the KeyExchangeKey in NTLMv2).
    pub session_base_key: [u8; 16],
    /// ExportedSessionKey: the client's random session key under key exchange, else the base key.
    pub exported_session_key: [u8; 16],
}

impl std::fmt::Debug for LogonKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogonKeys(<redacted>)")
    }
}

/// Checks the NTProofStr of an NTLMv2 response and derives the session keys.
pub fn verify_ntlmv2(
    msg: &Authenticate,
    server_challenge: &[u8; 8],
    password: &str,
) -> Result<LogonKeys, NtlmError> {
    if msg.user.is_empty() {
        return Err(NtlmError::Refused("anonymous logon"));
    }
    // 16-byte NTProofStr + a client challenge blob of at least 28 bytes; 24 bytes is NTLMv1.
    if msg.nt_response.len() < 16 + 28 {
        return Err(NtlmError::Refused("not an NTLMv2 response"));
    }
    let (proof, blob) = msg.nt_response.split_at(16);
    if blob[0] != 1 || blob[1] != 1 {
        return Err(NtlmError::Refused("unknown NTLMv2 response version"));
    }
    let key = ntowf_v2(password, &msg.user, &msg.domain);
    let expected = hmac_md5(&key, &[server_challenge, blob]);
    if expected[..] != proof[..] {
        return Err(NtlmError::Refused("wrong password"));
    }
    let session_base_key = hmac_md5(&key, &[proof]);
    let mut exported_session_key = session_base_key;
    if msg.flags & NEGOTIATE_KEY_EXCH != 0 {
        if msg.encrypted_session_key.len() != 16 {
            return Err(NtlmError::Malformed(
                "key exchange without a 16-byte session key",
            ));
        }
        exported_session_key.copy_from_slice(&msg.encrypted_session_key);
        rc4_once(&session_base_key, &mut exported_session_key);
    }
    Ok(LogonKeys {
        session_base_key,
        exported_session_key,
    })
}

const CLIENT_SIGN: &[u8] = b"session key to client-to-server signing key magic constant\0";
const SERVER_SIGN: &[u8] = b"session key to server-to-client signing key magic constant\0";
const CLIENT_SEAL: &[u8] = b"session key to client-to-server sealing key magic constant\0";
const SERVER_SEAL: &[u8] = b"session key to server-to-client sealing key magic constant\0";

/// SIGNKEY (MS-NLMP §3.4.5.2).
pub fn sign_key(exported: &[u8; 16], client_to_server: bool) -> [u8; 16] {
    md5(&[
        exported,
        if client_to_server {
            CLIENT_SIGN
        } else {
            SERVER_SIGN
        },
    ])
}

/// SEALKEY (MS-NLMP §3.4.5.3) with extended session security.
pub fn seal_key(flags: u32, exported: &[u8; 16], client_to_server: bool) -> [u8; 16] {
    let base: &[u8] = if flags & NEGOTIATE_128 != 0 {
        exported
    } else if flags & NEGOTIATE_56 != 0 {
        &exported[..7]
    } else {
        &exported[..5]
    };
    md5(&[
        base,
        if client_to_server {
            CLIENT_SEAL
        } else {
            SERVER_SEAL
        },
    ])
}

/// One direction of a sealing session: signing key, RC4 handle, sequence number.
pub struct Direction {
    sign_key: [u8; 16],
    rc4: Rc4<U16>,
    seq: u32,
    key_exch: bool,
}

impl std::fmt::Debug for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Direction").field("seq", &self.seq).finish()
    }
}

impl Direction {
    /// A direction keyed from the exported session key.
    pub fn new(flags: u32, exported: &[u8; 16], client_to_server: bool) -> Self {
        let seal = seal_key(flags, exported, client_to_server);
        Direction {
            sign_key: sign_key(exported, client_to_server),
            rc4: Rc4::<U16>::new((&seal).into()),
            seq: 0,
            key_exch: flags & NEGOTIATE_KEY_EXCH != 0,
        }
    }

    fn checksum(&mut self, seq: u32, plaintext: &[u8]) -> [u8; 8] {
        let mac = hmac_md5(&self.sign_key, &[&seq.to_le_bytes(), plaintext]);
        let mut c: [u8; 8] = mac[..8].try_into().expect("8 bytes");
        if self.key_exch {
            self.rc4.apply_keystream(&mut c);
        }
        c
    }

    /// Seals `data` in place (GSS_WrapEx) and returns the 16-byte signature.
    pub fn seal(&mut self, data: &mut [u8]) -> [u8; 16] {
        let seq = self.seq;
        let mac = hmac_md5(&self.sign_key, &[&seq.to_le_bytes(), data]);
        self.rc4.apply_keystream(data);
        let mut c: [u8; 8] = mac[..8].try_into().expect("8 bytes");
        if self.key_exch {
            self.rc4.apply_keystream(&mut c);
        }
        self.seq = self.seq.wrapping_add(1);
        let mut sig = [0u8; 16];
        sig[..4].copy_from_slice(&1u32.to_le_bytes());
        sig[4..12].copy_from_slice(&c);
        sig[12..].copy_from_slice(&seq.to_le_bytes());
        sig
    }

    /// Unseals `data` in place (GSS_UnwrapEx) and checks `signature` (version, checksum and
    /// sequence number). On failure the session is no longer usable.
    pub fn unseal(&mut self, data: &mut [u8], signature: &[u8]) -> Result<(), NtlmError> {
        if signature.len() != 16 || u32_at(signature, 0) != Some(1) {
            return Err(NtlmError::BadSeal("bad signature header"));
        }
        let seq = self.seq;
        if u32_at(signature, 12) != Some(seq) {
            return Err(NtlmError::BadSeal("unexpected sequence number"));
        }
        self.rc4.apply_keystream(data);
        let expected = self.checksum(seq, data);
        self.seq = self.seq.wrapping_add(1);
        if expected[..] != signature[4..12] {
            return Err(NtlmError::BadSeal("checksum does not verify"));
        }
        Ok(())
    }
}

/// An authenticated NTLM session: flags and, when signing or sealing was negotiated, the
/// server's two directions.
#[derive(Debug)]
pub struct Session {
    /// Negotiated flags (from the AUTHENTICATE message).
    pub flags: u32,
    /// Client-to-server direction (unsealing requests).
    pub inbound: Direction,
    /// Server-to-client direction (sealing responses).
    pub outbound: Direction,
}

impl Session {
    /// Derives both directions from the exported session key.
    pub fn new(flags: u32, exported: &[u8; 16]) -> Result<Self, NtlmError> {
        if flags & (NEGOTIATE_SEAL | NEGOTIATE_SIGN) != 0
            && flags & NEGOTIATE_EXTENDED_SESSIONSECURITY == 0
        {
            return Err(NtlmError::Refused(
                "signing without extended session security is not supported",
            ));
        }
        Ok(Session {
            flags,
            inbound: Direction::new(flags, exported, true),
            outbound: Direction::new(flags, exported, false),
        })
    }

    /// Whether sealing was negotiated.
    pub fn can_seal(&self) -> bool {
        self.flags & NEGOTIATE_SEAL != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // MS-NLMP §4.2.4: user "User", domain "Domain", password "Password", server challenge
    // 0123456789abcdef, client challenge aa*8, time 0, random session key 55*16.
    const SERVER_CHALLENGE: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];

    // §4.2.4.3, the AUTHENTICATE_MESSAGE of the example.
    const AUTHENTICATE: &str = "
        4e 54 4c 4d 53 53 50 00 03 00 00 00 18 00 18 00
        6c 00 00 00 54 00 54 00 84 00 00 00 0c 00 0c 00
        48 00 00 00 08 00 08 00 54 00 00 00 10 00 10 00
        5c 00 00 00 10 00 10 00 d8 00 00 00 35 82 88 e2
        05 01 28 0a 00 00 00 0f 44 00 6f 00 6d 00 61 00
        69 00 6e 00 55 00 73 00 65 00 72 00 43 00 4f 00
        4d 00 50 00 55 00 54 00 45 00 52 00 86 c3 50 97
        ac 9c ec 10 25 54 76 4a 57 cc cc 19 aa aa aa aa
        aa aa aa aa 68 cd 0a b8 51 e5 1c 96 aa bc 92 7b
        eb ef 6a 1c 01 01 00 00 00 00 00 00 00 00 00 00
        00 00 00 00 aa aa aa aa aa aa aa aa 00 00 00 00
        02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00
        01 00 0c 00 53 00 65 00 72 00 76 00 65 00 72 00
        00 00 00 00 00 00 00 00 c5 da d2 54 4f c9 79 90
        94 ce 1c e9 0b c9 d0 3e";

    #[test]
    fn ntowfv2_matches_ms_nlmp_4_2_4_1_1() {
        assert_eq!(
            ntowf_v2("Password", "User", "Domain").to_vec(),
            hex("0c868a403bfd7a93a3001ef22ef02e3f")
        );
    }

    #[test]
    fn authenticate_message_of_4_2_4_3_verifies_and_yields_the_session_keys() {
        let m = hex(AUTHENTICATE);
        assert_eq!(m.len(), 0xe8);
        let msg = Authenticate::parse(&m).unwrap();
        assert_eq!(msg.user, "User");
        assert_eq!(msg.domain, "Domain");
        assert_eq!(msg.workstation, "COMPUTER");
        assert_eq!(msg.flags, 0xe288_8235);
        assert!(msg.mic.is_none());
        // NTProofStr, §4.2.4.2.2.
        assert_eq!(
            msg.nt_response[..16].to_vec(),
            hex("68cd0ab851e51c96aabc927bebef6a1c")
        );
        let keys = verify_ntlmv2(&msg, &SERVER_CHALLENGE, "Password").unwrap();
        // Session base key, §4.2.4.1.2.
        assert_eq!(
            keys.session_base_key.to_vec(),
            hex("8de40ccadbc14a82f15cb0ad0de95ca3")
        );
        // Key exchange: the encrypted random session key decrypts to 55*16.
        assert_eq!(keys.exported_session_key, [0x55; 16]);
        assert!(matches!(
            verify_ntlmv2(&msg, &SERVER_CHALLENGE, "password"),
            Err(NtlmError::Refused("wrong password"))
        ));
    }

    #[test]
    fn sealing_matches_ms_nlmp_4_2_4_4() {
        let flags = 0xe288_8235;
        let exported = [0x55u8; 16];
        assert_eq!(
            seal_key(flags, &exported, true).to_vec(),
            hex("59f600973cc4960a25480a7c196e4c58")
        );
        assert_eq!(
            sign_key(&exported, true).to_vec(),
            hex("4788dc861b4782f35d43fd98fe1a2d39")
        );
        let mut client = Direction::new(flags, &exported, true);
        let mut data = utf16le("Plaintext");
        let sig = client.seal(&mut data);
        assert_eq!(data, hex("54e50165bf1936dc996020c1811b0f06fb5f"));
        assert_eq!(sig.to_vec(), hex("010000007fb38ec5c55d497600000000"));
        // The server's inbound direction unseals it.
        let mut server_in = Direction::new(flags, &exported, true);
        server_in.unseal(&mut data, &sig).unwrap();
        assert_eq!(data, utf16le("Plaintext"));
    }

    #[test]
    fn tampering_and_replay_are_refused() {
        let flags = 0xe288_8235;
        let k = [7u8; 16];
        let mut client = Direction::new(flags, &k, true);
        let mut server = Direction::new(flags, &k, true);
        let mut a = b"first".to_vec();
        let sa = client.seal(&mut a);
        let mut b = b"second".to_vec();
        let sb = client.seal(&mut b);
        server.unseal(&mut a, &sa).unwrap();
        b[0] ^= 1;
        assert!(server.unseal(&mut b, &sb).is_err());
        let mut replay = Direction::new(flags, &k, true);
        let mut c = b"x".to_vec();
        let sc = Direction::new(flags, &k, true).seal(&mut c);
        replay.unseal(&mut c.clone(), &sc).unwrap();
        assert!(replay.unseal(&mut c, &sc).is_err(), "sequence 0 twice");
    }

    #[test]
    fn challenge_carries_the_names_timestamp_and_echoed_flags() {
        let mut negotiate = SIGNATURE.to_vec();
        negotiate.extend_from_slice(&1u32.to_le_bytes());
        negotiate.extend_from_slice(&0xe208_8235u32.to_le_bytes());
        negotiate.extend_from_slice(&[0u8; 16]);
        let names = ServerNames::for_host("web01");
        let ch = Challenge::new(&negotiate, &names, [9; 8], 42).unwrap();
        let m = ch.message();
        assert_eq!(message_type(m), Some(2));
        let flags = u32_at(m, 20).unwrap();
        for f in [
            NEGOTIATE_SEAL,
            NEGOTIATE_SIGN,
            NEGOTIATE_KEY_EXCH,
            NEGOTIATE_128,
            NEGOTIATE_EXTENDED_SESSIONSECURITY,
            NEGOTIATE_TARGET_INFO,
            NEGOTIATE_UNICODE,
        ] {
            assert_ne!(flags & f, 0, "{f:#x}");
        }
        assert_eq!(&m[24..32], &[9; 8]);
        let ti = sec_buf(m, 40).unwrap();
        let ids: Vec<u16> = av_pairs(ti).map(|(id, _)| id).collect();
        assert_eq!(ids, [2, 1, 4, 3, 7]);
        let name = av_pairs(ti).find(|(id, _)| *id == 1).unwrap().1;
        assert_eq!(from_utf16le(name).unwrap(), "WEB01");
    }
}
