//! A JWKS and discovery server on `127.0.0.1:0` whose behaviour a test changes at any moment:
//! status, body, garbage, oversize, hang, drip-fed body, `Cache-Control`, redirects, keys.
//! It counts requests per path. [`SilentServer`] is a provider that accepts and never answers.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_core::Algorithm;
use auth_core::dev_issuer::SigningKey;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub const OIDC: &str = "/.well-known/openid-configuration";
pub const OAUTH: &str = "/.well-known/oauth-authorization-server";
/// The path whose answers [`Behaviour`] controls.
pub const JWKS: &str = "/jwks";
/// Always serves the keys normally (a redirect target).
pub const KEYS: &str = "/keys";

/// How the body of `/jwks` is produced.
#[derive(Debug, Clone, Default)]
pub enum Body {
    /// `{"keys": [...]}` from [`Behaviour::keys`].
    #[default]
    Keys,
    /// These bytes.
    Raw(Vec<u8>),
    /// Not JSON.
    Garbage,
    /// A valid JWKS padded with spaces to this many bytes.
    Padded(usize),
    /// Never answer (headers included).
    Hang,
    /// The JWKS, one byte per interval.
    Drip(Duration),
}

/// What the server does now.
#[derive(Debug, Clone)]
pub struct Behaviour {
    pub status: u16,
    pub body: Body,
    pub cache_control: Option<String>,
    /// `Location` for a 302 from `/jwks`.
    pub redirect: Option<String>,
    /// The published JWKs (for rotation, set a new list).
    pub keys: Vec<Value>,
    /// Whether `/.well-known/openid-configuration` exists (else 404).
    pub oidc_discovery: bool,
    /// Whether `/.well-known/oauth-authorization-server` exists (else 404).
    pub oauth_discovery: bool,
    /// The `issuer` in discovery documents; default this server's base URL.
    pub discovery_issuer: Option<String>,
    /// The path discovery documents name as `jwks_uri`; default [`JWKS`].
    pub discovered_jwks: Option<&'static str>,
}

struct Shared {
    base: String,
    behaviour: Mutex<Behaviour>,
    hits: Mutex<HashMap<String, u64>>,
}

/// A running test server; it stops when dropped.
pub struct TestServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    _stop: watch::Sender<()>,
}

impl TestServer {
    /// Starts on `127.0.0.1:0`, publishing `keys`.
    pub async fn start(keys: Vec<Value>) -> TestServer {
        TestServer::start_on(IpAddr::V4(Ipv4Addr::LOCALHOST), keys).await
    }

    pub async fn start_on(ip: IpAddr, keys: Vec<Value>) -> TestServer {
        let listener = TcpListener::bind(SocketAddr::new(ip, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            base: format!("http://{addr}"),
            behaviour: Mutex::new(Behaviour {
                status: 200,
                body: Body::Keys,
                cache_control: None,
                redirect: None,
                keys,
                oidc_discovery: true,
                oauth_discovery: true,
                discovery_issuer: None,
                discovered_jwks: None,
            }),
            hits: Mutex::new(HashMap::new()),
        });
        let (stop, stopped) = watch::channel(());
        tokio::spawn(serve(listener, Arc::clone(&shared), stopped));
        TestServer { shared, addr, _stop: stop }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        &self.shared.base
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.shared.base)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Changes the behaviour.
    pub fn set(&self, f: impl FnOnce(&mut Behaviour)) {
        f(&mut self.shared.behaviour.lock().unwrap());
    }

    /// Requests seen on `path`.
    pub fn hits(&self, path: &str) -> u64 {
        self.shared.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    pub fn total_hits(&self) -> u64 {
        self.shared.hits.lock().unwrap().values().sum()
    }
}

/// A fresh key with this `kid`.
pub fn key(alg: Algorithm, kid: &str) -> SigningKey {
    SigningKey::generate(alg).unwrap().with_kid(kid)
}

/// Unix seconds now (wall clock: the validator checks `exp` against it).
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// An access token for `iss` and audience `api`, valid for an hour of wall-clock time.
pub fn token(key: &SigningKey, iss: &str) -> String {
    key.mint(&json!({"iss": iss, "sub": "u", "aud": "api", "iat": now(), "exp": now() + 3600}))
}

/// Connections a [`SilentServer`] accepted, how many carried a whole request head, and how many
/// of those the client has closed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Connections {
    pub accepted: u64,
    pub requests: u64,
    pub closed: u64,
}

/// A provider whose port is open and whose process is hung: it accepts connections, reads
/// whatever the client sends, never answers, and notices when the client hangs up.
pub struct SilentServer {
    addr: SocketAddr,
    connections: watch::Receiver<Connections>,
    _stop: watch::Sender<()>,
}

