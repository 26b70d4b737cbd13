//! HTTP side: one hyper HTTP/1.1 connection per TCP connection, authentication (Basic, NTLM
//! kept per connection), sealed bodies, and the transport faults (reset, slow drip, delay).
//!
//! As a Windows listener does:
//! - `POST /wsman` only (other methods: 405 `Allow: POST`; other paths: 404);
//!   `Server: Microsoft-HTTPAPI/2.0` on every response;
//! - no or bad credentials: 401 with an empty reason phrase and one `WWW-Authenticate` per
//!   offered scheme (`Negotiate`, `Basic realm="WSMAN"`); a rejected attempt also closes;
//! - NTLM: raw NTLMSSP tokens under `Negotiate` (or `NTLM`); the NEGOTIATE gets a 401 whose
//!   only `WWW-Authenticate` carries the CHALLENGE; the AUTHENTICATE must come on the same TCP
//!   connection; with an empty body it gets an empty 200 (the set-up of sealing), with a body
//!   that body is run unsealed. Later requests on the connection carry no `Authorization`
//!   and are sealed (`multipart/encrypted`); responses and faults to them are sealed too.
//!   A new NEGOTIATE restarts authentication. SPNEGO-wrapped tokens are refused (401);
//! - a sealed body on a connection without a session, or bad framing or signature: 400;
//! - an unencrypted body over HTTP with `allow_unencrypted = false`: empty 500;
//! - SOAP faults: 500 with the fault envelope.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, ALLOW, AUTHORIZATION, CONNECTION, CONTENT_TYPE, SERVER, WWW_AUTHENTICATE,
};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use secrecy::ExposeSecret;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

use super::ntlm::{self, Challenge, Session};
use super::sealing;
use super::shell::{Caller, Host, HostCounters};
use super::soap;
use super::Settings;

type Resp = Response<Full<Bytes>>;

/// `Server` header of every response, as HTTP.sys sends it.
pub const SERVER_HEADER: &str = "Microsoft-HTTPAPI/2.0";
const SOAP_CONTENT_TYPE: &str = "application/soap+xml;charset=UTF-8";

/// Authentication state of one TCP connection.
#[derive(Default)]
enum AuthState {
    #[default]
    None,
    Challenged(Challenge),
    Ntlm {
        user: String,
        session: Box<Session>,
    },
    #[cfg(feature = "kerberos")]
    Kerberos {
        user: String,
        ctx: Box<cross_krb5::ServerCtx>,
    },
}

/// Everything one connection's requests share.
struct Conn {
    shared: Arc<Settings>,
    host: Arc<Host>,
    peer: SocketAddr,
    local_port: u16,
    auth: Mutex<AuthState>,
    reset: Arc<AtomicBool>,
}

/// Serves one accepted TCP connection until it closes.
pub(crate) async fn serve_connection(
    shared: Arc<Settings>,
    host: Arc<Host>,
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    HostCounters::add(&host.counters.connections, 1);
    let _ = stream.set_nodelay(true);
    let local_port = stream.local_addr().map(|a| a.port()).unwrap_or_default();
    if host.faults.reset() {
        // Close with RST instead of FIN.
        #[allow(deprecated)]
        let _ = stream.set_linger(Some(Duration::ZERO));
    }
    let reset = Arc::new(AtomicBool::new(false));
    let io = FaultIo::new(stream, host.faults.slow_drip(), reset.clone());
    let conn = Arc::new(Conn {
        shared,
        host,
        peer,
        local_port,
        auth: Mutex::new(AuthState::None),
        reset,
    });
    match tls {
        Some(acceptor) => match acceptor.accept(io).await {
            Ok(tls_stream) => run_http(conn, tls_stream).await,
            Err(e) => tracing::debug!(host = %conn.host.name, error = %e, "TLS handshake failed"),
        },
        None => run_http(conn, io).await,
    }
}

async fn run_http<I>(conn: Arc<Conn>, io: I)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let conn = conn.clone();
        async move { Ok::<_, Infallible>(handle(&conn, req).await) }
    });
    let result = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .keep_alive(true)
        .title_case_headers(true)
        .serve_connection(TokioIo::new(io), service)
        .await;
    if let Err(e) = result {
        tracing::trace!(error = %e, "connection ended");
    }
}

