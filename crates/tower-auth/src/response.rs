//! Turning an [`AuthError`] into a response: RFC 6750 for HTTP, trailers-only `grpc-status` for gRPC.

use std::fmt;
use std::sync::Arc;

use auth_core::{AuthError, Challenge, ErrorKind};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response, StatusCode, header};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// A custom renderer for HTTP rejections, see [`AuthLayer::render_errors_with`](crate::AuthLayer::render_errors_with).
pub(crate) type RenderFn = dyn Fn(&AuthError, Challenge) -> Response<String> + Send + Sync;

/// gRPC status codes used here (grpc/doc/statuscodes.md).
const GRPC_INVALID_ARGUMENT: u8 = 3;
const GRPC_PERMISSION_DENIED: u8 = 7;
const GRPC_INTERNAL: u8 = 13;
const GRPC_UNAVAILABLE: u8 = 14;
const GRPC_UNAUTHENTICATED: u8 = 16;

/// gRPC `Percent-Byte-Unencoded` is %x20-%x24 / %x26-%x7E: encode controls, `%` and non-ASCII.
const GRPC_MESSAGE: &AsciiSet = &CONTROLS.add(b'%');

/// The realm and the optional custom renderer, shared by the auth layer, the scope layer and the
/// extractors, so every rejection of one route looks the same.
#[derive(Clone)]
pub(crate) struct Renderer {
    realm: Option<Arc<str>>,
    custom: Option<Arc<RenderFn>>,
}

impl Renderer {
    pub(crate) fn new(realm: Option<&str>) -> Self {
        Renderer { realm: realm.map(Arc::from), custom: None }
    }

    pub(crate) fn with_custom(mut self, f: Arc<RenderFn>) -> Self {
        self.custom = Some(f);
        self
    }

    pub(crate) fn realm(&self) -> Option<&str> {
        self.realm.as_deref()
    }

    pub(crate) fn is_custom(&self) -> bool {
        self.custom.is_some()
    }

    /// The response for `error`: gRPC shape when `grpc`, else HTTP (custom body if configured).
    pub(crate) fn render(&self, error: &AuthError, grpc: bool) -> Response<Bytes> {
        tracing::debug!(reason = error.reason(), grpc, "request rejected");
        let challenge = error.challenge(self.realm());
        if grpc {
            return grpc_response(error.kind(), challenge.error_description, &challenge);
        }
        match &self.custom {
            None => challenge_response(&challenge).map(Bytes::from),
            Some(f) => {
                let mut res = f(error, challenge.clone());
                // A custom body must not lose the status or the challenge headers by omission.
                if res.status() == StatusCode::OK {
                    *res.status_mut() = status(&challenge);
                }
                let headers = res.headers_mut();
                if !headers.contains_key(header::WWW_AUTHENTICATE)
                    && let Some(v) = challenge.www_authenticate.as_deref().and_then(header_value)
                {
                    headers.insert(header::WWW_AUTHENTICATE, v);
                }
                if !headers.contains_key(header::RETRY_AFTER)
                    && let Some(secs) = challenge.retry_after
                {
                    headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                res.map(Bytes::from)
            }
        }
    }
}

impl fmt::Debug for Renderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Renderer")
            .field("realm", &self.realm)
            .field("custom", &self.custom.is_some())
            .finish()
    }
}

