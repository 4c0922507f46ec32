//! [`RequireScopesLayer`]: a scope requirement for a route, resource or scope, checked on the claims
//! the [`AuthLayer`](crate::AuthLayer) middleware left in the request extensions.

use actix_web::{HttpMessage, HttpRequest};
use auth_core::ScopeRequirement;

use crate::extract::{AuthRejection, lookup};
use crate::requirement::{Requirement, RequirementLayer, RequirementService};

/// Requires scopes of the verified token: 403 `insufficient_scope` naming the required scopes in
/// `WWW-Authenticate` when they are lacking, 401 when the request is anonymous (an optional
/// [`AuthLayer`](crate::AuthLayer)).
///
/// Must sit inside an `AuthLayer` middleware: without one every request is answered 500 and an
/// error is logged, so a mounting mistake never opens a route. actix runs the middleware
/// registered last first, so register `AuthLayer` after it:
///
/// ```
/// use actix_auth::{AuthLayer, RequireScopesLayer};
/// use actix_web::{HttpResponse, web};
///
/// # fn demo(validator: auth_core::Validator) {
/// let admin = web::scope("/admin")
///     .wrap(RequireScopesLayer::all(["admin"]))
///     .wrap(AuthLayer::new(validator.clone()))
///     .route("/stats", web::get().to(HttpResponse::Ok));
/// // Per route, inside a resource-wide `AuthLayer`:
/// let pets = web::resource("/pets")
///     .route(web::get().to(HttpResponse::Ok).wrap(RequireScopesLayer::any(["pets:read", "admin"])))
///     .route(web::post().to(HttpResponse::Created).wrap(RequireScopesLayer::all(["pets:write"])))
///     .wrap(AuthLayer::new(validator));
/// # let _ = (admin, pets); }
/// ```
pub type RequireScopesLayer = RequirementLayer<ScopeRequirement>;

/// The middleware a [`RequireScopesLayer`] builds around the wrapped service.
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

    fn check(&self, req: &HttpRequest) -> Result<(), AuthRejection> {
        check_scopes(req, self)
    }
}

/// Checks `requirement` against the verified claims of `req`: the check [`RequireScopesLayer`] makes,
/// for use inside a handler (or generated code). The rejection renders as the middleware would
/// (403 `insufficient_scope`, 401 for anonymous requests, 500 without an [`AuthLayer`](crate::AuthLayer)).
///
/// ```
/// use actix_auth::check_scopes;
/// use actix_web::{HttpRequest, HttpResponse};
/// use auth_core::ScopeRequirement;
///
/// async fn delete_pet(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
///     check_scopes(&req, &ScopeRequirement::all(["pets:write", "admin"]))?;
///     Ok(HttpResponse::NoContent().finish())
/// }
/// # let _ = delete_pet;
/// ```
pub fn check_scopes(req: &HttpRequest, requirement: &ScopeRequirement) -> Result<(), AuthRejection> {
    let (claims, context) = lookup(&req.extensions(), "RequireScopesLayer")?;
    auth_core::requirements::check_scopes(claims.as_ref(), requirement)
        .map_err(|error| AuthRejection::auth(error, context))
}
