//! A [Tower](https://docs.rs/tower) layer for axum and tonic that validates OAuth 2.0 / OpenID
//! Connect access tokens with [`auth_core::Validator`].
//!
//! - [`AuthLayer`] finds the bearer token (the `Authorization` header; optionally a cookie or the
//!   `access_token` query parameter), validates it, and puts the verified [`auth_core::Claims`] in
//!   the request extensions. Failures are answered as RFC 6750 says: 401 with
//!   `WWW-Authenticate: Bearer realm=…`, 400 `invalid_request`, 503 with `Retry-After` when keys
//!   cannot be fetched — or, for gRPC calls (`content-type: application/grpc…`), HTTP 200 with
//!   `grpc-status` 16 / 7 / 14 / 3 and an empty body.
//! - [`AuthLayer::inspect_form_body`] turns it into a [`FormAuthLayer`], which also reads the
//!   `access_token` field of `application/x-www-form-urlencoded` bodies (RFC 6750 §2.2): refused
//!   when sent along with another credential, accepted alone when the form source is on.
//! - [`RequireScopesLayer`] checks a route's scopes: 403 `insufficient_scope` naming them.
//! - [`RequireStepUpLayer`] checks a route's step-up requirement (RFC 9470: accepted `acr`
//!   values, a maximum `auth_time` age): 401 `insufficient_user_authentication` with
//!   `acr_values` / `max_age`. Mount it inside the scope layer: scopes are checked first.
//! - With the `axum` feature (on by default): the extractors [`Claims<T>`](struct@Claims) (your own
//!   serde type), `Option<Claims<T>>`, [`Verified`], [`Scoped<M>`](Scoped) and
//!   [`SteppedUp<M>`](SteppedUp).
//! - With the `utoipa` feature: [`openapi`], the OpenAPI security schemes and each operation's
//!   requirement generated from these layers and attributes (`docs/openapi.md`); with
//!   `utoipa-axum`, `OpenApiRouterExt::route_layer_secured` mounts a layer and documents the
//!   routes it guards in one call.
//! - With the `macros` feature (on by default): [`#[requires_scopes]`](requires_scopes) and
//!   [`#[requires_any_scope]`](requires_any_scope) on axum handlers and (with the `tonic`
//!   feature) tonic service methods, [`#[derive(Claims)]`](derive@Claims) for typed claims as a
//!   handler argument, and [`#[derive(Scopes)]`](derive@Scopes) for scopes named by Rust paths.
//!
//! # Mounting
//!
//! - Mount the layers with **`route_layer`**, not `layer`: `layer` also wraps the fallback, so
//!   unknown routes would answer 401 instead of 404.
//! - Mark `Authorization` as a **sensitive header** with
//!   [`tower_http::sensitive_headers`](https://docs.rs/tower-http/latest/tower_http/sensitive_headers/index.html),
//!   outside your tracing layer, so the bearer token never ends up in logs.
//! - Put [`RequireScopesLayer`] inside the [`AuthLayer`] (with axum's `route_layer`, the one
//!   added last is the outermost). Without an `AuthLayer` in front, the scope layer and the
//!   extractors answer 500 and log an error: a mounting mistake never opens a route.
//!
//! ```no_run
//! use auth_core::{Algorithm, IssuerConfig, StaticKey, Validator};
//! use axum::{Router, routing::{get, post}};
//! use http::header::AUTHORIZATION;
//! use tower_auth::{AuthLayer, Claims, RequireScopesLayer};
//! use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
//!
//! #[derive(serde::Deserialize)]
//! struct Caller {
//!     sub: String,
//! }
//!
//! async fn list_pets(Claims(caller): Claims<Caller>) -> String {
//!     format!("pets visible to {}", caller.sub)
//! }
//!
//! async fn add_pet() -> &'static str {
//!     "added"
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let validator = Validator::builder()
//!     .issuer(IssuerConfig::static_keys("internal", [StaticKey::hmac(vec![7; 32])]))
//!     .algorithms([Algorithm::HS256])
//!     .audience("petstore")
//!     .realm("petstore")
//!     .build()?;
//!
//! let app = Router::new()
//!     .route("/pets", post(add_pet).route_layer(RequireScopesLayer::all(["pets:write"])))
//!     .route("/pets", get(list_pets))
//!     // `route_layer`: unknown paths still answer 404, not 401.
//!     .route_layer(AuthLayer::new(validator))
//!     // Outermost: the token is hidden from every layer that logs headers.
//!     .layer(SetSensitiveRequestHeadersLayer::new([AUTHORIZATION]));
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! The same layers wrap a tonic server (`Server::builder().layer(AuthLayer::new(v))`): the
//! response body type is [`ResponseBody`], generic over the inner service's body.
//!
//! # Testing your handlers
//!
//! Test with real signed tokens: `auth-core`'s `dev-issuer` feature (in `[dev-dependencies]`:
//! `auth-core = { version = "0.1", features = ["dev-issuer"] }`) starts an OpenID issuer on
//! 127.0.0.1 serving discovery and its JWKS, and mints tokens with the claims you choose. This
//! example runs as it is (in a test of yours, make `main` a `#[tokio::test]`):
//!
//! ```
//! use auth_core::dev_issuer::DevIssuer;
//! use auth_core::{Algorithm, IssuerConfig, Validator};
//! use axum::body::Body;
//! use axum::http::{Request, StatusCode, header::AUTHORIZATION};
//! use axum::{Router, routing::get};
//! use tower::ServiceExt as _; // oneshot
//! use tower_auth::{AuthLayer, requires_scopes};
//!
//! #[requires_scopes("pets:read")]
//! async fn list_pets() -> &'static str {
//!     "[]"
//! }
//!
//! async fn call(app: Router, token: Option<&str>) -> StatusCode {
//!     let mut request = Request::get("/pets");
//!     if let Some(token) = token {
//!         request = request.header(AUTHORIZATION, format!("Bearer {token}"));
//!     }
//!     app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap().status()
//! }
//!
//! #[tokio::main]
//! async fn main() {
//!     let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
//!     let validator = Validator::builder()
//!         .issuer(IssuerConfig::discover(idp.issuer()))
//!         .audience("petstore")
//!         .build()
//!         .unwrap();
//!     let app = Router::new().route("/pets", get(list_pets)).route_layer(AuthLayer::new(validator));
//!
//!     let reader = idp.token().audience("petstore").scope("pets:read").sign();
//!     let writer = idp.token().audience("petstore").scope("pets:write").sign();
//!     let stranger = idp.token().audience("another-api").scope("pets:read").sign();
//!     assert_eq!(call(app.clone(), Some(&reader)).await, StatusCode::OK);
//!     assert_eq!(call(app.clone(), Some(&writer)).await, StatusCode::FORBIDDEN);
//!     assert_eq!(call(app.clone(), Some(&stranger)).await, StatusCode::UNAUTHORIZED);
//!     assert_eq!(call(app, None).await, StatusCode::UNAUTHORIZED);
//! }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The framework-neutral core, re-exported: `tower_auth::auth_core::Validator` and the rest, with
/// no second dependency to keep in step.
pub use auth_core;