impl SilentServer {
    /// Starts on `127.0.0.1:0`.
    pub async fn start() -> SilentServer {
        let listener = TcpListener::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (count, connections) = watch::channel(Connections::default());
        let (stop, stopped) = watch::channel(());
        tokio::spawn(silent(listener, count, stopped));
        SilentServer { addr, connections, _stop: stop }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn connections(&self) -> Connections {
        *self.connections.borrow()
    }

    /// Waits (without a timeout: wrap it in one) until the counts satisfy `done`.
    pub async fn until(&self, done: impl FnMut(&Connections) -> bool) {
        let mut connections = self.connections.clone();
        connections.wait_for(done).await.map(drop).unwrap();
    }
}

async fn silent(listener: TcpListener, count: watch::Sender<Connections>, mut stopped: watch::Receiver<()>) {
    let count = Arc::new(count);
    loop {
        let (mut stream, _) = tokio::select! {
            r = listener.accept() => match r { Ok(s) => s, Err(_) => continue },
            _ = stopped.changed() => return,
        };
        count.send_modify(|c| c.accepted += 1);
        let count = Arc::clone(&count);
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            let (mut head, mut counted) = (Vec::new(), false);
            loop {
                tokio::select! {
                    r = stream.read(&mut buf) => match r {
                        Ok(0) | Err(_) => break,
                        Ok(n) if !counted => {
                            head.extend_from_slice(&buf[..n]);
                            if head.windows(4).any(|w| w == b"\r\n\r\n") {
                                counted = true;
                                count.send_modify(|c| c.requests += 1);
                            }
                        }
                        Ok(_) => {}
                    },
                    _ = stopped.changed() => return,
                }
            }
            count.send_modify(|c| c.closed += 1);
        });
    }
}

type Response = hyper::Response<BoxBody<Bytes, Infallible>>;

async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stopped: watch::Receiver<()>) {
    loop {
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r { Ok(s) => s, Err(_) => continue },
            _ = stopped.changed() => return,
        };
        let shared = Arc::clone(&shared);
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(answer(&shared, req.uri().path()).await) }
            });
            let conn =
                hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = stopped.changed() => {}
            }
        });
    }
}

fn full(status: u16, body: impl Into<Bytes>) -> Response {
    hyper::Response::builder().status(status).body(Full::new(body.into()).boxed()).unwrap()
}

async fn answer(shared: &Shared, path: &str) -> Response {
    *shared.hits.lock().unwrap().entry(path.to_owned()).or_default() += 1;
    let b = shared.behaviour.lock().unwrap().clone();
    let jwks = json!({ "keys": b.keys }).to_string();
    match path {
        OIDC | OAUTH => {
            if (path == OIDC && !b.oidc_discovery) || (path == OAUTH && !b.oauth_discovery) {
                return full(404, "");
            }
            let issuer = b.discovery_issuer.unwrap_or_else(|| shared.base.clone());
            let jwks_path = b.discovered_jwks.unwrap_or(JWKS);
            full(
                200,
                json!({"issuer": issuer, "jwks_uri": format!("{}{jwks_path}", shared.base)}).to_string(),
            )
        }
        KEYS => full(200, jwks),
        JWKS => {
            if let Some(location) = b.redirect {
                let mut r = full(302, "");
                r.headers_mut().insert(http::header::LOCATION, location.parse().unwrap());
                return r;
            }
            let body = match b.body {
                Body::Keys => Full::new(Bytes::from(jwks)).boxed(),
                Body::Raw(bytes) => Full::new(Bytes::from(bytes)).boxed(),
                Body::Garbage => Full::new(Bytes::from_static(b"<html>oops</html>")).boxed(),
                Body::Padded(len) => {
                    let mut s = jwks;
                    s.insert_str(1, &" ".repeat(len.saturating_sub(s.len())));
                    Full::new(Bytes::from(s)).boxed()
                }
                Body::Hang => std::future::pending().await,
                Body::Drip(every) => {
                    let bytes = jwks.into_bytes();
                    let stream = futures_util::stream::unfold(0usize, move |i| {
                        let byte = bytes.get(i).copied();
                        async move {
                            tokio::time::sleep(every).await;
                            byte.map(|b| (Ok::<_, Infallible>(Frame::data(Bytes::from(vec![b]))), i + 1))
                        }
                    });
                    StreamBody::new(stream).boxed()
                }
            };
            let mut r = hyper::Response::builder().status(b.status);
            if let Some(cc) = &b.cache_control {
                r = r.header(http::header::CACHE_CONTROL, cc.as_str());
            }
            r.body(body).unwrap()
        }
        _ => full(404, ""),
    }
}
