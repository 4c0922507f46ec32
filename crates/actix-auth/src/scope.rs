//! [`RequireScopesLayer`]: a scope requirement for a route, resource or scope, checked on the claims
//! the [`AuthLayer`](crate::AuthLayer) middleware left in the request extensions.

use std::fmt;
use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{Error, HttpMessage, HttpRequest, ResponseError};
use auth_core::ScopeRequirement;
use futures_util::future::LocalBoxFuture;

use crate::extract::{AuthRejection, lookup};

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
#[derive(Clone)]
pub struct RequireScopesLayer {
    requirement: ScopeRequirement,
}

impl RequireScopesLayer {
    /// Requires this scope requirement. Its scopes are registered for the API's descriptions
    /// ([`auth_core::requirements::registered_scopes`]: the RFC 9728 `scopes_supported`).
    pub fn new(requirement: ScopeRequirement) -> Self {
        auth_core::requirements::register_scopes(requirement.scopes());
        RequireScopesLayer { requirement }
    }

    /// Requires every one of `scopes`.
    pub fn all<I: IntoIterator<Item = T>, T: Into<String>>(scopes: I) -> Self {
        RequireScopesLayer::new(ScopeRequirement::all(scopes))
    }

    /// Requires at least one of `scopes`.
    pub fn any<I: IntoIterator<Item = T>, T: Into<String>>(scopes: I) -> Self {
        RequireScopesLayer::new(ScopeRequirement::any(scopes))
    }

    /// The requirement.
    pub fn requirement(&self) -> &ScopeRequirement {
        &self.requirement
    }
}

impl fmt::Debug for RequireScopesLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireScopesLayer").field("requirement", &self.requirement).finish()
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

impl<S, B> Transform<S, ServiceRequest> for RequireScopesLayer
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = RequireScopesService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireScopesService { service: Rc::new(service), requirement: self.requirement.clone() }))
    }
}

/// The service built by [`RequireScopesLayer`] around the wrapped service.
pub struct RequireScopesService<S> {
    service: Rc<S>,
    requirement: ScopeRequirement,
}

impl<S> fmt::Debug for RequireScopesService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireScopesService").field("requirement", &self.requirement).finish()
    }
}

impl<S, B> Service<ServiceRequest> for RequireScopesService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        match check_scopes(req.request(), &self.requirement) {
            Ok(()) => {
                let service = Rc::clone(&self.service);
                Box::pin(async move { service.call(req).await.map(ServiceResponse::map_into_left_body) })
            }
            Err(rejection) => {
                let response = req.into_response(rejection.error_response()).map_into_right_body();
                Box::pin(async move { Ok(response) })
            }
        }
    }
}
