//! Harness for the end-to-end suites: start a Petstore implementation in-process on a real
//! socket with a given environment, and the certified OpenID provider on loopback.
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod provider;

use std::collections::HashMap;
use std::net::SocketAddr;

pub use provider::{Endpoints, Provider};

/// The Petstore implementations the HTTP contract runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Implementation {
    /// `petstore-axum`.
    Axum,
}

impl Implementation {
    /// Every HTTP implementation.
    pub const ALL: [Implementation; 1] = [Implementation::Axum];
}

/// A running Petstore: its base URL, and the dev issuer when it runs on one.
pub struct Petstore {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The listen address.
    pub addr: SocketAddr,
    /// Ready tokens when no provider was configured.
    pub dev: Option<petstore::DevAccess>,
    _server: tokio::task::JoinHandle<()>,
}

impl Drop for Petstore {
    fn drop(&mut self) {
        self._server.abort();
    }
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
    let settings = settings(vars).expect("valid settings");
    let auth = petstore::Auth::from_settings(&settings).await.expect("startup");
    let (listener, addr) = listener().await;
    let validator = auth.validator.clone();
    let server = match implementation {
        Implementation::Axum => tokio::spawn(async move {
            petstore_axum::serve(listener, validator).await.unwrap();
        }),
    };
    Petstore { base: format!("http://{addr}"), addr, dev: auth.dev, _server: server }
}

/// Starts `petstore-tonic` with the environment `vars`; returns its address.
pub async fn start_grpc(
    vars: &[(&str, &str)],
) -> (SocketAddr, Option<petstore::DevAccess>, tokio::task::JoinHandle<()>) {
    let settings = settings(vars).expect("valid settings");
    let auth = petstore::Auth::from_settings(&settings).await.expect("startup");
    let (listener, addr) = listener().await;
    let validator = auth.validator.clone();
    let server = tokio::spawn(async move {
        petstore_tonic::serve(listener, validator).await.unwrap();
    });
    (addr, auth.dev, server)
}
