//! The layer and middleware every route requirement shares ([`RequireScopesLayer`],
//! [`RequireStepUpLayer`]): find the [`AuthContext`] the `AuthLayer` left, run the requirement's
//! check on the verified claims, and answer a refusal as that `AuthLayer` would.
//!
//! [`RequireScopesLayer`]: crate::RequireScopesLayer
//! [`RequireStepUpLayer`]: crate::RequireStepUpLayer

use std::fmt;
use std::task::{Context, Poll};

use auth_core::{AuthError, Claims, Validator};
use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::body::ResponseBody;
use crate::context::AuthContext;
use crate::future::ResponseFuture;
use crate::request::is_grpc;
use crate::response::misconfigured;

mod sealed {
    pub trait Sealed {}
    impl Sealed for auth_core::ScopeRequirement {}
    impl Sealed for auth_core::StepUp {}
}

/// What a [`RequirementLayer`] checks on the verified claims: a
/// [`ScopeRequirement`](auth_core::ScopeRequirement) ([`RequireScopesLayer`](crate::RequireScopesLayer))
/// or a [`StepUp`](auth_core::StepUp) ([`RequireStepUpLayer`](crate::RequireStepUpLayer)).
/// Sealed.
pub trait Requirement: sealed::Sealed + Clone + fmt::Debug + fmt::Display {
    /// The layer's name, in logs and `Debug`.
    #[doc(hidden)]
    const LAYER: &'static str;

    /// The check (`None`: an anonymous request an optional `AuthLayer` let through).
    #[doc(hidden)]
    fn check(&self, claims: Option<&Claims>, validator: &Validator) -> Result<(), AuthError>;
}

/// A route requirement as a tower layer; use it through [`RequireScopesLayer`](crate::RequireScopesLayer)
/// and [`RequireStepUpLayer`](crate::RequireStepUpLayer).
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

impl<S, R: Requirement> Layer<S> for RequirementLayer<R> {
    type Service = RequirementService<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        RequirementService { inner, requirement: self.requirement.clone() }
    }
}

/// The middleware a [`RequirementLayer`] builds.
#[derive(Clone)]
pub struct RequirementService<S, R> {
    inner: S,
    requirement: R,
}

impl<S, R> RequirementService<S, R> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Consumes `self`, returning the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: fmt::Debug, R: Requirement> fmt::Debug for RequirementService<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequirementService")
            .field("layer", &R::LAYER)
            .field("inner", &self.inner)
            .field("requirement", &self.requirement)
            .finish()
    }
}

impl<S, R, ReqBody, ResBody> Service<Request<ReqBody>> for RequirementService<S, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    R: Requirement,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    /// Calls the inner service when the requirement accepts the request's claims; else answers
    /// the refusal as the `AuthLayer` in front renders it, or 500 (logged) when there is none,
    /// so a mounting mistake never opens a route.
    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        // Decided at once: the inner service polled ready is called here, never cloned.
        let Some(context) = req.extensions().get::<AuthContext>() else {
            tracing::error!(
                layer = R::LAYER,
                requirement = %self.requirement,
                "found no AuthLayer in front of it; mount the AuthLayer outside (after) this layer. \
                 Answering 500."
            );
            return ResponseFuture::reject(misconfigured(is_grpc(req.headers())));
        };
        match self.requirement.check(req.extensions().get::<Claims>(), context.authenticator.validator()) {
            Ok(()) => ResponseFuture::call(&mut self.inner, req, None),
            Err(e) => ResponseFuture::reject(context.error_response(&e)),
        }
    }
}
