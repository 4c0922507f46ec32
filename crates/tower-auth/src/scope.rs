//! [`RequireScopesLayer`]: a route's scope requirement, checked on the claims the
//! [`AuthLayer`](crate::AuthLayer) left in the request extensions.

use auth_core::requirements::check_scopes;
use auth_core::{AuthError, Claims, ScopeRequirement, Validator};

use crate::requirement::{Requirement, RequirementLayer, RequirementService};

/// Requires scopes of the verified token: 403 `insufficient_scope` naming the required scopes in
/// `WWW-Authenticate` (gRPC: 7 `PERMISSION_DENIED`) when they are lacking, 401 when the request is
/// anonymous (an optional [`AuthLayer`](crate::AuthLayer)).
///
/// Must sit inside an `AuthLayer`: without one every request is answered 500 and an error is
/// logged, so a mounting mistake never opens a route. With axum, apply the `AuthLayer` last
/// (outermost): `.route_layer(RequireScopesLayer::all(["pets:write"])).route_layer(auth)`.
///
/// ```
/// use tower_auth::RequireScopesLayer;
///
/// let write = RequireScopesLayer::all(["pets:write"]);
/// let read_or_admin = RequireScopesLayer::any(["pets:read", "admin"]);
/// # let _ = (write, read_or_admin);
/// ```
pub type RequireScopesLayer = RequirementLayer<ScopeRequirement>;

/// Middleware checking the requirement of a [`RequireScopesLayer`].
pub type RequireScopesService<S> = RequirementService<S, ScopeRequirement>;

impl RequirementLayer<ScopeRequirement> {
    /// Requires this scope requirement. Its scopes are registered for the API's descriptions
    /// ([`auth_core::requirements::registered_scopes`]: the RFC 9728 `scopes_supported`).
    pub fn new(requirement: ScopeRequirement) -> Self {
        auth_core::requirements::register_scopes(requirement.scopes());
        RequirementLayer { requirement }
    }

    /// Requires every one of `scopes`.
    pub fn all<I: IntoIterator<Item = T>, T: Into<String>>(scopes: I) -> Self {
        RequireScopesLayer::new(ScopeRequirement::all(scopes))
    }

    /// Requires at least one of `scopes`.
    pub fn any<I: IntoIterator<Item = T>, T: Into<String>>(scopes: I) -> Self {
        RequireScopesLayer::new(ScopeRequirement::any(scopes))
    }
}

impl Requirement for ScopeRequirement {
    const LAYER: &'static str = "RequireScopesLayer";

    fn check(&self, claims: Option<&Claims>, _: &Validator) -> Result<(), AuthError> {
        check_scopes(claims, self)
    }
}
