//! An API gateway in front of the Petstore: callers' tokens are checked with [`tower_auth`]
//! (scope `gateway:pets`, audience `petstore-gateway`), and each call upstream carries a token of
//! the gateway's own, from [`auth_core::client`]: client credentials (the Petstore sees the
//! gateway's client) or token exchange (RFC 8693: the Petstore sees the caller's `sub`). A
//! caller's token is never forwarded.
//!
//! | Route | Access | Upstream |
//! |---|---|---|
//! | `GET /health` | public | — |
//! | `GET /api/pets` | scope `gateway:pets` | `GET /pets` |
//! | `GET /api/me` | scope `gateway:pets` | `GET /me` |
//!
//! The upstream's answer comes back as it is (status, `Content-Type`, `WWW-Authenticate`, body), after the one retry
//! on 401 the outbound middleware makes. An upstream that cannot be reached or does not answer
//! within 5 s is `502 {"error":"upstream_unavailable"}`; a token that cannot be obtained is `503`
//! with `Retry-After`, `{"error":"token_unavailable"}`.
//!
//! With neither `UPSTREAM_URL` nor `AUTH_ISSUER`, [`Gateway::from_settings`] starts the
//! development setup: a Petstore on a free port, whose development issuer also issues the
//! callers' tokens and the gateway's (its token endpoint).
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod settings;
mod upstream;

use std::net::SocketAddr;

use auth_core::client::{ClientCredentials, OutboundTokens, Target, TokenClient};
use auth_core::dev_issuer::DevIssuer;
use auth_core::{ConfigError, IssuerConfig, Validator};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use petstore::api::{ErrorBody, Health};
use tower_auth::{AuthLayer, requires_scopes};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;

pub use settings::{
    AUTH_ALGORITHMS, AUTH_AUDIENCE, AUTH_ISSUER, AUTH_PROFILE, DEFAULT_ADDR, DEFAULT_AUDIENCE,
    DEFAULT_UPSTREAM_SCOPE, GATEWAY_ADDR, GATEWAY_CLIENT_ID, GATEWAY_CLIENT_SECRET, GATEWAY_UPSTREAM_AUTH,
    Provider, Settings, UPSTREAM_AUDIENCE, UPSTREAM_SCOPE, UPSTREAM_URL, UpstreamAuth, VARIABLES,
};
pub use upstream::{MAX_UPSTREAM_BODY, UPSTREAM_TIMEOUT, Upstream};

/// The scope callers need.
pub const CALLER_SCOPE: &str = "gateway:pets";
/// The realm named in the gateway's challenges.
pub const REALM: &str = "petstore-gateway";

/// Why the gateway cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    /// A setting is wrong; the message names the variable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The development Petstore could not start.
    #[error("cannot start the development Petstore: {0}")]
    Petstore(#[from] petstore::StartupError),
    /// A socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The reason.
        #[source]
        source: std::io::Error,
    },
}

/// The development setup: the Petstore the gateway started, its issuer, and a caller's token.
#[derive(Debug, Clone)]
pub struct DevSetup {
    /// The issuer of callers' tokens and of the gateway's own (keep it alive).
    pub issuer: DevIssuer,
    /// A caller's token: audience `petstore-gateway`, scope `gateway:pets`, valid one hour.
    pub token: String,
    /// Where the Petstore listens.
    pub upstream_addr: SocketAddr,
}

/// The gateway: its validator for callers, and its upstream.
#[derive(Debug, Clone)]
pub struct Gateway {
    /// Validates callers' tokens.
    pub validator: Validator,
    /// The Petstore, and the gateway's tokens for it.
    pub upstream: Upstream,
    /// The development setup, when nothing was configured.
    pub dev: Option<DevSetup>,
}

impl Gateway {
    /// Builds the gateway from `settings`; with no provider configured, starts the development
    /// Petstore first. Nothing is fetched from the provider here.
    pub async fn from_settings(settings: &Settings) -> Result<Gateway, StartupError> {
        let Some(provider) = &settings.provider else { return Gateway::development(settings).await };
        let validator = validator(settings, IssuerConfig::discover(&provider.issuer))?;
        let client = TokenClient::builder(provider.client_id.clone())
            .credentials(ClientCredentials::SecretBasic { secret: provider.client_secret.clone() })
            .issuer(provider.issuer.clone())
            .build()
            .map_err(client_variable)?;
        let target = Target::resource(provider.upstream_audience.clone()).scope(&settings.upstream_scope);
        Ok(Gateway {
            validator,
            upstream: upstream(settings, &provider.upstream_url, client, target),
            dev: None,
        })
    }