fn base(status: StatusCode, body: Vec<u8>) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(SERVER, HeaderValue::from_static(SERVER_HEADER));
    r
}

fn soap_resp(status: StatusCode, xml: String) -> Resp {
    let mut r = base(status, xml.into_bytes());
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(SOAP_CONTENT_TYPE));
    r
}

/// HTTP 401 as Windows sends it: empty reason phrase, one `WWW-Authenticate` per enabled
/// scheme (`Negotiate` first), no body.
fn unauthorized(conn: &Conn, close: bool) -> Resp {
    let mut r = base(StatusCode::UNAUTHORIZED, Vec::new());
    r.extensions_mut()
        .insert(hyper::ext::ReasonPhrase::from_static(b""));
    let h = r.headers_mut();
    if conn.shared.auth.ntlm() {
        h.append(WWW_AUTHENTICATE, HeaderValue::from_static("Negotiate"));
    }
    if conn.shared.auth.basic() {
        h.append(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"WSMAN\""),
        );
    }
    if close {
        h.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

fn reject(conn: &Conn) -> Resp {
    HostCounters::add(&conn.host.counters.auth_failures, 1);
    *conn.auth.lock().unwrap_or_else(|e| e.into_inner()) = AuthState::None;
    unauthorized(conn, true)
}

async fn handle(conn: &Conn, req: Request<Incoming>) -> Resp {
    let host = &conn.host;
    HostCounters::add(&host.counters.requests, 1);
    let resp = route(conn, req).await;
    if let Some(d) = host.faults.delay_first_byte() {
        tokio::time::sleep(d).await;
    }
    HostCounters::add(
        &host.counters.bytes_out,
        hyper::body::Body::size_hint(resp.body())
            .exact()
            .unwrap_or(0),
    );
    resp
}

fn check_basic(conn: &Conn, value: &str) -> Option<String> {
    let decoded = B64.decode(value.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    // DOMAIN\user, .\user and user@domain name the same local account.
    let bare = user
        .rsplit('\\')
        .next()
        .unwrap_or(user)
        .split('@')
        .next()
        .unwrap_or(user);
    let ok = bare.eq_ignore_ascii_case(&conn.shared.username)
        && password == conn.shared.password.expose_secret()
        && !conn.host.faults.auth_401();
    ok.then(|| bare.to_string())
}

/// How a request's body is to be read once authentication is settled.
enum Authed {
    /// Plaintext SOAP from this user.
    Plain(String),
    /// Sealed SOAP on the connection's NTLM session.
    Sealed(String),
}

async fn route(conn: &Conn, req: Request<Incoming>) -> Resp {
    if req.method() != Method::POST {
        let mut r = base(StatusCode::METHOD_NOT_ALLOWED, Vec::new());
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    if !req.uri().path().eq_ignore_ascii_case("/wsman") {
        return base(StatusCode::NOT_FOUND, Vec::new());
    }
    if conn.host.faults.redirect() {
        let mut r = base(StatusCode::FOUND, Vec::new());
        r.headers_mut().insert(
            hyper::header::LOCATION,
            HeaderValue::from_static("https://portal.example.test/login?next=/wsman"),
        );
        return r;
    }
    let authorization = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let limit = conn.shared.limits.max_envelope_size_kb * 1024 * 2 + 65_536;
    let body = match Limited::new(req.into_body(), limit).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let mut r = soap_resp(
                StatusCode::INTERNAL_SERVER_ERROR,
                soap::fault_response(
                    None,
                    &conn.host.name,
                    &soap::Fault::encoding_limit(conn.shared.limits.max_envelope_size_kb),
                ),
            );
            r.headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            return r;
        }
    };
    HostCounters::add(&conn.host.counters.bytes_in, body.len() as u64);
    let sealed_body = sealing::is_sealed(content_type.as_deref());
    let over_tls = conn.shared.tls;
    let plaintext_ok = conn.shared.allow_unencrypted || over_tls;

    let authed = match authorization
        .as_deref()
        .map(|a| a.split_once(' ').unwrap_or((a, "")))
    {
        Some((scheme, value))
            if scheme.eq_ignore_ascii_case("Basic") && conn.shared.auth.basic() =>
        {
            match check_basic(conn, value) {
                Some(user) => Authed::Plain(user),
                None => return reject(conn),
            }
        }
        Some((scheme, value))
            if (scheme.eq_ignore_ascii_case("Negotiate")
                || scheme.eq_ignore_ascii_case("NTLM"))
                && conn.shared.auth.ntlm() =>
        {
            let scheme: &'static str = if scheme.eq_ignore_ascii_case("NTLM") {
                "NTLM"
            } else {
                "Negotiate"
            };
            let Ok(token) = B64.decode(value.trim()) else {
                return reject(conn);
            };
            #[cfg(feature = "kerberos")]
            if conn.shared.kerberos && super::kerberos::is_kerberos_token(&token) {
                match kerberos_logon(conn, &token) {
                    Ok((user, ap_rep)) => {
                        let header = format!("Negotiate {}", B64.encode(&ap_rep));
                        if body.is_empty() {
                            let mut r = base(StatusCode::OK, Vec::new());
                            r.headers_mut().insert(
                                WWW_AUTHENTICATE,
                                HeaderValue::from_str(&header).expect("base64 is a valid header"),
                            );
                            return r;
                        }
                        // The AP-REQ authenticates the plain body it comes with (HTTPS).
                        if !plaintext_ok {
                            return base(StatusCode::INTERNAL_SERVER_ERROR, Vec::new());
                        }
                        let (status, reply, _) = soap_exchange(conn, &user, &body).await;
                        let mut r = soap_resp(status, reply);
                        r.headers_mut().insert(
                            WWW_AUTHENTICATE,
                            HeaderValue::from_str(&header).expect("base64 is a valid header"),
                        );
                        return r;
                    }
                    Err(e) => {
                        tracing::debug!(host = %conn.host.name, error = %e, "Kerberos logon refused");
                        return reject(conn);
                    }
                }
            }
            let kind = ntlm::message_type(&token);
            tracing::debug!(host = %conn.host.name, peer = %conn.peer, kind = ?kind, body = body.len(), "NTLM token");
            match kind {
                Some(1) => {
                    let server_challenge: [u8; 8] = rand::random();
                    match Challenge::new(
                        &token,
                        &conn.host.names,
                        server_challenge,
                        ntlm::filetime_now(),
                    ) {
                        Ok(challenge) => {
                            let header = format!("{scheme} {}", B64.encode(challenge.message()));
                            *conn.auth.lock().unwrap_or_else(|e| e.into_inner()) =
                                AuthState::Challenged(challenge);
                            let mut r = base(StatusCode::UNAUTHORIZED, Vec::new());
                            r.extensions_mut()
                                .insert(hyper::ext::ReasonPhrase::from_static(b""));
                            r.headers_mut().insert(
                                WWW_AUTHENTICATE,
                                HeaderValue::from_str(&header).expect("base64 is a valid header"),
                            );
                            return r;
                        }
                        Err(_) => return reject(conn),
                    }
                }
                Some(3) => {
                    let state =
                        std::mem::take(&mut *conn.auth.lock().unwrap_or_else(|e| e.into_inner()));
                    let AuthState::Challenged(challenge) = state else {
                        return reject(conn);
                    };
                    if conn.host.faults.auth_401() {
                        return reject(conn);
                    }
                    let password = conn.shared.password.expose_secret();
                    match challenge.accept(&token, &conn.shared.username, password) {
                        Ok(session) => {
                            HostCounters::add(&conn.host.counters.ntlm_handshakes, 1);
                            let user = conn.shared.username.clone();
                            *conn.auth.lock().unwrap_or_else(|e| e.into_inner()) =
                                AuthState::Ntlm {
                                    user: user.clone(),
                                    session: Box::new(session),
                                };
                            if body.is_empty() {
                                // The handshake that sets up sealing ends with an empty body.
                                return base(StatusCode::OK, Vec::new());
                            }
                            Authed::Plain(user)
                        }
                        Err(e) => {
                            tracing::debug!(host = %conn.host.name, error = %e, "NTLM logon refused");
                            return reject(conn);
                        }
                    }
                }
                _ => return reject(conn),
            }
        }
        Some(_) => return unauthorized(conn, false),
        None => {
            let guard = conn.auth.lock().unwrap_or_else(|e| e.into_inner());
            match &*guard {
                AuthState::Ntlm { user, .. } if sealed_body => Authed::Sealed(user.clone()),
                AuthState::Ntlm { user, .. } => Authed::Plain(user.clone()),
                #[cfg(feature = "kerberos")]
                AuthState::Kerberos { user, .. } if sealed_body => Authed::Sealed(user.clone()),
                #[cfg(feature = "kerberos")]
                AuthState::Kerberos { user, .. } => Authed::Plain(user.clone()),
                _ if sealed_body => {
                    // A sealed request on a connection that has no session (Windows: 400).
                    tracing::debug!(host = %conn.host.name, peer = %conn.peer, "sealed request without an NTLM session");
                    return base(StatusCode::BAD_REQUEST, Vec::new());
                }
                _ => return unauthorized(conn, false),
            }
        }
    };

    let (user, xml, sealed) = match authed {
        Authed::Plain(user) => {
            if !plaintext_ok && !body.is_empty() {
                // AllowUnencrypted=false: an unencrypted body over HTTP gets an empty 500.
                return base(StatusCode::INTERNAL_SERVER_ERROR, Vec::new());
            }
            (user, body.to_vec(), false)
        }
        Authed::Sealed(user) => {
            // Unsealed with whichever session the connection's logon set up.
            let unsealed = {
                let mut guard = conn.auth.lock().unwrap_or_else(|e| e.into_inner());
                match &mut *guard {
                    AuthState::Ntlm { session, .. } => sealing::unseal_request(session, &body),
                    #[cfg(feature = "kerberos")]
                    AuthState::Kerberos { ctx, .. } => super::kerberos::unseal_request(ctx, &body),
                    _ => return base(StatusCode::BAD_REQUEST, Vec::new()),
                }
            };
            match unsealed {
                Ok(plain) => (user, plain, true),
                Err(e) => {
                    tracing::debug!(host = %conn.host.name, error = %e, "sealed request refused");
                    return base(StatusCode::BAD_REQUEST, Vec::new());
                }
            }
        }
    };
    if xml.is_empty() {
        return base(StatusCode::OK, Vec::new());
    }

    let (status, reply, is_receive) = soap_exchange(conn, &user, &xml).await;
    if is_receive && conn.host.faults.receive_html() {
        // What an intercepting proxy or WAF sends: a page, not a SOAP envelope, not sealed.
        let mut r = base(
            StatusCode::OK,
            b"<!DOCTYPE html><html><head><title>Access blocked</title></head>\
<body><h1>Request blocked by policy</h1></body></html>"
                .to_vec(),
        );
        r.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        return r;
    }
    if is_receive && conn.host.faults.receive_garbage() {
        let mut r = base(
            StatusCode::OK,
            vec![0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x00, 0x41],
        );
        r.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        return r;
    }
    if is_receive && conn.host.faults.reset() {
        conn.reset.store(true, Ordering::SeqCst);
    }
    if sealed {
        let mut guard = conn.auth.lock().unwrap_or_else(|e| e.into_inner());
        let body = match &mut *guard {
            AuthState::Ntlm { session, .. } => sealing::seal_response(session, reply.into_bytes()),
            #[cfg(feature = "kerberos")]
            AuthState::Kerberos { ctx, .. } => {
                match super::kerberos::seal_response(ctx, reply.as_bytes()) {
                    Ok(body) => body,
                    Err(_) => return base(StatusCode::INTERNAL_SERVER_ERROR, Vec::new()),
                }
            }
            _ => return base(StatusCode::BAD_REQUEST, Vec::new()),
        };
        let mut r = base(status, body);
        r.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static(sealing::CONTENT_TYPE),
        );
        return r;
    }
    soap_resp(status, reply)
}

