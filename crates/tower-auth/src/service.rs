//! [`AuthService`]: the authentication middleware service.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use auth_core::Authentication;
use http::{Request, Response};
use tower_service::Service;

use crate::body::ResponseBody;
use crate::future::ResponseFuture;
use crate::layer::{Config, admit};
use crate::request::is_grpc;

/// Middleware authenticating every request; built by [`AuthLayer`](crate::AuthLayer).
#[derive(Clone)]
pub struct AuthService<S> {
    pub(crate) inner: S,
    pub(crate) config: Arc<Config>,
}

impl<S> AuthService<S> {
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

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for AuthService<S>
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
        dispatch(&self.config, &mut self.inner, req)
    }
}

/// The body-blind path: one call into auth-core's pipeline, then admit, answer, or wait.
///
/// What is decided at once (no token, a bad one, a token the verified-token cache knows whose
/// checks answer at once) calls `inner`, the instance polled ready, or answers, here. Only an
/// authentication that must wait swaps a clone of `inner` in and keeps the ready instance for later.
pub(crate) fn dispatch<S, ReqBody, ResBody>(
    config: &Config,
    inner: &mut S,
    mut req: Request<ReqBody>,
) -> ResponseFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
{
    match config.authenticate(req.method(), req.uri(), req.headers(), None) {
        Authentication::Ready(Ok(authenticated)) => {
            let context = config.context(req.headers());
            let headers = admit(&mut req, authenticated, context);
            ResponseFuture::call(inner, req, headers)
        }
        Authentication::Ready(Err(refusal)) => {
            ResponseFuture::reject(config.renderer.render(&refusal, is_grpc(req.headers())))
        }
        Authentication::Pending(authentication) => {
            let context = config.context(req.headers());
            let clone = inner.clone();
            let ready = std::mem::replace(inner, clone);
            ResponseFuture::waiting(authentication, ready, req, context)
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for AuthService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthService").field("inner", &self.inner).field("config", &self.config).finish()
    }
}
