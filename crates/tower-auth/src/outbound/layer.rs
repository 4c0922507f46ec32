//! The tower layer and its service.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use auth_core::client::{AccessToken, OutboundTokens, SubjectToken};
use http::{HeaderValue, Request, Response, header};
use http_body::Body;
use tower_layer::Layer;
use tower_service::Service;

use super::BoxError;

/// Adds `Authorization` (and, for DPoP-bound tokens, a fresh `DPoP` proof) to every request
/// (see the [module](super) docs).
///
/// ```no_run
/// # async fn demo(tokens: auth_core::client::OutboundTokens) -> Result<(), Box<dyn std::error::Error>> {
/// use tower_auth::outbound::OutboundAuthLayer;
///
/// // A tonic client whose every call carries this service's token.
/// # #[cfg(feature = "tonic")] {
/// let channel = tonic::transport::Endpoint::from_static("http://pets:50051").connect().await?;
/// let layer = OutboundAuthLayer::new(tokens).origin("http://pets:50051");
/// let channel = tower::ServiceBuilder::new().layer(layer).service(channel);
/// # let _ = channel; }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct OutboundAuthLayer {
    tokens: OutboundTokens,
    origin: Option<Arc<str>>,
}

impl OutboundAuthLayer {
    /// A layer sending the tokens of `tokens`.
    pub fn new(tokens: OutboundTokens) -> Self {
        OutboundAuthLayer { tokens, origin: None }
    }

    /// The `scheme://authority` requests go to, for clients whose request URIs are only a path:
    /// DPoP proofs name the absolute URI (`htu`).
    pub fn origin(mut self, origin: &str) -> Self {
        self.origin = Some(Arc::from(origin.trim_end_matches('/')));
        self
    }
}

impl<S> Layer<S> for OutboundAuthLayer {
    type Service = OutboundAuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        OutboundAuthService { inner, tokens: self.tokens.clone(), origin: self.origin.clone() }
    }
}

/// The service of [`OutboundAuthLayer`].
#[derive(Debug, Clone)]
pub struct OutboundAuthService<S> {
    inner: S,
    tokens: OutboundTokens,
    origin: Option<Arc<str>>,
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
        let origin = self.origin.clone();
        Box::pin(async move {
            // The absolute URI, written out only when a proof names it or a 401 is judged.
            let sent_uri = req.uri().clone();
            let uri = || match (&origin, sent_uri.authority()) {
                (Some(origin), None) => format!("{origin}{}", sent_uri.path()),
                _ => sent_uri.to_string(),
            };
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
            let proof_uri = token.is_dpop().then(uri);
            let response = inner
                .call(authorized(req, &tokens, proof_uri.as_deref(), &token)?)
                .await
                .map_err(Into::into)?;
            if response.status() != http::StatusCode::UNAUTHORIZED
                && !response.headers().contains_key("dpop-nonce")
            {
                return Ok(response);
            }
            let uri = proof_uri.unwrap_or_else(uri);
            let headers = response.headers();
            let challenges = headers.get_all(header::WWW_AUTHENTICATE).iter().map(HeaderValue::as_bytes);
            let nonce = headers.get("dpop-nonce").map(HeaderValue::as_bytes);
            let status = response.status().as_u16();
            let retry = tokens.should_retry(&uri, status, challenges, nonce, subject.as_ref(), &token);
            let Some(again) = again.filter(|_| retry) else { return Ok(response) };
            let token = tokens.token(subject.as_ref()).await?;
            std::future::poll_fn(|cx| inner.poll_ready(cx)).await.map_err(Into::into)?;
            let proof_uri = token.is_dpop().then_some(uri.as_str());
            inner.call(authorized(again, &tokens, proof_uri, &token)?).await.map_err(Into::into)
        })
    }
}

/// The request with `Authorization` (and a fresh `DPoP` proof for a DPoP-bound token).
fn authorized<B>(
    mut req: Request<B>,
    tokens: &OutboundTokens,
    uri: Option<&str>,
    token: &AccessToken,
) -> Result<Request<B>, BoxError> {
    let proof = match uri {
        Some(uri) => tokens.proof(req.method().as_str(), uri, token)?,
        None => None,
    };
    let headers = req.headers_mut();
    headers.insert(header::AUTHORIZATION, token.authorization_header().clone());
    if let Some(proof) = proof {
        headers.insert("dpop", HeaderValue::try_from(proof)?);
    }
    Ok(req)
}
