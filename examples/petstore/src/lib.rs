//! The Petstore shared by the example binaries (`petstore-axum`, `petstore-tonic`, …), so that
//! every one reads the same environment variables, trusts tokens the same way and answers with
//! the same JSON:
//!
//! - [`Settings`]: `PETSTORE_ADDR`, `PETSTORE_METRICS`, `AUTH_ISSUER`, `AUTH_JWKS_URL`, `AUTH_AUDIENCE`,
//!   `AUTH_ALGORITHMS`, `AUTH_PROFILE`, `AUTH_TOKEN_CACHE`, `AUTH_DPOP`, `AUTH_DPOP_NONCE`,
//!   `AUTH_DPOP_NONCE_KEY`, `AUTH_PUBLIC_URL`, `AUTH_RESOURCE`, `AUTH_INTROSPECTION_*`, `AUTH_REDIS_URL`,
//!   `AUTH_REVOCATION_MAX_STALE`, `AUTH_REVOCATION_FAIL`, `AUTH_REVOCATION_RETENTION`,
//!   `AUTH_STEP_UP_ACR`, `AUTH_STEP_UP_MAX_AGE`, each checked at startup;
//! - [`Protection`]: the authenticator and the payment route's step-up requirement, what the
//!   servers are built from;
//! - [`Auth::from_settings`]: the validator (realm `petstore`), with a built-in development
//!   issuer and ready tokens when no provider is configured, and the revocation list (in memory,
//!   or shared on Redis with the DPoP proofs seen); [`spawn_warm_up`] loads keys in the
//!   background so a provider that is down never stops startup;
//! - [`revocation`]: the `/admin/revocations` body and answers, shared by the HTTP binaries;
//! - [`banner`]: what to paste into a shell to try the service, and [`dpop_client`], the
//!   DPoP client the banner's `dpop-request` command runs;
//! - [`metrics`]: the Prometheus recorder behind `GET /metrics` (`PETSTORE_METRICS=1`);
//! - [`openapi`]: the OpenAPI document's paths, described once for every HTTP binary;
//! - [`PetStore`] and the [`api`] shapes.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = petstore::Settings::from_env()?;
//! let auth = petstore::Auth::from_settings(&settings).await?;
//! let listener = tokio::net::TcpListener::bind(settings.addr).await?;
//! println!("{}", petstore::banner::http_banner("petstore", listener.local_addr()?, &auth));
//! petstore::spawn_warm_up(auth.validator.clone());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod api;
mod auth;
pub mod banner;
pub mod dpop_client;
pub mod metrics;
pub mod openapi;
mod protection;
pub mod revocation;
mod settings;
mod store;

pub use auth::{
    ADMIN_SCOPES, Auth, DevAccess, REALM, StartupError, USER_SCOPES, build_validator, configured_issuer,
    dev_algorithm, name_variable, spawn_warm_up,
};
pub use protection::Protection;
pub use settings::{
    AUTH_ALGORITHMS, AUTH_ALLOWED_CLIENTS, AUTH_AUDIENCE, AUTH_DPOP, AUTH_DPOP_NONCE, AUTH_DPOP_NONCE_KEY,
    AUTH_INTROSPECTION_CACHE_TTL, AUTH_INTROSPECTION_CLIENT_ID, AUTH_INTROSPECTION_CLIENT_SECRET,
    AUTH_INTROSPECTION_URL, AUTH_ISSUER, AUTH_JWKS_OPTIONS, AUTH_JWKS_URL, AUTH_LEEWAY, AUTH_MAX_TOKEN_AGE,
    AUTH_PROFILE, AUTH_PUBLIC_URL, AUTH_REDIS_URL, AUTH_REQUIRED_CLAIMS, AUTH_RESOURCE, AUTH_REVOCATION_FAIL,
    AUTH_REVOCATION_MAX_STALE, AUTH_REVOCATION_RETENTION, AUTH_SCOPE_CLAIMS, AUTH_STEP_UP_ACR,
    AUTH_STEP_UP_MAX_AGE, AUTH_TOKEN_CACHE, DEFAULT_ADDR, DEFAULT_AUDIENCE, DEFAULT_STEP_UP_ACR,
    DEFAULT_STEP_UP_MAX_AGE, Introspection, PETSTORE_ADDR, PETSTORE_METRICS, RedisUrl, Settings, Tuning,
    VARIABLES, default_step_up, refuse_non_utf8,
};
pub use store::{NewPet, Pet, PetStatus, PetStore, parse_id};

/// Logs to stderr, filtered by `RUST_LOG` (default `info`): for the binaries' `main`.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal: piped or redirected logs stay plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .try_init();
}

/// The exit code of a Petstore binary: success, or the startup/serving error printed to stderr
/// after the binary's name (``petstore-axum: invalid setting `AUTH_PROFILE`: …``).
pub fn exit_code(binary: &str, outcome: Result<(), Box<dyn std::error::Error>>) -> std::process::ExitCode {
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{binary}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
