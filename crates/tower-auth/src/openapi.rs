//! OpenAPI security from the layers and attributes that enforce it (feature `utoipa`): the
//! security schemes from the validator's trusted issuers, each operation's requirement from its
//! handler's [`#[requires_scopes]`](crate::requires_scopes) and from the [`AuthLayer`] and
//! [`RequireScopesLayer`] in front of it. The logic is auth-core's ([`auth_core::openapi`]); this
//! module adds [`Access`] from this crate's layers. The guide is `docs/openapi.md`.
//!
//! With `utoipa-axum`, the document comes from the same router that serves the routes, and the
//! layer values that guard routes are the values that describe them (with the `utoipa-axum`
//! feature, [`OpenApiRouterExt::route_layer_secured`] mounts a layer and declares the routes it
//! guards in one call):
//!
//! ```
//! use auth_core::{Algorithm, IssuerConfig, StaticKey, Validator};
//! use tower_auth::openapi::OpenApiSecurity;
//! use tower_auth::{AuthLayer, RequireScopesLayer, requires_scopes};
//! use utoipa_axum::{router::OpenApiRouter, routes};
//!
//! /// Lists the pets.
//! #[utoipa::path(get, path = "/pets", responses((status = 200, description = "The pets")))]
//! #[requires_scopes("pets:read")]
//! async fn list_pets() -> &'static str {
//!     "[]"
//! }
//!
//! /// Adds a pet.
//! #[utoipa::path(post, path = "/pets", responses((status = 201, description = "Added")))]
//! async fn add_pet() -> &'static str {
//!     "added"
//! }
//!
//! /// Who am I?
//! #[utoipa::path(get, path = "/me", responses((status = 200, description = "The caller")))]
//! async fn me() -> &'static str {
//!     "you"
//! }
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
//! let (router, mut api) = OpenApiRouter::new()
//!     .routes(routes!(list_pets))
//!     .merge(OpenApiRouter::new().routes(routes!(add_pet)).route_layer(write.clone()))
//!     .routes(routes!(me))
//!     .route_layer(auth.clone())
//!     .split_for_parts();
//! OpenApiSecurity::new(&validator)
//!     // Handlers of this module only (an application passes `env!("CARGO_CRATE_NAME")`).
//!     .handlers_in(module_path!())
//!     // `list_pets`: found by its attribute. The others: the layers that guard them.
//!     .operation("add_pet", &write)
//!     .operations(["list_pets", "add_pet", "me"], &auth)
//!     .apply(&mut api)?;
//! let json = api.to_json()?;
//! let router: axum::Router = router.route(
//!     "/openapi.json",
//!     axum::routing::get(move || std::future::ready(([("content-type", "application/json")], json.clone()))),
//! );
//!
//! let json = serde_json::to_value(&api)?;
//! assert_eq!(json["paths"]["/pets"]["get"]["security"], serde_json::json!([{"openid": ["pets:read"]}]));
//! assert_eq!(json["paths"]["/pets"]["post"]["security"], serde_json::json!([{"openid": ["pets:write"]}]));
//! assert_eq!(json["paths"]["/me"]["get"]["security"], serde_json::json!([{"openid": []}]));
//! # let _ = router; Ok(()) }
//! ```

pub use auth_core::openapi::{Access, OpenApiError, OpenApiSecurity, STEP_UP, security_schemes};

#[cfg(feature = "utoipa-axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "utoipa-axum")))]
pub use router::OpenApiRouterExt;

#[cfg(feature = "utoipa-axum")]
mod router;

use crate::{AuthLayer, FormAuthLayer, RequireScopesLayer, RequireStepUpLayer};

impl From<&AuthLayer> for Access {
    /// A token required, or optional for an [`AuthLayer::optional`] layer.
    fn from(layer: &AuthLayer) -> Self {
        Access::from(layer.authenticator())
    }
}

impl From<&FormAuthLayer> for Access {
    /// A token required, or optional for an [`AuthLayer::optional`] layer.
    fn from(layer: &FormAuthLayer) -> Self {
        Access::from(layer.authenticator())
    }
}

impl From<&RequireScopesLayer> for Access {
    /// The layer's scope requirement.
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
