//! [`ResourceMetadataService`]: serves the RFC 9728 protected-resource metadata document of an
//! [`Authenticator`] at its well-known URIs (the root one, and the path-inserted one for a
//! resource with a path), `application/json` with `Cache-Control`; GET and HEAD, other methods
//! 405 with `Allow`. The same answers as `tower_auth::metadata`.
//!
//! ```
//! use actix_auth::metadata::ResourceMetadataService;
//! use actix_web::App;
//! use auth_core::metadata::ResourceMetadata;
//! use auth_core::{Algorithm, Authenticator, IssuerConfig, StaticKey, Validator};
//!
//! # fn main() -> Result<(), auth_core::ConfigError> {
//! let validator = Validator::builder()
//!     .issuer(IssuerConfig::static_keys("https://idp.example.com", [StaticKey::hmac(vec![7; 32])]))
//!     .algorithms([Algorithm::HS256])
//!     .audience("petstore")
//!     .resource_metadata(ResourceMetadata::new("https://api.example.com"))
//!     .build()?;
//! let metadata = ResourceMetadataService::new(Authenticator::new(validator))?;
//! let app = App::new().service(metadata); // beside the protected resources
//! # let _ = app; Ok(()) }
//! ```

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use auth_core::metadata::MetadataEndpoint;
use auth_core::{Authenticator, ConfigError};

/// An actix service factory registering one resource per well-known path of the document
/// (`App::service`). Cheap to clone.
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

    /// The answer to one request (404 for a path that is not the document's).
    pub fn respond(&self, req: &HttpRequest) -> HttpResponse {
        let document = self.endpoint.document();
        let Some(answer) = document.as_ref().and_then(|d| d.answer(req.method().as_str(), req.path())) else {
            return HttpResponse::NotFound().finish();
        };
        let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = HttpResponse::build(status);
        for (name, value) in answer.headers {
            res.insert_header((name, value));
        }
        res.body(answer.body.to_owned())
    }
}

impl HttpServiceFactory for ResourceMetadataService {
    fn register(self, config: &mut AppService) {
        for path in self.paths() {
            let this = self.clone();
            let handler = move |req: HttpRequest| {
                let answer = this.respond(&req);
                async move { answer }
            };
            web::resource(path).to(handler).register(config);
        }
    }
}
