//! [`Auth`]: the authentication middleware service.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use auth_core::AuthError;
use http::{Request, Response};
use tower_service::Service;

use crate::body::ResponseBody;
use crate::context::AuthContext;
use crate::future::ResponseFuture;
use crate::layer::Config;
use crate::request::is_grpc;

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
        // The instance polled ready is the one that must serve this request; keep a clone here.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        dispatch(&self.config, inner, req)
    }
}

/// The body-blind path: locate the token in headers and query, then validate it or reject.
pub(crate) fn dispatch<S, ReqBody, ResBody>(
    config: &Config,
    inner: S,
    mut req: Request<ReqBody>,
) -> ResponseFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    let context = AuthContext { renderer: config.renderer.clone(), grpc: is_grpc(req.headers()) };
    match config.locate(req.headers(), req.uri(), None) {
        Ok(Some(token)) => {
            let validator = config.validator.clone();
            let validation = Box::pin(async move { validator.validate(&token).await });
            ResponseFuture::validating(validation, inner, req, context)
        }
        Ok(None) if config.optional => {
            req.extensions_mut().insert(context);
            ResponseFuture::call(inner, req)
        }
        Ok(None) => ResponseFuture::reject(context.error_response(&AuthError::MissingToken)),
        Err(e) => ResponseFuture::reject(context.error_response(&e)),
    }
}

impl<S: fmt::Debug> fmt::Debug for Auth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth").field("inner", &self.inner).field("config", &self.config).finish()
    }
}
