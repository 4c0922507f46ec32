//! [`RequireStepUpLayer`]: a route's step-up requirement (RFC 9470), checked on the claims the
//! [`AuthLayer`](crate::AuthLayer) left in the request extensions, with the validator's clock.

use std::fmt;
use std::task::{Context, Poll};

use auth_core::requirements::check_step_up;
use auth_core::{Claims, StepUp};
use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::body::ResponseBody;
use crate::context::AuthContext;
use crate::future::ResponseFuture;
use crate::request::is_grpc;
use crate::response::misconfigured;

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

impl<S> Layer<S> for RequireStepUpLayer {
    type Service = RequireStepUpService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireStepUpService { inner, requirement: self.requirement.clone() }
    }
}

/// Middleware checking step-up; built by [`RequireStepUpLayer`].
#[derive(Clone)]
pub struct RequireStepUpService<S> {
    inner: S,
    requirement: StepUp,
}

impl<S> RequireStepUpService<S> {
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

impl<S: fmt::Debug> fmt::Debug for RequireStepUpService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireStepUpService")
            .field("inner", &self.inner)
            .field("requirement", &self.requirement)
            .finish()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequireStepUpService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let Some(context) = req.extensions().get::<AuthContext>() else {
            tracing::error!(
                requirement = %self.requirement,
                "RequireStepUpLayer found no AuthLayer in front of it; mount the AuthLayer outside \
                 (after) the step-up layer. Answering 500."
            );
            return ResponseFuture::reject(misconfigured(is_grpc(req.headers())));
        };
        let validator = context.authenticator.validator();
        match check_step_up(req.extensions().get::<Claims>(), &self.requirement, validator) {
            Ok(()) => ResponseFuture::call(&mut self.inner, req, None),
            Err(e) => ResponseFuture::reject(context.error_response(&e)),
        }
    }
}
