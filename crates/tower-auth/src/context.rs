//! What the auth layer leaves in request extensions besides the claims, so that scope checks and
//! extractors further in reject exactly as the layer would.

use std::fmt;

use auth_core::{AuthError, Authenticator, Refusal, Scheme};
use bytes::Bytes;
use http::Response;

use crate::response::Renderer;

/// Inserted into the request extensions by [`AuthLayer`](crate::AuthLayer) for every request it
/// lets through, with or without claims. Its presence proves the layer is mounted; it renders
/// later rejections (insufficient scope, claims that do not fit a type) as the layer renders its
/// own, and counts them in the validator's [`stats`](auth_core::Validator::stats).
#[derive(Clone)]
pub struct AuthContext {
    pub(crate) authenticator: Authenticator,
    pub(crate) renderer: Renderer,
    pub(crate) grpc: bool,
    /// The scheme of the request's credentials, once authenticated.
    pub(crate) scheme: Option<Scheme>,
}

impl AuthContext {
    /// Whether the request is a gRPC call (answered with `grpc-status`).
    pub fn is_grpc(&self) -> bool {
        self.grpc
    }

    /// The realm named in challenges.
    pub fn realm(&self) -> Option<&str> {
        self.authenticator.validator().realm()
    }

    /// The scheme the request's credentials came with (`None` for an anonymous request).
    pub fn scheme(&self) -> Option<Scheme> {
        self.scheme
    }

    /// The refusal of `error`, counted, challenged with the request's scheme.
    pub fn refuse(&self, error: AuthError) -> Refusal {
        self.authenticator.refuse_for(error, self.scheme)
    }

    /// The response rejecting this request with `error`, rendered as the layer renders its own.
    pub fn error_response(&self, error: &AuthError) -> Response<Bytes> {
        self.renderer.render(&self.refuse(error.clone()), self.grpc)
    }
}

impl fmt::Debug for AuthContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthContext")
            .field("realm", &self.realm())
            .field("custom_renderer", &self.renderer.is_custom())
            .field("grpc", &self.grpc)
            .field("scheme", &self.scheme)
            .finish()
    }
}
