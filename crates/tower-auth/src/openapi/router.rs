//! [`OpenApiRouterExt`]: mount a layer on a utoipa-axum `OpenApiRouter` and declare, in the same
//! call, every operation it guards.

use std::convert::Infallible;

use axum::extract::Request;
use axum::response::IntoResponse;
use axum::routing::Route;
use tower_layer::Layer;
use tower_service::Service;
use utoipa_axum::router::OpenApiRouter;

use super::{Access, OpenApiSecurity};

/// `route_layer` that also documents what it enforces: a layer cannot know the routes it wraps,
/// but a utoipa-axum router knows the operations it serves.
///
/// ```
/// use auth_core::{Algorithm, IssuerConfig, StaticKey, Validator};
/// use tower_auth::openapi::{OpenApiRouterExt, OpenApiSecurity};
/// use tower_auth::{AuthLayer, RequireScopesLayer};
/// use utoipa_axum::{router::OpenApiRouter, routes};
///
/// #[utoipa::path(post, path = "/pets", responses((status = 201, description = "Added")))]
/// async fn add_pet() -> &'static str {
///     "added"
/// }
///
/// #[utoipa::path(get, path = "/me", responses((status = 200, description = "The caller")))]
/// async fn me() -> &'static str {
///     "you"
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let validator = Validator::builder()
///     .issuer(IssuerConfig::static_keys("https://idp.example.com", [StaticKey::hmac(vec![7; 32])]))
///     .algorithms([Algorithm::HS256])
///     .audience("petstore")
///     .build()?;
/// let mut security = OpenApiSecurity::new(&validator).handlers_in(module_path!());
///
/// let (router, mut api) = OpenApiRouter::new()
///     .merge(
///         OpenApiRouter::new()
///             .routes(routes!(add_pet))
///             .route_layer_secured(RequireScopesLayer::all(["pets:write"]), &mut security),
///     )
///     .routes(routes!(me))
///     // Every operation so far: `add_pet` and `me`.
///     .route_layer_secured(AuthLayer::new(validator), &mut security)
///     .split_for_parts();
/// security.apply(&mut api)?;
/// let router: axum::Router = router;
///
/// let json = serde_json::to_value(&api)?;
/// assert_eq!(json["paths"]["/pets"]["post"]["security"], serde_json::json!([{"openid": ["pets:write"]}]));
/// assert_eq!(json["paths"]["/me"]["get"]["security"], serde_json::json!([{"openid": []}]));
/// # let _ = router; Ok(()) }
/// ```
pub trait OpenApiRouterExt: Sized {
    /// [`OpenApiRouter::route_layer`] with `layer` (an `AuthLayer`, `FormAuthLayer`,
    /// `RequireScopesLayer` or `RequireStepUpLayer`), declaring it in `security` for every
    /// operation the router describes at this point (as `route_layer` wraps the routes added so
    /// far, not later ones).
    fn route_layer_secured<L>(self, layer: L, security: &mut OpenApiSecurity) -> Self
    where
        for<'a> &'a L: Into<Access>,
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static;
}

impl<S: Clone + Send + Sync + 'static> OpenApiRouterExt for OpenApiRouter<S> {
    fn route_layer_secured<L>(self, layer: L, security: &mut OpenApiSecurity) -> Self
    where
        for<'a> &'a L: Into<Access>,
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        security.declare_described(self.get_openapi(), &layer);
        self.route_layer(layer)
    }
}
