//! The tower layer and its service.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use auth_core::client::{OutboundTokens, SubjectToken};
use http::{HeaderValue, Request, Response, header};
use http_body::Body;
use tower_layer::Layer;
use tower_service::Service;

use super::BoxError;

/// Adds `Authorization: Bearer <token>` to every request (see the [module](super) docs).
///
/// ```no_run
/// # async fn demo(tokens: auth_core::client::OutboundTokens) -> Result<(), Box<dyn std::error::Error>> {
/// use tower_auth::outbound::OutboundAuthLayer;
///
/// // A tonic client whose every call carries this service's token.
/// # #[cfg(feature = "tonic")] {
/// let channel = tonic::transport::Endpoint::from_static("http://pets:50051").connect().await?;
/// let channel = tower::ServiceBuilder::new().layer(OutboundAuthLayer::new(tokens)).service(channel);
/// # let _ = channel; }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct OutboundAuthLayer {
    tokens: OutboundTokens,
}

impl OutboundAuthLayer {
    /// A layer sending the tokens of `tokens`.
    pub fn new(tokens: OutboundTokens) -> Self {
        OutboundAuthLayer { tokens }
    }
}

impl<S> Layer<S> for OutboundAuthLayer {
    type Service = OutboundAuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        OutboundAuthService { inner, tokens: self.tokens.clone() }
    }
}

/// The service of [`OutboundAuthLayer`].
#[derive(Debug, Clone)]
pub struct OutboundAuthService<S> {
    inner: S,
    tokens: OutboundTokens,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for OutboundAuthService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    ReqBody: Body + Default + Send + 'static,
    ResBody: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        // The clone waits for readiness on the next call; the ready one serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let tokens = self.tokens.clone();
        Box::pin(async move {
            let subject = req.extensions().get::<SubjectToken>().cloned();
            let token = tokens.token(subject.as_ref()).await?;
            // Known to be empty: it can be sent again.
            let replay = req.body().size_hint().exact() == Some(0);
            let again = replay.then(|| {
                let mut copy = Request::new(ReqBody::default());
                *copy.method_mut() = req.method().clone();
                *copy.uri_mut() = req.uri().clone();
                *copy.version_mut() = req.version();
                *copy.headers_mut() = req.headers().clone();
                if let Some(subject) = &subject {
                    copy.extensions_mut().insert(subject.clone());
                }
                copy
            });
            let response = inner.call(authorized(req, token.secret())?).await.map_err(Into::into)?;
            let challenges =
                response.headers().get_all(header::WWW_AUTHENTICATE).iter().map(HeaderValue::as_bytes);
            let retry = tokens.should_retry(response.status().as_u16(), challenges, subject.as_ref(), &token);
            let Some(again) = again.filter(|_| retry) else { return Ok(response) };
            let token = tokens.token(subject.as_ref()).await?;
            std::future::poll_fn(|cx| inner.poll_ready(cx)).await.map_err(Into::into)?;
            inner.call(authorized(again, token.secret())?).await.map_err(Into::into)
        })
    }
}

fn authorized<B>(mut req: Request<B>, token: &str) -> Result<Request<B>, BoxError> {
    let mut value = HeaderValue::try_from(format!("Bearer {token}"))?;
    value.set_sensitive(true);
    req.headers_mut().insert(header::AUTHORIZATION, value);
    Ok(req)
}
