//! OpenAPI security from the middleware and attributes that enforce it (feature `utoipa`): the
//! security schemes from the validator's trusted issuers, each operation's requirement from its
//! handler's [`#[requires_scopes]`](crate::requires_scopes) and from the [`AuthLayer`] and
//! [`RequireScopesLayer`] wrapped around it. The logic is auth-core's ([`auth_core::openapi`]);
//! this module adds [`Access`] from this crate's middleware. The guide is `docs/openapi.md`.
//!
//! The operations are described with `#[utoipa::path]` (or by hand); the middleware values that
//! wrap the routes are the values that describe them:
//!
//! ```
//! use actix_auth::openapi::OpenApiSecurity;
//! use actix_auth::{AuthLayer, RequireScopesLayer, requires_scopes};
//! use actix_web::{App, HttpResponse, web};
//! use auth_core::{Algorithm, IssuerConfig, StaticKey, Validator};
//! use utoipa::OpenApi;
//!
//! /// Lists the pets.
//! #[utoipa::path(get, path = "/pets", responses((status = 200, description = "The pets")))]
//! #[requires_scopes("pets:read")]
//! async fn list_pets() -> HttpResponse {
//!     HttpResponse::Ok().json(Vec::<String>::new())
//! }
//!
//! /// Adds a pet.
//! #[utoipa::path(post, path = "/pets", responses((status = 201, description = "Added")))]
//! async fn add_pet() -> HttpResponse {
//!     HttpResponse::Created().finish()
//! }
//!
//! #[derive(OpenApi)]
//! #[openapi(paths(list_pets, add_pet))]
//! struct ApiDoc;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let validator = Validator::builder()
//!     .issuer(IssuerConfig::static_keys("https://idp.example.com", [StaticKey::hmac(vec![7; 32])]))
//!     .algorithms([Algorithm::HS256])
//!     .audience("petstore")
//!     .build()?;
//! let auth = AuthLayer::new(validator.clone());
//! let write = RequireScopesLayer::all(["pets:write"]);
//!
//! let mut api = ApiDoc::openapi();
//! OpenApiSecurity::new(&validator)
//!     // Handlers of this module only (an application passes `env!("CARGO_CRATE_NAME")`).
//!     .handlers_in(module_path!())
//!     // `list_pets`: found by its attribute. `add_pet`: the middleware that wraps it.
//!     .operation("add_pet", &write)
//!     .operations(["list_pets", "add_pet"], &auth)
//!     .apply(&mut api)?;
//! let json = api.to_json()?;
//!
//! let app = App::new()
//!     .route("/openapi.json", web::get().to(move || {
//!         let json = json.clone();
//!         async move { HttpResponse::Ok().content_type("application/json").body(json) }
//!     }))
//!     .service(
//!         web::resource("/pets")
//!             .route(web::get().to(list_pets))
//!             .route(web::post().to(add_pet).wrap(write))
//!             .wrap(auth),
//!     );
//! # let _ = app;
//! let doc = serde_json::to_value(&api)?;
//! assert_eq!(doc["paths"]["/pets"]["post"]["security"], serde_json::json!([{"openid": ["pets:write"]}]));
//! # Ok(()) }
//! ```

pub use auth_core::openapi::{Access, OpenApiError, OpenApiSecurity, STEP_UP, security_schemes};

use crate::{AuthLayer, RequireScopesLayer, RequireStepUpLayer};

impl From<&AuthLayer> for Access {
    /// A token required, or optional for an [`AuthLayer::optional`] middleware.
    fn from(layer: &AuthLayer) -> Self {
        Access::from(layer.authenticator())
    }
}

impl From<&RequireScopesLayer> for Access {
    /// The middleware's scope requirement.
    fn from(layer: &RequireScopesLayer) -> Self {
        Access::from(layer.requirement())
    }
}

impl From<&RequireStepUpLayer> for Access {
    /// The layer's step-up requirement (stated in the operation's `x-step-up` extension).
    fn from(layer: &RequireStepUpLayer) -> Self {
        Access::from(layer.requirement())
    }
}
