//! [`RequireScopesLayer`]: a route's scope requirement, checked on the claims the
//! [`AuthLayer`](crate::AuthLayer) left in the request extensions.

use std::fmt;
use std::task::{Context, Poll};

use auth_core::requirements::check_scopes;
use auth_core::{Claims, ScopeRequirement};
use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::body::ResponseBody;
use crate::context::AuthContext;
use crate::future::ResponseFuture;
use crate::request::is_grpc;
use crate::response::misconfigured;

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

impl<S> Layer<S> for RequireScopesLayer {
    type Service = RequireScopesService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireScopesService { inner, requirement: self.requirement.clone() }
    }
}

/// Middleware checking scopes; built by [`RequireScopesLayer`].
#[derive(Clone)]
pub struct RequireScopesService<S> {
    inner: S,
    requirement: ScopeRequirement,
}

impl<S> RequireScopesService<S> {
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

impl<S: fmt::Debug> fmt::Debug for RequireScopesService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireScopesService")
            .field("inner", &self.inner)
            .field("requirement", &self.requirement)
            .finish()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequireScopesService<S>
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
        // Decided at once: the inner service polled ready is called here, never cloned.
        let Some(context) = req.extensions().get::<AuthContext>() else {
            tracing::error!(
                requirement = %self.requirement,
                "RequireScopesLayer found no AuthLayer in front of it; mount the AuthLayer outside \
                 (after) the scope layer. Answering 500."
            );
            return ResponseFuture::reject(misconfigured(is_grpc(req.headers())));
        };
        match check_scopes(req.extensions().get::<Claims>(), &self.requirement) {
            Ok(()) => ResponseFuture::call(&mut self.inner, req, None),
            Err(e) => ResponseFuture::reject(context.error_response(&e)),
        }
    }
}
