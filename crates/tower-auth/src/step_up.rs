//! [`RequireStepUpLayer`]: a route's step-up requirement (RFC 9470), checked on the claims the
//! [`AuthLayer`](crate::AuthLayer) left in the request extensions, with the validator's clock.

use auth_core::requirements::check_step_up;
use auth_core::{AuthError, Claims, StepUp, Validator};

use crate::requirement::{Requirement, RequirementLayer, RequirementService};

/// Requires a strong or recent enough user authentication: 401
/// `insufficient_user_authentication` with `acr_values` and/or `max_age` in `WWW-Authenticate`
/// (gRPC: 16 `UNAUTHENTICATED` with the challenge in the metadata) when the token's `acr` or
/// `auth_time` fails, 401 when the request is anonymous, 500 without an `AuthLayer` in front.
///
/// Put it inside the route's [`RequireScopesLayer`](crate::RequireScopesLayer), so scopes are
/// checked first (a token lacking a scope is 403 whatever its `acr`). With axum's
/// `route_layer`, the layer added last runs first:
///
/// ```
/// use std::time::Duration;
/// use auth_core::StepUp;
/// use axum::{Router, routing::post};
/// use tower_auth::{RequireScopesLayer, RequireStepUpLayer};
///
/// let app: Router = Router::new().route(
///     "/orders/{id}/payment",
///     post(|| async { "paid" })
///         .route_layer(RequireStepUpLayer::new(StepUp::acr(["mfa"]).max_age(Duration::from_secs(300))))
///         .route_layer(RequireScopesLayer::all(["pets:write"])),
/// );
/// # let _ = app;
/// ```
pub type RequireStepUpLayer = RequirementLayer<StepUp>;

/// Middleware checking the requirement of a [`RequireStepUpLayer`].
pub type RequireStepUpService<S> = RequirementService<S, StepUp>;

impl RequirementLayer<StepUp> {
    /// Requires `requirement`.
    pub fn new(requirement: StepUp) -> Self {
        RequirementLayer { requirement }
    }
}

impl Requirement for StepUp {
    const LAYER: &'static str = "RequireStepUpLayer";

    fn check(&self, claims: Option<&Claims>, validator: &Validator) -> Result<(), AuthError> {
        check_step_up(claims, self, validator)
    }
}