mod body;
mod context;
#[cfg(feature = "axum")]
mod derived;
#[cfg(feature = "axum")]
mod extract;
mod form;
mod future;
#[cfg(feature = "tonic")]
mod grpc;
mod layer;
pub mod metadata;
#[cfg(feature = "utoipa")]
#[cfg_attr(docsrs, doc(cfg(feature = "utoipa")))]
pub mod openapi;
pub mod outbound;
mod request;
mod requirement;
mod response;
mod scope;
mod scoped;
mod service;
mod step_up;
mod stepped_up;

pub use body::ResponseBody;
pub use context::AuthContext;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use extract::{AuthRejection, Binding, Claims, Verified};
pub use form::{DEFAULT_FORM_BODY_LIMIT, FormAuthLayer, FormAuthService};
pub use future::ResponseFuture;
#[cfg(feature = "tonic")]
#[cfg_attr(docsrs, doc(cfg(feature = "tonic")))]
pub use grpc::grpc_check_step_up;
pub use layer::{AuthLayer, TokenExtractor};
pub use requirement::{Requirement, RequirementLayer, RequirementService};
pub use response::{challenge_response, grpc_status};
pub use scope::{RequireScopesLayer, RequireScopesService};
pub use scoped::{ScopeSet, Scoped};
pub use service::AuthService;
pub use step_up::{RequireStepUpLayer, RequireStepUpService};
pub use stepped_up::{StepUpSet, SteppedUp};

#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc = include_str!("../docs/requires_scopes.md")]
#[cfg_attr(feature = "tonic", doc = include_str!("../docs/requires_scopes_tonic.md"))]
pub use auth_macros::tower_requires_scopes as requires_scopes;

/// The any-of form of [`requires_scopes`]: one of the listed scopes suffices.
///
/// ```
/// use tower_auth::requires_any_scope;
///
/// #[requires_any_scope("pets:read", "admin")]
/// async fn list_pets() -> &'static str {
///     "[]"
/// }
/// # let _: axum::routing::MethodRouter = axum::routing::get(list_pets);
/// ```
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
pub use auth_macros::tower_requires_any_scope as requires_any_scope;

#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc = include_str!("../docs/requires_step_up.md")]
pub use auth_macros::tower_requires_step_up as requires_step_up;

#[cfg(all(feature = "macros", feature = "axum"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "macros", feature = "axum"))))]
#[doc = include_str!("../docs/derive_claims.md")]
pub use auth_macros::TowerClaims as Claims;

#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc = include_str!("../docs/derive_scopes.md")]
pub use auth_macros::Scopes;

/// What the macros' generated code calls. Not a public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "axum")]
    pub use crate::derived::{derived_claims, derived_claims_optional};
    #[cfg(feature = "tonic")]
    pub use crate::grpc::{grpc_require, grpc_require_step_up};
    #[cfg(feature = "axum")]
    pub use auth_core::__private::DeriveClaims;
    pub use auth_core::__private::{
        ScopeRegistration, StepUpRegistration, inventory, validate_scopes, validate_step_up,
    };
    #[cfg(feature = "axum")]
    pub use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
    pub use http::request::Parts;
}

/// `docs/openapi.md`, its axum example compiled and run as a doctest so it stays true.
#[cfg(all(doctest, feature = "utoipa-axum", feature = "macros"))]
#[doc = include_str!("../../../docs/openapi.md")]
pub struct OpenApiGuide;