/// A Kerberos logon from `token`: the user (who must be the simulator's account, in any realm)
/// and the AP-REP. The context is kept on the connection for sealing.
#[cfg(feature = "kerberos")]
fn kerberos_logon(conn: &Conn, token: &[u8]) -> Result<(String, Vec<u8>), String> {
    if conn.host.faults.auth_401() {
        return Err("auth-401 fault".into());
    }
    let spn = super::kerberos::service_principal(&conn.host.address.to_string());
    let accepted = super::kerberos::accept(&spn, token)?;
    let user = accepted
        .client
        .split('@')
        .next()
        .unwrap_or_default()
        .to_string();
    if !user.eq_ignore_ascii_case(&conn.shared.username) {
        return Err(format!("{} is not an administrator here", accepted.client));
    }
    HostCounters::add(&conn.host.counters.kerberos_logons, 1);
    let ap_rep = accepted.ap_rep.clone();
    *conn.auth.lock().unwrap_or_else(|e| e.into_inner()) = AuthState::Kerberos {
        user: user.clone(),
        ctx: Box::new(accepted.ctx),
    };
    Ok((user, ap_rep))
}

/// Parses and runs one SOAP request: (status, response envelope, whether it was a Receive).
async fn soap_exchange(conn: &Conn, user: &str, xml: &[u8]) -> (StatusCode, String, bool) {
    let host = &conn.host;
    let fault = |relates: Option<&str>, f: soap::Fault| {
        HostCounters::add(&host.counters.faults, 1);
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            soap::fault_response(relates, &host.name, &f),
        )
    };
    let Ok(text) = std::str::from_utf8(xml) else {
        let (s, r) = fault(None, soap::Fault::schema("the body is not UTF-8"));
        return (s, r, false);
    };
    let req = match soap::parse_request(text) {
        Ok(r) => r,
        Err(e) => {
            let (s, r) = fault(None, soap::Fault::schema(&e.0));
            return (s, r, false);
        }
    };
    let is_receive = matches!(req.body, soap::Body::Receive { .. });
    let scheme = if conn.shared.tls { "https" } else { "http" };
    let caller = Caller {
        user,
        client_ip: conn.peer.ip().to_string(),
        endpoint: format!("{scheme}://{}:{}/wsman", host.address, conn.local_port),
    };
    match host.handle(&req, &caller, &conn.shared.limits).await {
        Ok(xml) => (StatusCode::OK, xml, is_receive),
        Err(f) => {
            let (s, r) = fault(req.message_id.as_deref(), f);
            (s, r, is_receive)
        }
    }
}

