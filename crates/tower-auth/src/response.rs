//! Turning an [`AuthError`] into a response: RFC 6750 for HTTP, trailers-only `grpc-status` for gRPC.

use std::fmt;
use std::sync::Arc;

use auth_core::{AuthError, ErrorKind, Refusal, Rejection};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response, StatusCode, header};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// A custom renderer for HTTP rejections, see [`AuthLayer::render_errors_with`](crate::AuthLayer::render_errors_with).
pub(crate) type RenderFn = dyn Fn(&AuthError, &Rejection) -> Response<String> + Send + Sync;

/// gRPC status codes used here (grpc/doc/statuscodes.md).
const GRPC_INVALID_ARGUMENT: u8 = 3;
const GRPC_PERMISSION_DENIED: u8 = 7;
const GRPC_INTERNAL: u8 = 13;
const GRPC_UNAVAILABLE: u8 = 14;
const GRPC_UNAUTHENTICATED: u8 = 16;

/// gRPC `Percent-Byte-Unencoded` is %x20-%x24 / %x26-%x7E: encode controls, `%` and non-ASCII.
const GRPC_MESSAGE: &AsciiSet = &CONTROLS.add(b'%');

/// The optional custom renderer, shared by the auth layer, the scope layer and the extractors,
/// so every rejection of one route looks the same.
#[derive(Clone, Default)]
pub(crate) struct Renderer {
    custom: Option<Arc<RenderFn>>,
}

impl Renderer {
    pub(crate) fn with_custom(f: Arc<RenderFn>) -> Self {
        Renderer { custom: Some(f) }
    }

    pub(crate) fn is_custom(&self) -> bool {
        self.custom.is_some()
    }

    /// The response for a refusal: gRPC shape when `grpc`, else HTTP (custom body if configured;
    /// whatever it lacks of the rejection's status and headers is filled in by auth-core's rule).
    pub(crate) fn render(&self, refusal: &Refusal, grpc: bool) -> Response<Bytes> {
        let (error, rejection) = (refusal.error(), refusal.rejection());
        if grpc {
            return grpc_response(error.kind(), rejection);
        }
        match &self.custom {
            None => challenge_response(rejection).map(Bytes::from),
            Some(f) => {
                let mut res = f(error, rejection);
                let (status, missing) =
                    rejection.fill_in(res.status().as_u16(), |name| res.headers().contains_key(name));
                *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED);
                for (name, value) in missing {
                    if let Some(v) = header_value(&value) {
                        res.headers_mut().append(HeaderName::from_static(name), v);
                    }
                }
                res.map(Bytes::from)
            }
        }
    }
}

impl fmt::Debug for Renderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Renderer").field("custom", &self.custom.is_some()).finish()
    }
}

/// The default HTTP rendering of a rejection: its status, its headers
/// ([`Rejection::headers`]: `content-type`, one `WWW-Authenticate` per challenge,
/// `Retry-After`, extra headers) and its JSON body.
///
/// Custom renderers can start from it and replace the body:
///
/// ```
/// use auth_core::{AuthError, TokenProblem};
///
/// let rejection = AuthError::InvalidToken(TokenProblem::Expired).rejection(Some("petstore"));
/// let res = tower_auth::challenge_response(&rejection);
/// assert_eq!(res.status(), 401);
/// assert!(res.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
/// ```
pub fn challenge_response(rejection: &Rejection) -> Response<String> {
    let mut res = Response::new(rejection.body().to_owned());
    *res.status_mut() = StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::UNAUTHORIZED);
    let headers = res.headers_mut();
    for (name, value) in rejection.headers() {
        if let Some(v) = header_value(&value) {
            headers.append(HeaderName::from_static(name), v);
        }
    }
    res
}

/// The gRPC status code for an error class: 16 `UNAUTHENTICATED`, 7 `PERMISSION_DENIED`,
/// 14 `UNAVAILABLE`, 3 `INVALID_ARGUMENT`.
pub fn grpc_status(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::MissingToken
        | ErrorKind::InvalidToken
        | ErrorKind::InvalidDpopProof
        | ErrorKind::UseDpopNonce => GRPC_UNAUTHENTICATED,
        ErrorKind::InsufficientScope => GRPC_PERMISSION_DENIED,
        ErrorKind::Unavailable => GRPC_UNAVAILABLE,
        ErrorKind::InvalidRequest => GRPC_INVALID_ARGUMENT,
        _ => GRPC_UNAUTHENTICATED,
    }
}

/// A trailers-only gRPC answer: HTTP 200, `grpc-status`, `grpc-message`, empty body. The
/// `WWW-Authenticate` challenges and a `DPoP-Nonce` are kept as metadata so clients can still
/// read them.
fn grpc_response(kind: ErrorKind, rejection: &Rejection) -> Response<Bytes> {
    let mut res = grpc_trailers_only(grpc_status(kind), rejection.error_description());
    for (name, value) in
        rejection.headers().filter(|(name, _)| matches!(*name, "www-authenticate" | "dpop-nonce"))
    {
        if let Some(v) = header_value(&value) {
            res.headers_mut().append(header::HeaderName::from_static(name), v);
        }
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
    let rejection = Rejection::misconfigured();
    if grpc {
        return grpc_trailers_only(GRPC_INTERNAL, rejection.error_description());
    }
    challenge_response(&rejection).map(Bytes::from)
}

fn header_value(s: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(s).ok()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use auth_core::{
        Algorithm, Authenticator, IssuerConfig, RequestProblem, ScopeRequirement, StaticKey, TokenProblem,
        Validator,
    };

    use super::*;

    fn authenticator() -> Authenticator {
        let validator = Validator::builder()
            .issuer(IssuerConfig::static_keys("i", [StaticKey::hmac(vec![7; 32])]))
            .algorithms([Algorithm::HS256])
            .audience("a")
            .realm("r")
            .build()
            .unwrap();
        Authenticator::new(validator)
    }

    #[test]
    fn grpc_codes_and_message_encoding() {
        let (a, r) = (authenticator(), Renderer::default());
        let res = r.render(&a.refuse(AuthError::InsufficientScope(ScopeRequirement::all(["a"]))), true);
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["grpc-status"], "7");
        assert!(res.headers()["www-authenticate"].to_str().unwrap().contains(r#"scope="a""#));
        assert!(res.body().is_empty());
        let res = r.render(&a.refuse(AuthError::InvalidRequest(RequestProblem::EmptyCredentials)), true);
        assert_eq!(res.headers()["grpc-status"], "3");
        let res = r.render(&a.refuse(AuthError::Unavailable { retry_after: Duration::from_secs(3) }), true);
        assert_eq!(res.headers()["grpc-status"], "14");
        let res = grpc_trailers_only(16, "100% sure, très");
        assert_eq!(res.headers()["grpc-message"], "100%25 sure, tr%C3%A8s");
    }

    #[test]
    fn custom_renderer_keeps_status_and_challenge() {
        let f: Arc<RenderFn> = Arc::new(|_, r| Response::new(format!("problem: {}", r.error_description())));
        let r = Renderer::with_custom(f);
        let res = r.render(&authenticator().refuse(AuthError::InvalidToken(TokenProblem::Expired)), false);
        assert_eq!(res.status(), 401);
        assert!(res.headers().contains_key(header::WWW_AUTHENTICATE));
        assert_eq!(res.body(), "problem: the token has expired");
    }
}
