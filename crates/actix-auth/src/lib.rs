//! [actix-web 4](https://actix.rs) middleware and extractors that validate OAuth 2.0 / OpenID
//! Connect access tokens with [`auth_core::Validator`] — the same validator, extraction rules and
//! RFC 6750 answers as `tower-auth`, in actix's own idioms.
//!
//! - [`AuthLayer`] (a `Transform`, for `.wrap()`) finds the bearer token (the `Authorization` header;
//!   optionally a cookie, the `access_token` query parameter, or — with
//!   [`AuthLayer::inspect_form_body`] — the `access_token` field of a form body), validates it, and
//!   puts the verified [`auth_core::Claims`] in the request extensions. Failures are answered as
//!   RFC 6750 says: 401 with `WWW-Authenticate: Bearer realm=…`, 400 `invalid_request`, 503 with
//!   `Retry-After` when keys cannot be fetched; [`AuthLayer::optional`] lets anonymous requests in.
//!   [`AuthLayer::extract_token_with`] replaces the built-in token sources, and
//!   [`AuthLayer::render_errors_with`] renders every rejection your way (status and challenge kept).
//! - [`RequireScopesLayer`] (`.wrap()` on an app, scope, resource or route) checks scopes, all-of or
//!   any-of: 403 `insufficient_scope` naming them. [`check_scopes`] makes the same check in code.
//! - [`RequireStepUpLayer`] checks a step-up requirement (RFC 9470: accepted `acr` values, a
//!   maximum `auth_time` age): 401 `insufficient_user_authentication` with `acr_values` /
//!   `max_age`; register it before the scope layer so scopes are checked first.
//!   [`check_step_up`] and the [`SteppedUp<M>`](SteppedUp) extractor make the same check.
//! - Extractors: [`Claims<T>`](struct@Claims) (your own serde type), [`OptionalClaims<T>`](OptionalClaims)
//!   (`None` for anonymous requests, still a rejection for anything else), [`Verified`] and
//!   [`OptionalVerified`] (the registered and raw claims).
//! - With the `utoipa` feature: [`openapi`], the OpenAPI security schemes and each operation's
//!   requirement generated from this middleware and the attributes (`docs/openapi.md`).
//!
//! # Mounting
//!
//! - actix runs the middleware registered **last** first: `.wrap(RequireScopesLayer::…)` then
//!   `.wrap(AuthLayer::new(v))`. Without an `AuthLayer` in front, scope checks and extractors answer 500
//!   and log an error: a mounting mistake never opens a route.
//! - Wrap scopes, resources or routes rather than the whole `App` when unknown paths must keep
//!   answering 404: an `App`-wide `AuthLayer` also guards the default service.
//! - actix-web's `Logger` does not log request headers by default; if you add a format that
//!   does (`%{Authorization}i`), the token ends up in logs. Do not.
//!
//! ```no_run
//! use actix_auth::{AuthLayer, Claims, RequireScopesLayer};
//! use actix_web::{App, HttpResponse, HttpServer, web};
//! use auth_core::{Algorithm, IssuerConfig, StaticKey, Validator};
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
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let validator = Validator::builder()
//!     .issuer(IssuerConfig::static_keys("internal", [StaticKey::hmac(vec![7; 32])]))
//!     .algorithms([Algorithm::HS256])
//!     .audience("petstore")
//!     .realm("petstore")
//!     .build()?;
//!
//! HttpServer::new(move || {
//!     App::new().service(
//!         web::resource("/pets")
//!             .route(web::get().to(list_pets).wrap(RequireScopesLayer::all(["pets:read"])))
//!             .route(web::post().to(HttpResponse::Created).wrap(RequireScopesLayer::all(["pets:write"])))
//!             // Registered last, so it runs first.
//!             .wrap(AuthLayer::new(validator.clone())),
//!     )
//! })
//! .bind("127.0.0.1:3000")?
//! .run()
//! .await?;
//! # Ok(()) }
//! ```
//!
//! # Testing your handlers
//!
//! Test with real signed tokens: `auth-core`'s `dev-issuer` feature (in `[dev-dependencies]`:
//! `auth-core = { version = "0.1", features = ["dev-issuer"] }`) starts an OpenID issuer on
//! 127.0.0.1 serving discovery and its JWKS, and mints tokens with the claims you choose. This
//! example runs as it is (in a test of yours, make `main` an `#[actix_web::test]`):
//!
//! ```
//! use actix_auth::{AuthLayer, requires_scopes};
//! use actix_web::http::StatusCode;
//! use actix_web::{App, HttpResponse, test, web};
//! use auth_core::dev_issuer::DevIssuer;
//! use auth_core::{Algorithm, IssuerConfig, Validator};
//!
//! #[requires_scopes("pets:read")]
//! async fn list_pets() -> HttpResponse {
//!     HttpResponse::Ok().body("[]")
//! }
//!
//! #[actix_web::main]
//! async fn main() {
//!     let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
//!     let validator = Validator::builder()
//!         .issuer(IssuerConfig::discover(idp.issuer()))
//!         .audience("petstore")
//!         .build()
//!         .unwrap();
//!     let app = test::init_service(
//!         App::new().service(web::resource("/pets").route(web::get().to(list_pets)).wrap(AuthLayer::new(validator))),
//!     )
//!     .await;
//!
//!     let reader = idp.token().audience("petstore").scope("pets:read").sign();
//!     let writer = idp.token().audience("petstore").scope("pets:write").sign();
//!     for (token, status) in [(Some(reader), StatusCode::OK), (Some(writer), StatusCode::FORBIDDEN), (None, StatusCode::UNAUTHORIZED)] {
//!         let mut request = test::TestRequest::get().uri("/pets");
//!         if let Some(token) = token {
//!             request = request.insert_header(("Authorization", format!("Bearer {token}")));
//!         }
//!         assert_eq!(test::call_service(&app, request.to_request()).await.status(), status);
//!     }
//! }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "macros")]
mod derived;
mod extract;
pub mod metadata;
mod middleware;
#[cfg(feature = "utoipa")]
#[cfg_attr(docsrs, doc(cfg(feature = "utoipa")))]
pub mod openapi;
mod request;
mod requirement;
mod response;
mod scope;
mod scoped;
mod step_up;
mod stepped_up;

