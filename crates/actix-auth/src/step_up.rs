//! [`RequireStepUpLayer`]: a step-up requirement (RFC 9470) for a route, resource or scope,
//! checked on the claims the [`AuthLayer`](crate::AuthLayer) middleware left in the request
//! extensions, with the validator's clock.

use std::fmt;
use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{Error, HttpMessage, HttpRequest, ResponseError};
use auth_core::StepUp;
use futures_util::future::LocalBoxFuture;

use crate::extract::{AuthRejection, lookup};

/// Requires a strong or recent enough user authentication: 401
/// `insufficient_user_authentication` with `acr_values` and/or `max_age` in `WWW-Authenticate`
/// when the token's `acr` or `auth_time` fails, 401 when the request is anonymous, 500 without
/// the [`AuthLayer`](crate::AuthLayer) middleware in front.
///
/// Register it before the route's [`RequireScopesLayer`](crate::RequireScopesLayer) (actix runs
/// the middleware registered last first), so scopes are checked first:
///
/// ```
/// use std::time::Duration;
/// use actix_auth::{AuthLayer, RequireScopesLayer, RequireStepUpLayer};
/// use actix_web::{HttpResponse, web};
/// use auth_core::StepUp;
///
/// # fn demo(validator: auth_core::Validator) {
/// let pay = web::resource("/orders/{id}/payment")
///     .route(
///         web::post()
///             .to(HttpResponse::Ok)
///             .wrap(RequireStepUpLayer::new(StepUp::acr(["mfa"]).max_age(Duration::from_secs(300))))
///             .wrap(RequireScopesLayer::all(["pets:write"])),
///     )
///     .wrap(AuthLayer::new(validator));
/// # let _ = pay; }
/// ```
#[derive(Clone)]
pub struct RequireStepUpLayer {
    requirement: StepUp,
}

impl RequireStepUpLayer {
    /// Requires `requirement`.
    pub fn new(requirement: StepUp) -> Self {
        RequireStepUpLayer { requirement }
    }

    /// The requirement.
    pub fn requirement(&self) -> &StepUp {
        &self.requirement
    }
}

impl fmt::Debug for RequireStepUpLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireStepUpLayer").field("requirement", &self.requirement).finish()
    }
}

/// Checks `requirement` against the verified claims of `req`: the check [`RequireStepUpLayer`]
/// makes, for use inside a handler. The rejection renders as the middleware would.
///
/// ```
/// use std::time::Duration;
/// use actix_auth::check_step_up;
/// use actix_web::{HttpRequest, HttpResponse};
/// use auth_core::StepUp;
///
/// async fn pay(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
///     check_step_up(&req, &StepUp::acr(["mfa"]).max_age(Duration::from_secs(300)))?;
///     Ok(HttpResponse::Ok().finish())
/// }
/// # let _ = pay;
/// ```
pub fn check_step_up(req: &HttpRequest, requirement: &StepUp) -> Result<(), AuthRejection> {
    let (claims, context) = lookup(&req.extensions(), "RequireStepUpLayer")?;
    auth_core::requirements::check_step_up(claims.as_ref(), requirement, context.validator())
        .map_err(|error| AuthRejection::auth(error, context))
}

impl<S, B> Transform<S, ServiceRequest> for RequireStepUpLayer
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = RequireStepUpService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireStepUpService { service: Rc::new(service), requirement: self.requirement.clone() }))
    }
}

/// The service built by [`RequireStepUpLayer`] around the wrapped service.
pub struct RequireStepUpService<S> {
    service: Rc<S>,
    requirement: StepUp,
}

impl<S> fmt::Debug for RequireStepUpService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireStepUpService").field("requirement", &self.requirement).finish()
    }
}

impl<S, B> Service<ServiceRequest> for RequireStepUpService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        match check_step_up(req.request(), &self.requirement) {
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
