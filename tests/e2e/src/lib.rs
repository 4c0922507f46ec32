//! Harness for the end-to-end suites: start a Petstore implementation in-process on a real
//! socket with a given environment, the certified OpenID provider on loopback, and real
//! `redis-server` processes ([`RedisServer`]).
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The workspace README's examples, compiled (and run, where they run on their own) as doctests
/// so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct WorkspaceReadme;

pub mod interop;
pub mod mcp;
mod provider;
mod redis;

use std::collections::HashMap;
use std::net::SocketAddr;

pub use self::redis::{RedisServer, command as redis_command, free_port, url_for};
pub use provider::{Endpoints, Provider};

/// The Petstore implementations the HTTP contract runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Implementation {
    /// `petstore-axum`.
    Axum,
    /// `petstore-actix`.
    Actix,
}

impl Implementation {
    /// Every HTTP implementation.
    pub const ALL: [Implementation; 2] = [Implementation::Axum, Implementation::Actix];
}

/// A running Petstore: its base URL, and the dev issuer when it runs on one.
pub struct Petstore {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The listen address.
    pub addr: SocketAddr,
    /// Ready tokens when no provider was configured.
    pub dev: Option<petstore::DevAccess>,
    /// What the binary built at startup (the banner is printed from it).
    pub auth: petstore::Auth,
    _server: Server,
}

impl Petstore {
    /// The URL of its RFC 9728 document (`AUTH_RESOURCE` defaults to the bound address).
    pub fn metadata_url(&self) -> String {
        format!("{}/.well-known/oauth-protected-resource", self.base)
    }

    /// The challenge of a request without credentials: the realm and the document.
    pub fn bare_challenge(&self) -> String {
        format!(r#"Bearer realm="petstore", resource_metadata="{}""#, self.metadata_url())
    }
}

/// A running server, stopped when dropped.
enum Server {
    /// A task on the test's tokio runtime.
    Task(tokio::task::JoinHandle<()>),
    /// actix-web's server is `!Send`: it runs in its own actix system, on its own thread.
    Actix { handle: actix_web::dev::ServerHandle, thread: Option<std::thread::JoinHandle<()>> },
}

impl Drop for Server {
    fn drop(&mut self) {
        match self {
            Server::Task(task) => task.abort(),
            Server::Actix { handle, thread } => {
                // The stop command is sent right away; the returned future only reports completion.
                drop(handle.stop(false));
                if let Some(thread) = thread.take() {
                    let _ = thread.join();
                }
            }
        }
    }
}

/// Runs `petstore-actix` on `listener` in a new actix system on its own thread.
fn start_actix(listener: std::net::TcpListener, validator: petstore::Protection) -> Server {
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = petstore_actix::server(listener, validator).unwrap();
            tx.send(server.handle()).unwrap();
            server.await.unwrap();
        });
    });
    let handle = rx.recv().expect("petstore-actix started");
    Server::Actix { handle, thread: Some(thread) }
}

/// Reads settings exactly as the binaries do, from `vars` instead of the environment.
pub fn settings(vars: &[(&str, &str)]) -> Result<petstore::Settings, auth_core::ConfigError> {
    let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    petstore::Settings::from_lookup(move |name| vars.get(name).cloned())
}

async fn listener() -> (tokio::net::TcpListener, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Starts `implementation` with the environment `vars` (as `petstore-*` binaries read it).
pub async fn start(implementation: Implementation, vars: &[(&str, &str)]) -> Petstore {
    let (listener, addr) = listener().await;
    // As the binaries do: the bound address is the default AUTH_RESOURCE.
    let settings = settings(vars).expect("valid settings").bound_to(addr);
    let auth = petstore::Auth::from_settings(&settings).await.expect("startup");
    // The settings' step-up requirement too (`AUTH_STEP_UP_*`).
    let validator = petstore::Protection::from(&auth);
    let server = match implementation {
        Implementation::Axum => Server::Task(tokio::spawn(async move {
            petstore_axum::serve(listener, validator).await.unwrap();
        })),
        Implementation::Actix => {
            let listener = listener.into_std().unwrap();
            // tokio's listener is non-blocking; actix registers the socket with its own runtime.
            start_actix(listener, validator)
        }
    };
    Petstore { base: format!("http://{addr}"), addr, dev: auth.dev.clone(), auth, _server: server }
}

/// Starts `petstore-gateway` with the environment `vars` (as the binary reads it); returns its
/// base URL and what it built.
pub async fn start_gateway(
    vars: &[(&str, &str)],
) -> (String, petstore_gateway::Gateway, tokio::task::JoinHandle<()>) {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let settings =
        petstore_gateway::Settings::from_lookup(move |name| map.get(name).cloned()).expect("valid settings");
    let gateway = petstore_gateway::Gateway::from_settings(&settings).await.expect("startup");
    let (listener, addr) = listener().await;
    let serving = gateway.clone();
    let server = tokio::spawn(async move {
        petstore_gateway::serve(listener, serving).await.unwrap();
    });
    (format!("http://{addr}"), gateway, server)
}

/// Starts `petstore-tonic` with the environment `vars`; returns its address.
pub async fn start_grpc(
    vars: &[(&str, &str)],
) -> (SocketAddr, Option<petstore::DevAccess>, tokio::task::JoinHandle<()>) {
    let (listener, addr) = listener().await;
    let settings = settings(vars).expect("valid settings").bound_to(addr);
    let auth = petstore::Auth::from_settings(&settings).await.expect("startup");
    let validator = petstore::Protection::from(&auth);
    let server = tokio::spawn(async move {
        petstore_tonic::serve(listener, validator).await.unwrap();
    });
    (addr, auth.dev, server)
}