pub use auth_core;
pub use extract::{AuthRejection, Binding, Claims, OptionalClaims, OptionalVerified, Verified};
pub use middleware::{AuthLayer, AuthService, TokenExtractor};
pub use requirement::{Requirement, RequirementLayer, RequirementService};
pub use response::{AuthContext, challenge_response};
pub use scope::{RequireScopesLayer, RequireScopesService, check_scopes};
pub use scoped::{ScopeSet, Scoped};
pub use step_up::{RequireStepUpLayer, RequireStepUpService, check_step_up};
pub use stepped_up::{StepUpSet, SteppedUp};

#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc = include_str!("../docs/requires_scopes.md")]
pub use auth_macros::actix_requires_scopes as requires_scopes;

/// The any-of form of [`requires_scopes`]: one of the listed scopes suffices.
///
/// ```
/// use actix_auth::requires_any_scope;
///
/// #[requires_any_scope("pets:read", "admin")]
/// async fn list_pets() -> &'static str {
///     "[]"
/// }
/// # let _ = actix_web::web::get().to(list_pets);
/// ```
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
pub use auth_macros::actix_requires_any_scope as requires_any_scope;

#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc = include_str!("../docs/requires_step_up.md")]
pub use auth_macros::actix_requires_step_up as requires_step_up;

#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc = include_str!("../docs/derive_claims.md")]
pub use auth_macros::ActixClaims as Claims;

#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc = include_str!("../docs/derive_scopes.md")]
pub use auth_macros::Scopes;

/// What the macros' generated code calls. Not a public API: it may change in any release.
#[doc(hidden)]
#[cfg(feature = "macros")]
pub mod __private {
    pub use crate::derived::derived_claims;
    pub use crate::extract::AuthRejection as Error;
    pub use actix_web::dev::Payload;
    pub use actix_web::{FromRequest, HttpRequest};
    pub use auth_core::__private::{
        DeriveClaims, ScopeRegistration, StepUpRegistration, inventory, validate_scopes, validate_step_up,
    };
    pub use std::future::{Ready, ready};
}
