//! What the auth layer leaves in request extensions besides the claims, so that scope checks and
//! extractors further in reject exactly as the layer would.

use std::fmt;

use auth_core::AuthError;
use bytes::Bytes;
use http::Response;

use crate::response::Renderer;

/// Inserted into request extensions by [`Auth`](crate::Auth) for every request it lets through,
/// with or without claims. Its presence proves the layer is mounted; it renders later rejections
/// (insufficient scope, claims that do not fit a type) with the same realm, custom renderer and
/// HTTP-or-gRPC shape.
#[derive(Clone)]
pub struct AuthContext {
    pub(crate) renderer: Renderer,
    pub(crate) grpc: bool,
}

impl AuthContext {
    /// Whether the request is a gRPC call (rejections answer with `grpc-status`).
    pub fn is_grpc(&self) -> bool {
        self.grpc
    }

    /// The realm named in challenges.
    pub fn realm(&self) -> Option<&str> {
        self.renderer.realm()
    }

    /// The response rejecting this request with `error`, rendered as the layer renders its own.
    pub fn error_response(&self, error: &AuthError) -> Response<Bytes> {
        self.renderer.render(error, self.grpc)
    }
}

impl fmt::Debug for AuthContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthContext")
            .field("realm", &self.renderer.realm())
            .field("custom_renderer", &self.renderer.is_custom())
            .field("grpc", &self.grpc)
            .finish()
    }
}
