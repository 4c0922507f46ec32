//! Turning an [`AuthError`] into an actix-web response, exactly as auth-core renders it (RFC 6750:
//! status, `WWW-Authenticate`, `Retry-After`, JSON body) — the same answer `tower-auth` gives.

use std::fmt;
use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use auth_core::{AuthError, Authenticator, Refusal, Rejection, Scheme};

/// A custom renderer for rejections, see [`AuthLayer::render_errors_with`](crate::AuthLayer::render_errors_with).
pub(crate) type RenderFn = dyn Fn(&AuthError, &Rejection) -> HttpResponse + Send + Sync;

/// The actix-web rendering of a rejection: its status, its headers ([`Rejection::headers`]:
/// `content-type: application/json`, one `WWW-Authenticate` per challenge, `Retry-After`, extra
/// headers), and its JSON body.
///
/// ```
/// use auth_core::{AuthError, TokenProblem};
///
/// let rejection = AuthError::InvalidToken(TokenProblem::Expired).rejection(Some("petstore"));
/// let res = actix_auth::challenge_response(&rejection);
/// assert_eq!(res.status(), 401);
/// assert!(res.headers().get("www-authenticate").unwrap().to_str().unwrap().contains("invalid_token"));
/// ```
pub fn challenge_response(rejection: &Rejection) -> HttpResponse {
    let status = StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::UNAUTHORIZED);
    let mut res = HttpResponse::with_body(status, rejection.body().to_owned()).map_into_boxed_body();
    let headers = res.headers_mut();
    for (name, value) in rejection.headers() {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.append(HeaderName::from_static(name), v);
        }
    }
    res
}

/// The 500 answer when the [`AuthLayer`](crate::AuthLayer) middleware is not in front of a scope
/// check or an extractor: a mounting mistake never opens a route.
pub(crate) fn misconfigured() -> HttpResponse {
    challenge_response(&Rejection::misconfigured())
}

/// Inserted into the request extensions by [`AuthLayer`](crate::AuthLayer) for every request it
/// lets through, with or without claims. Its presence proves the middleware is mounted; it renders
/// later rejections (insufficient scope, claims that do not fit a type) as the middleware renders
/// its own, and counts them in the validator's [`stats`](auth_core::Validator::stats).
#[derive(Clone)]
pub struct AuthContext {
    authenticator: Authenticator,
    custom: Option<Arc<RenderFn>>,
    scheme: Option<Scheme>,
}

impl AuthContext {
    pub(crate) fn new(authenticator: Authenticator, custom: Option<Arc<RenderFn>>) -> Self {
        AuthContext { authenticator, custom, scheme: None }
    }

    /// The same context for a request whose credentials came with `scheme`.
    pub(crate) fn with_scheme(mut self, scheme: Option<Scheme>) -> Self {
        self.scheme = scheme;
        self
    }

    /// The scheme the request's credentials came with (`None` for an anonymous request).
    pub fn scheme(&self) -> Option<Scheme> {
        self.scheme
    }

    /// The validator that authenticated the request (its clock and leeway judge step-up).
    pub(crate) fn validator(&self) -> &auth_core::Validator {
        self.authenticator.validator()
    }

    /// The realm named in challenges.
    pub fn realm(&self) -> Option<&str> {
        self.authenticator.validator().realm()
    }

    /// The response rejecting this request with `error` (counted), rendered as the middleware
    /// renders its own.
    pub fn error_response(&self, error: &AuthError) -> HttpResponse {
        self.render(&self.authenticator.refuse_for(error.clone(), self.scheme))
    }

    /// The response for a refusal: the custom renderer's, with whatever it lacks of the
    /// rejection's status and headers filled in by auth-core's rule.
    pub(crate) fn render(&self, refusal: &Refusal) -> HttpResponse {
        let (error, rejection) = (refusal.error(), refusal.rejection());
        let Some(f) = &self.custom else { return challenge_response(rejection) };
        let mut res = f(error, rejection);
        let (status, missing) =
            rejection.fill_in(res.status().as_u16(), |name| res.headers().contains_key(name));
        *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED);
        for (name, value) in missing {
            if let Ok(v) = HeaderValue::from_str(&value) {
                res.headers_mut().append(HeaderName::from_static(name), v);
            }
        }
        res
    }
}

impl fmt::Debug for AuthContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthContext")
            .field("realm", &self.realm())
            .field("custom_renderer", &self.custom.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use auth_core::{Algorithm, IssuerConfig, ScopeRequirement, StaticKey, TokenProblem, Validator};

    use super::*;

    #[test]
    fn headers_and_statuses_follow_the_rejection() {
        let validator = Validator::builder()
            .issuer(IssuerConfig::static_keys("i", [StaticKey::hmac(vec![7; 32])]))
            .algorithms([Algorithm::HS256])
            .audience("a")
            .realm("r")
            .build()
            .unwrap();
        let ctx = AuthContext::new(Authenticator::new(validator.clone()), None);
        let res = ctx.error_response(&AuthError::InsufficientScope(ScopeRequirement::any(["a", "b"])));
        assert_eq!(res.status(), 403);
        let challenge = res.headers().get("www-authenticate").unwrap().to_str().unwrap();
        assert!(challenge.ends_with(r#"scope="a b""#), "{challenge}");
        assert_eq!(res.headers().get("content-type").unwrap(), "application/json");
        // A rejection made after the middleware is counted like its own.
        assert_eq!(validator.stats().rejected("insufficient_scope"), 1);

        let res = ctx.error_response(&AuthError::Unavailable { retry_after: Duration::from_secs(7) });
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers().get("retry-after").unwrap(), "7");
        assert!(!res.headers().contains_key("www-authenticate"));

        let res = ctx.error_response(&AuthError::InvalidToken(TokenProblem::Expired));
        assert_eq!(res.status(), 401);
        assert_eq!(misconfigured().status(), 500);
    }
}
