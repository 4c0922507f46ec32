//! [`ResourceMetadataService`]: serves the RFC 9728 protected-resource metadata document of an
//! [`Authenticator`] at its well-known URIs (the root one, and the path-inserted one for a
//! resource with a path), `application/json` with `Cache-Control`; GET and HEAD, other methods
//! 405 with `Allow`.
//!
//! ```
//! use auth_core::metadata::ResourceMetadata;
//! use auth_core::{Algorithm, Authenticator, IssuerConfig, StaticKey, Validator};
//! use tower_auth::metadata::ResourceMetadataService;
//!
//! # fn main() -> Result<(), auth_core::ConfigError> {
//! let validator = Validator::builder()
//!     .issuer(IssuerConfig::static_keys("https://idp.example.com", [StaticKey::hmac(vec![7; 32])]))
//!     .algorithms([Algorithm::HS256])
//!     .audience("petstore")
//!     .resource_metadata(ResourceMetadata::new("https://api.example.com"))
//!     .build()?;
//! let authenticator = Authenticator::new(validator);
//! let metadata = ResourceMetadataService::new(authenticator.clone())?;
//! // axum: merge it beside the protected routes (outside their `route_layer`).
//! let app = axum::Router::<()>::new().merge(metadata.into_router());
//! # let _ = app; Ok(()) }
//! ```
//!
//! Beside tonic, add the same router with `Server::builder().add_routes(router.into())`: the
//! `AuthLayer` lets requests for the document through without credentials.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::task::{Context, Poll};

use auth_core::metadata::MetadataEndpoint;
use auth_core::{Authenticator, ConfigError};
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use tower_service::Service;

/// A tower service answering requests for the metadata document (404 for any other path), for
/// axum ([`into_router`](Self::into_router)), tonic, or any tower stack. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ResourceMetadataService {
    endpoint: MetadataEndpoint,
}

impl ResourceMetadataService {
    /// The service for `authenticator` (its validator's metadata, its bearer methods); a
    /// [`ConfigError`] on `resource_metadata` when the validator has none.
    pub fn new(authenticator: impl Into<Authenticator>) -> Result<Self, ConfigError> {
        MetadataEndpoint::new(authenticator).map(|endpoint| ResourceMetadataService { endpoint })
    }

    /// The request paths served: the root well-known path, then the path-inserted one.
    pub fn paths(&self) -> Vec<String> {
        self.endpoint.paths()
    }

    /// An axum router serving the document at [`paths`](Self::paths), to merge into the app
    /// (not behind the `AuthLayer`'s `route_layer`; the document is public).
    #[cfg(feature = "axum")]
    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    pub fn into_router<S: Clone + Send + Sync + 'static>(self) -> axum::Router<S> {
        let paths = self.paths();
        paths.iter().fold(axum::Router::new(), |router, path| router.route_service(path, self.clone()))
    }

    /// The answer to one request.
    pub fn respond(&self, method: &http::Method, path: &str) -> Response<Full<Bytes>> {
        let document = self.endpoint.document();
        let Some(answer) = document.as_ref().and_then(|d| d.answer(method.as_str(), path)) else {
            let mut res = Response::new(Full::new(Bytes::new()));
            *res.status_mut() = StatusCode::NOT_FOUND;
            return res;
        };
        let mut res = Response::new(Full::new(Bytes::copy_from_slice(answer.body.as_bytes())));
        *res.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = res.headers_mut();
        for (name, value) in answer.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        }
        res
    }
}

impl<B> Service<Request<B>> for ResourceMetadataService {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        ready(Ok(self.respond(req.method(), req.uri().path())))
    }
}
