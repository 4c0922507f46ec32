//! [`RequireStepUpLayer`]: a step-up requirement (RFC 9470) for a route, resource or scope,
//! checked on the claims the [`AuthLayer`](crate::AuthLayer) middleware left in the request
//! extensions, with the validator's clock.

use actix_web::{HttpMessage, HttpRequest};
use auth_core::StepUp;

use crate::extract::{AuthRejection, lookup};
use crate::requirement::{Requirement, RequirementLayer, RequirementService};

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
pub type RequireStepUpLayer = RequirementLayer<StepUp>;

/// The middleware a [`RequireStepUpLayer`] builds around the wrapped service.
pub type RequireStepUpService<S> = RequirementService<S, StepUp>;

impl RequirementLayer<StepUp> {
    /// Requires `requirement`.
    pub fn new(requirement: StepUp) -> Self {
        RequirementLayer { requirement }
    }
}

impl Requirement for StepUp {
    const LAYER: &'static str = "RequireStepUpLayer";

    fn check(&self, req: &HttpRequest) -> Result<(), AuthRejection> {
        check_step_up(req, self)
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
