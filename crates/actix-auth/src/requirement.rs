//! The middleware every route requirement shares ([`RequireScopesLayer`],
//! [`RequireStepUpLayer`]): run the requirement's check on the claims the `AuthLayer` left, then
//! call the wrapped service or answer the refusal.
//!
//! [`RequireScopesLayer`]: crate::RequireScopesLayer
//! [`RequireStepUpLayer`]: crate::RequireStepUpLayer

use std::fmt;
use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{Error, HttpRequest, ResponseError};
use futures_util::future::LocalBoxFuture;

use crate::extract::AuthRejection;

mod sealed {
    pub trait Sealed {}
    impl Sealed for auth_core::ScopeRequirement {}
    impl Sealed for auth_core::StepUp {}
}

/// What a [`RequirementLayer`] checks: a [`ScopeRequirement`](auth_core::ScopeRequirement)
/// ([`RequireScopesLayer`](crate::RequireScopesLayer)) or a [`StepUp`](auth_core::StepUp)
/// ([`RequireStepUpLayer`](crate::RequireStepUpLayer)). Sealed.
pub trait Requirement: sealed::Sealed + Clone + fmt::Debug + 'static {
    /// The layer's name, in `Debug`.
    #[doc(hidden)]
    const LAYER: &'static str;

    /// The check on `req`'s verified claims ([`check_scopes`](crate::check_scopes),
    /// [`check_step_up`](crate::check_step_up)).
    #[doc(hidden)]
    fn check(&self, req: &HttpRequest) -> Result<(), AuthRejection>;
}

/// A route requirement as actix middleware (`.wrap()`); use it through
/// [`RequireScopesLayer`](crate::RequireScopesLayer) and [`RequireStepUpLayer`](crate::RequireStepUpLayer).
#[derive(Clone)]
pub struct RequirementLayer<R> {
    pub(crate) requirement: R,
}

impl<R: Requirement> RequirementLayer<R> {
    /// The requirement.
    pub fn requirement(&self) -> &R {
        &self.requirement
    }
}

impl<R: Requirement> fmt::Debug for RequirementLayer<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(R::LAYER).field("requirement", &self.requirement).finish()
    }
}

impl<S, B, R> Transform<S, ServiceRequest> for RequirementLayer<R>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
    R: Requirement,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = RequirementService<S, R>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequirementService { service: Rc::new(service), requirement: self.requirement.clone() }))
    }
}

/// The service a [`RequirementLayer`] builds around the wrapped service.
pub struct RequirementService<S, R> {
    service: Rc<S>,
    requirement: R,
}

impl<S, R: Requirement> fmt::Debug for RequirementService<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequirementService")
            .field("layer", &R::LAYER)
            .field("requirement", &self.requirement)
            .finish()
    }
}

impl<S, B, R> Service<ServiceRequest> for RequirementService<S, R>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
    R: Requirement,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        match self.requirement.check(req.request()) {
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