    async fn development(settings: &Settings) -> Result<Gateway, StartupError> {
        let local = SocketAddr::from(([127, 0, 0, 1], 0));
        let listener = tokio::net::TcpListener::bind(local)
            .await
            .map_err(|source| StartupError::Listen { addr: local, source })?;
        let upstream_addr =
            listener.local_addr().map_err(|source| StartupError::Listen { addr: local, source })?;
        let upstream_url = format!("http://{upstream_addr}");
        // The Petstore takes the gateway's tokens for its URL (its canonical resource).
        let mut petstore_settings = petstore::Settings::default().bound_to(upstream_addr);
        petstore_settings.audience = upstream_url.clone();
        petstore_settings.algorithms = settings.algorithms.clone();
        petstore_settings.profile = settings.profile;
        let auth = petstore::Auth::from_settings(&petstore_settings).await?;
        let Some(dev) = auth.dev.clone() else {
            return Err(ConfigError::new(AUTH_ISSUER, "the development Petstore has no issuer").into());
        };
        let authenticator = auth.authenticator.clone();
        tokio::spawn(async move {
            if let Err(e) = petstore_axum::serve(listener, authenticator).await {
                tracing::error!(error = %e, "the development Petstore stopped");
            }
        });
        let issuer = dev.issuer;
        let validator = validator(settings, IssuerConfig::jwks_url(issuer.issuer(), issuer.jwks_uri()))?;
        let (client_id, secret) = issuer.service_client();
        let client = TokenClient::builder(client_id)
            .credentials(ClientCredentials::SecretBasic { secret: secret.to_owned() })
            .token_endpoint(issuer.token_endpoint())
            .build()
            .map_err(client_variable)?;
        let target = Target::resource(upstream_url.clone()).scope(&settings.upstream_scope);
        let token = issuer.token().audience(settings.audience.clone()).scope(CALLER_SCOPE).sign();
        Ok(Gateway {
            validator,
            upstream: upstream(settings, &upstream_url, client, target),
            dev: Some(DevSetup { issuer, token, upstream_addr }),
        })
    }
}

fn validator(settings: &Settings, issuer: IssuerConfig) -> Result<Validator, ConfigError> {
    let mut builder = Validator::builder()
        .issuer(issuer)
        .audience(settings.audience.clone())
        .profile(settings.profile)
        .realm(REALM);
    if let Some(algorithms) = &settings.algorithms {
        builder = builder.algorithms(algorithms.iter().copied());
    }
    builder.build().map_err(|e| {
        let variable = match e.setting() {
            "issuers[0].issuer" => AUTH_ISSUER,
            "algorithms" => AUTH_ALGORITHMS,
            "audience" => AUTH_AUDIENCE,
            _ => return e,
        };
        e.for_setting(variable)
    })
}

fn client_variable(e: ConfigError) -> ConfigError {
    let variable = match e.setting() {
        "client.client_id" => GATEWAY_CLIENT_ID,
        "client.issuer" => AUTH_ISSUER,
        _ => return e,
    };
    e.for_setting(variable)
}

fn upstream(settings: &Settings, url: &str, client: TokenClient, target: Target) -> Upstream {
    let tokens = match settings.upstream_auth {
        UpstreamAuth::ClientCredentials => OutboundTokens::client_credentials(client, target),
        UpstreamAuth::TokenExchange => OutboundTokens::token_exchange(client, target),
    };
    Upstream::new(url, tokens)
}

/// The gateway's router.
pub fn app(gateway: &Gateway) -> Router {
    let api = Router::new()
        .route("/api/pets", get(api_pets))
        .route("/api/me", get(api_me))
        .route_layer(AuthLayer::new(gateway.validator.clone()));
    Router::new()
        .route("/health", get(health))
        .merge(api)
        .fallback(no_route)
        .with_state(gateway.clone())
        .layer(TraceLayer::new_for_http())
        .layer(SetSensitiveRequestHeadersLayer::new([AUTHORIZATION]))
}

/// Serves the gateway on `listener` until the process ends; keys load in the background.
pub async fn serve(listener: tokio::net::TcpListener, gateway: Gateway) -> std::io::Result<()> {
    petstore::spawn_warm_up(gateway.validator.clone());
    axum::serve(listener, app(&gateway)).await
}

/// What the binary prints at startup: where it listens, and with the development setup a
/// caller's token and `curl` commands through the gateway.
pub fn banner(listen: SocketAddr, gateway: &Gateway) -> String {
    let url = format!("http://{}", petstore::banner::client_addr(listen));
    let mut out = format!("petstore-gateway listening on {url}, calling {}\n", gateway.upstream.base_url());
    if let Some(dev) = &gateway.dev {
        out.push_str(&format!(
            "No UPSTREAM_URL or AUTH_ISSUER set: a development Petstore runs on {}, trusting the \
             issuer at {} (which also issues the gateway's own tokens).\n\
             TOKEN is a caller's token (scope `{CALLER_SCOPE}`). Paste into a shell (expect 200, 200):\n\n\
             TOKEN={}\n\
             curl -i -H \"Authorization: Bearer $TOKEN\" {url}/api/pets\n\
             curl -i -H \"Authorization: Bearer $TOKEN\" {url}/api/me\n",
            dev.upstream_addr,
            dev.issuer.issuer(),
            dev.token,
        ));
    }
    out
}

async fn health(State(gateway): State<Gateway>) -> Json<Health> {
    Json(Health::of(&gateway.validator))
}

#[requires_scopes("gateway:pets")]
async fn api_pets(State(gateway): State<Gateway>, headers: HeaderMap) -> Response {
    gateway.upstream.get("/pets", caller_token(&headers)).await
}

#[requires_scopes("gateway:pets")]
async fn api_me(State(gateway): State<Gateway>, headers: HeaderMap) -> Response {
    gateway.upstream.get("/me", caller_token(&headers)).await
}

/// The caller's token, from the one `Authorization` field the auth layer accepted.
fn caller_token(headers: &HeaderMap) -> &str {
    let value = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    value.split_once(' ').map_or("", |(_, token)| token.trim())
}

async fn no_route() -> (axum::http::StatusCode, Json<ErrorBody>) {
    let body = ErrorBody { error: "not_found".into(), message: "no such route".into() };
    (axum::http::StatusCode::NOT_FOUND, Json(body))
}