/// The default HTTP rendering of a challenge: its status, `WWW-Authenticate`, `Retry-After`,
/// `content-type: application/json` and its JSON body.
///
/// Custom renderers can start from it and replace the body:
///
/// ```
/// use auth_core::{AuthError, TokenProblem};
///
/// let challenge = AuthError::InvalidToken(TokenProblem::Expired).challenge(Some("petstore"));
/// let res = tower_auth::challenge_response(&challenge);
/// assert_eq!(res.status(), 401);
/// assert!(res.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
/// ```
pub fn challenge_response(challenge: &Challenge) -> Response<String> {
    let mut res = Response::new(challenge.body.clone());
    *res.status_mut() = status(challenge);
    let headers = res.headers_mut();
    for (name, value) in challenge.headers() {
        if let Some(v) = header_value(&value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    }
    res
}

/// The gRPC status code for an error class: 16 `UNAUTHENTICATED`, 7 `PERMISSION_DENIED`,
/// 14 `UNAVAILABLE`, 3 `INVALID_ARGUMENT`.
pub fn grpc_status(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::MissingToken | ErrorKind::InvalidToken => GRPC_UNAUTHENTICATED,
        ErrorKind::InsufficientScope => GRPC_PERMISSION_DENIED,
        ErrorKind::Unavailable => GRPC_UNAVAILABLE,
        ErrorKind::InvalidRequest => GRPC_INVALID_ARGUMENT,
        _ => GRPC_UNAUTHENTICATED,
    }
}

/// A trailers-only gRPC answer: HTTP 200, `grpc-status`, `grpc-message`, empty body. The
/// `WWW-Authenticate` header is kept so clients can still read the challenge.
fn grpc_response(kind: ErrorKind, message: &str, challenge: &Challenge) -> Response<Bytes> {
    let mut res = grpc_trailers_only(grpc_status(kind), message);
    if let Some(v) = challenge.www_authenticate.as_deref().and_then(header_value) {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    res
}

fn grpc_trailers_only(code: u8, message: &str) -> Response<Bytes> {
    let mut res = Response::new(Bytes::new());
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    headers.insert("grpc-status", HeaderValue::from(u16::from(code)));
    let encoded = utf8_percent_encode(message, GRPC_MESSAGE).to_string();
    if let Some(v) = header_value(&encoded) {
        headers.insert("grpc-message", v);
    }
    res
}

/// The answer when the auth layers are mounted wrongly (no `AuthLayer` in front): a 500 (gRPC:
/// 13 `INTERNAL`), never a panic and never a pass-through.
pub(crate) fn misconfigured(grpc: bool) -> Response<Bytes> {
    let challenge = Challenge::misconfigured();
    if grpc {
        return grpc_trailers_only(GRPC_INTERNAL, challenge.error_description);
    }
    challenge_response(&challenge).map(Bytes::from)
}

fn status(challenge: &Challenge) -> StatusCode {
    StatusCode::from_u16(challenge.status).unwrap_or(StatusCode::UNAUTHORIZED)
}

fn header_value(s: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(s).ok()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use auth_core::{RequestProblem, ScopeRequirement, TokenProblem};

    use super::*;

    #[test]
    fn grpc_codes_and_message_encoding() {
        let r = Renderer::new(Some("r"));
        let res = r.render(&AuthError::InsufficientScope(ScopeRequirement::all(["a"])), true);
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["grpc-status"], "7");
        assert!(res.headers()["www-authenticate"].to_str().unwrap().contains(r#"scope="a""#));
        assert!(res.body().is_empty());
        let res = r.render(&AuthError::InvalidRequest(RequestProblem::EmptyCredentials), true);
        assert_eq!(res.headers()["grpc-status"], "3");
        let res = r.render(&AuthError::Unavailable { retry_after: Duration::from_secs(3) }, true);
        assert_eq!(res.headers()["grpc-status"], "14");
        let res = grpc_trailers_only(16, "100% sure, très");
        assert_eq!(res.headers()["grpc-message"], "100%25 sure, tr%C3%A8s");
    }

    #[test]
    fn custom_renderer_keeps_status_and_challenge() {
        let f: Arc<RenderFn> = Arc::new(|_, c| Response::new(format!("problem: {}", c.error_description)));
        let r = Renderer::new(Some("r")).with_custom(f);
        let res = r.render(&AuthError::InvalidToken(TokenProblem::Expired), false);
        assert_eq!(res.status(), 401);
        assert!(res.headers().contains_key(header::WWW_AUTHENTICATE));
        assert_eq!(res.body(), "problem: the token has expired");
    }
}