/// The TCP stream with the transport faults: `slow-drip` paces writes, `reset` cuts the
/// response after part of it was written (the socket then closes with RST).
pub(crate) struct FaultIo {
    inner: TcpStream,
    drip: Option<u64>,
    sleep: Option<Pin<Box<Sleep>>>,
    reset: Arc<AtomicBool>,
    broken: bool,
}

impl FaultIo {
    fn new(inner: TcpStream, drip: Option<u64>, reset: Arc<AtomicBool>) -> Self {
        FaultIo {
            inner,
            drip,
            sleep: None,
            reset,
            broken: false,
        }
    }
}

impl AsyncRead for FaultIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for FaultIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.broken {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "simulated reset",
            )));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if this.reset.load(Ordering::SeqCst) {
            let n = (buf.len() / 2).max(1);
            let r = Pin::new(&mut this.inner).poll_write(cx, &buf[..n]);
            if matches!(r, Poll::Ready(Ok(_))) {
                this.broken = true;
            }
            return r;
        }
        if let Some(rate) = this.drip {
            if let Some(sleep) = this.sleep.as_mut() {
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.sleep = None;
            }
            let chunk = buf.len().min(((rate / 20).max(1)) as usize);
            let r = Pin::new(&mut this.inner).poll_write(cx, &buf[..chunk]);
            if let Poll::Ready(Ok(n)) = r {
                let wait = Duration::from_secs_f64(n as f64 / rate as f64);
                this.sleep = Some(Box::pin(tokio::time::sleep(wait)));
            }
            return r;
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.broken {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "simulated reset",
            )));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
