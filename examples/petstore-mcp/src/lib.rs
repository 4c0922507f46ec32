//! The Petstore as an MCP server (Model Context Protocol, streamable HTTP, for clients speaking
//! 2025-06-18 and 2025-11-25), protected by [`tower_auth`].
//!
//! | Route | Access |
//! |---|---|
//! | `POST`/`GET`/`DELETE /mcp` | any valid token for the resource (`aud` = `AUTH_RESOURCE`), on every request, in a session too |
//! | `tools/call` of `list_pets` | scope `pets:read` |
//! | `tools/call` of `add_pet` (`name`, optional `tag`) | scope `pets:write` |
//! | `GET /.well-known/oauth-protected-resource/mcp` and `/.well-known/oauth-protected-resource` | public: RFC 9728 metadata |
//!
//! The scope of a call is read from the JSON-RPC body by [`ScopeGateLayer`]; a call the token
//! does not allow is answered HTTP 403 `insufficient_scope`, as `RequireScopesLayer` answers.
//! Run it with `cargo run -p petstore-mcp`; tests run [`serve`] in-process on a real socket.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::future::Future;
use std::sync::Arc;

use auth_core::ConfigError;
use axum::Router;
use axum::http::header::AUTHORIZATION;
use petstore::PetStore;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tower_auth::AuthLayer;
use tower_auth::metadata::ResourceMetadataService;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;

mod auth;
pub mod banner;
mod scope_gate;
mod tools;

pub use auth::{DevTokens, MCP_PATH, McpAuth, resource_url};
pub use scope_gate::{MAX_BODY_BYTES, ScopeGate, ScopeGateLayer};
pub use tools::{ADD_PET, AddPet, LIST_PETS, PetTools, READ_SCOPE, TOOL_SCOPES, WRITE_SCOPE};

/// The router with a fresh store (the two seed pets).
pub fn app(auth: &McpAuth) -> Result<Router, ConfigError> {
    app_with_store(auth, Arc::new(PetStore::seeded()))
}

/// The router over `store`: `/mcp` behind the `AuthLayer` and the [`ScopeGateLayer`], the RFC
/// 9728 document beside it, public.
pub fn app_with_store(auth: &McpAuth, store: Arc<PetStore>) -> Result<Router, ConfigError> {
    let mcp = StreamableHttpService::new(
        move || Ok(PetTools::new(store.clone())),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default().with_allowed_hosts(allowed_hosts(&auth.resource)),
    );
    let metadata = ResourceMetadataService::new(auth.authenticator.clone())?;
    Ok(Router::new()
        .route_service(MCP_PATH, mcp)
        // The layer added last runs first: the token, then the tool's scope.
        .route_layer(ScopeGateLayer::new(TOOL_SCOPES))
        .route_layer(AuthLayer::from_authenticator(auth.authenticator.clone()))
        .merge(metadata.into_router())
        .layer(SetSensitiveRequestHeadersLayer::new([AUTHORIZATION])))
}

/// rmcp refuses other `Host`s (DNS rebinding): loopback, and the resource's own host.
fn allowed_hosts(resource: &str) -> Vec<String> {
    let mut hosts = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    if let Some(host) = resource.parse::<http::Uri>().ok().and_then(|uri| uri.host().map(str::to_owned)) {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    hosts
}

/// Serves the MCP server on `listener` until the process ends. Keys load in the background.
pub async fn serve(listener: tokio::net::TcpListener, auth: &McpAuth) -> std::io::Result<()> {
    serve_with_shutdown(listener, auth, std::future::pending()).await
}

/// [`serve`], stopping gracefully when `shutdown` completes.
pub async fn serve_with_shutdown(
    listener: tokio::net::TcpListener,
    auth: &McpAuth,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app(auth).map_err(std::io::Error::other)?;
    petstore::spawn_warm_up(auth.validator().clone());
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
