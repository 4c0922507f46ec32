//! [`FormAuthLayer`]: the authentication middleware that also reads the `access_token` field of
//! form-encoded bodies (RFC 6750 §2.2).
//!
//! Why a second layer type rather than a separate "form credentials" layer in front of
//! [`AuthLayer`]: the form field, the header, the query and the cookie must be judged together
//! (a token sent twice is `invalid_request`), in one call to auth-core's pipeline with the body in
//! its request view, and failures must
//! be rendered by the same renderer. One layer cannot be mounted in the wrong order, and the
//! `From<Bytes>` bound on the request body stays on this type only: [`AuthLayer`] still takes any body.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use auth_core::{AuthError, Authentication, RequestProblem, is_form_urlencoded};
use bytes::Bytes;
use http::{Request, Response, header};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use tower_layer::Layer;
use tower_service::Service;

use crate::body::ResponseBody;
use crate::future::{Preparation, ResponseFuture};
use crate::layer::{AuthLayer, Config};
use crate::service::dispatch;

/// The body limit to give [`AuthLayer::inspect_form_body`]: 64 KiB (shared with every adapter).
pub use auth_core::DEFAULT_FORM_BODY_LIMIT;

/// An [`AuthLayer`] that also reads `application/x-www-form-urlencoded` request bodies for an
/// `access_token` field; built by [`AuthLayer::inspect_form_body`].
///
/// For such requests (content-type compared case-insensitively, parameters allowed) the body is
/// buffered up to the limit, searched for `access_token`, and handed on unchanged (same bytes) to
/// the inner service. A body over the limit, or one that fails to arrive, is answered
/// 400 `invalid_request` ([`RequestProblem::UnreadableFormBody`]), rendered like every other
/// rejection (400 rather than 413 so custom renderers and the `WWW-Authenticate` challenge
/// apply). Other requests take exactly the [`AuthLayer`] path, without buffering.
///
/// The field counts as a credential whether or not
/// [`CredentialSources::form`](auth_core::CredentialSources::form) is on: sent with a header,
/// query or cookie credential, or twice, it is 400 `invalid_request`. Alone, it is the token only
/// when that source is on; otherwise the request has no credentials (401, or anonymous with
/// [`AuthLayer::optional`]).
///
/// Requires `ReqBody: http_body::Body + From<Bytes>`, as `axum::body::Body` is.
#[derive(Clone)]
pub struct FormAuthLayer {
    config: Arc<Config>,
    max_bytes: usize,
}

impl FormAuthLayer {
    /// The largest form body read, in bytes.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// The authenticator (its sources, optional mode and form-body limit), as
    /// [`AuthLayer::authenticator`].
    pub fn authenticator(&self) -> &auth_core::Authenticator {
        &self.config.authenticator
    }
}

impl AuthLayer {
    /// Also reads form-encoded request bodies (up to `max_bytes`, e.g.
    /// [`DEFAULT_FORM_BODY_LIMIT`]) for an `access_token` field: see [`FormAuthLayer`]. Call it
    /// last, after the other settings; turn the form source on with
    /// [`CredentialSources::with_form`](auth_core::CredentialSources::with_form) to accept such
    /// tokens, not only to refuse duplicates.
    ///
    /// ```
    /// use auth_core::{Algorithm, CredentialSources, IssuerConfig, StaticKey, Validator};
    /// use tower_auth::{AuthLayer, DEFAULT_FORM_BODY_LIMIT};
    ///
    /// # fn demo() -> Result<(), auth_core::ConfigError> {
    /// let validator = Validator::builder()
    ///     .issuer(IssuerConfig::static_keys("internal", [StaticKey::hmac(vec![7; 32])]))
    ///     .algorithms([Algorithm::HS256])
    ///     .audience("petstore")
    ///     .build()?;
    /// let layer = AuthLayer::new(validator)
    ///     .credential_sources(CredentialSources::default().with_form())
    ///     .inspect_form_body(DEFAULT_FORM_BODY_LIMIT);
    /// # let _ = layer; Ok(()) }
    /// ```
    pub fn inspect_form_body(self, max_bytes: usize) -> FormAuthLayer {
        let mut config = Config::clone(&self.config);
        config.authenticator = config.authenticator.clone().inspect_form_body(max_bytes);
        FormAuthLayer { config: Arc::new(config), max_bytes }
    }
}

impl<S> Layer<S> for FormAuthLayer {
    type Service = FormAuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        FormAuthService { inner, config: Arc::clone(&self.config), max_bytes: self.max_bytes }
    }
}

impl fmt::Debug for FormAuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FormAuthLayer")
            .field("config", &self.config)
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

/// Middleware validating access tokens, form bodies included; built by [`FormAuthLayer`].
#[derive(Clone)]
pub struct FormAuthService<S> {
    inner: S,
    config: Arc<Config>,
    max_bytes: usize,
}

impl<S> FormAuthService<S> {
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

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for FormAuthService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    ReqBody: Body + From<Bytes> + Send + 'static,
    ReqBody::Data: Send,
    ReqBody::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let is_form =
            req.headers().get(header::CONTENT_TYPE).is_some_and(|v| is_form_urlencoded(v.as_bytes()));
        if !is_form {
            return dispatch(&self.config, &mut self.inner, req);
        }
        // The instance polled ready serves this request once the body is read; keep a clone here.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let context = self.config.context(req.headers());
        let preparation = prepare(Arc::clone(&self.config), self.max_bytes, req);
        ResponseFuture::preparing(preparation, inner, context)
    }
}

/// Buffers the form body, authenticates with it in the request view (the one token among all
/// methods), and rebuilds the request from the same bytes.
fn prepare<B>(config: Arc<Config>, max_bytes: usize, req: Request<B>) -> Preparation<B>
where
    B: Body + From<Bytes> + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    Box::pin(async move {
        let (parts, body) = req.into_parts();
        let bytes = match Limited::new(body, max_bytes).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) => {
                tracing::debug!(%error, max_bytes, "form body not read");
                let problem: AuthError = RequestProblem::UnreadableFormBody.into();
                return Err(config.authenticator.refuse(problem));
            }
        };
        let authentication = config.authenticate(&parts.method, &parts.uri, &parts.headers, Some(&bytes));
        let authenticated = match authentication {
            Authentication::Ready(outcome) => outcome?,
            Authentication::Pending(pending) => pending.await?,
        };
        Ok((Request::from_parts(parts, B::from(bytes)), authenticated))
    })
}

impl<S: fmt::Debug> fmt::Debug for FormAuthService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FormAuthService")
            .field("inner", &self.inner)
            .field("config", &self.config)
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}
