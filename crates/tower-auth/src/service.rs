//! [`Auth`]: the authentication middleware service.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use auth_core::Decision;
use http::{Request, Response};
use tower_service::Service;

use crate::body::ResponseBody;
use crate::context::AuthContext;
use crate::future::ResponseFuture;
use crate::layer::Config;
use crate::request::{HttpParts, is_grpc};

/// Middleware validating access tokens; built by [`AuthLayer`](crate::AuthLayer).
#[derive(Clone)]
pub struct Auth<S> {
    pub(crate) inner: S,
    pub(crate) config: Arc<Config>,
}

impl<S> Auth<S> {
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

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Auth<S>
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

/// The body-blind path: locate the token in headers and query, then validate it or reject.
///
/// What can be decided at once ([`auth_core::Validator::decide`]: no token, a bad one, a token the
/// verified-token cache knows) calls `inner`, the instance polled ready, or answers, here. Only a
/// validation that must wait swaps a clone of `inner` in and keeps the ready instance for later.
pub(crate) fn dispatch<S, ReqBody, ResBody>(
    config: &Config,
    inner: &mut S,
    mut req: Request<ReqBody>,
) -> ResponseFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
{
    let context = AuthContext { renderer: config.renderer.clone(), grpc: is_grpc(req.headers()) };
    let parts = HttpParts::new(req.headers(), req.uri());
    let found = match config.find(&parts, None) {
        Ok(found) => found,
        Err(e) => return ResponseFuture::reject(context.error_response(&e)),
    };
    match config.validator.decide(found, config.optional) {
        Decision::Now(Ok(claims)) => {
            if let Some(claims) = claims {
                req.extensions_mut().insert(claims);
            }
            req.extensions_mut().insert(context);
            ResponseFuture::call(inner, req)
        }
        Decision::Now(Err(e)) => ResponseFuture::reject(context.error_response(&e)),
        Decision::Validate(token) => {
            let (validator, token) = (config.validator.clone(), token.into_owned());
            let validation = Box::pin(async move { validator.validate_in_full(&token).await });
            let clone = inner.clone();
            let ready = std::mem::replace(inner, clone);
            ResponseFuture::validating(validation, ready, req, context)
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for Auth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth").field("inner", &self.inner).field("config", &self.config).finish()
    }
}
