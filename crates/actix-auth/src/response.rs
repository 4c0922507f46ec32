//! Turning an [`AuthError`] into an actix-web response, exactly as auth-core renders it (RFC 6750:
//! status, `WWW-Authenticate`, `Retry-After`, JSON body) — the same answer `tower-auth` gives.

use std::fmt;
use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use auth_core::{AuthError, Challenge};

/// A custom renderer for rejections, see [`Auth::render_errors_with`](crate::Auth::render_errors_with).
pub(crate) type RenderFn = dyn Fn(&AuthError, Challenge) -> HttpResponse + Send + Sync;

/// The actix-web rendering of a challenge: its status, `content-type: application/json`,
/// `WWW-Authenticate` and `Retry-After` when present (see [`Challenge::headers`]), and its JSON
/// body.
///
/// ```
/// use auth_core::{AuthError, TokenProblem};
///
/// let challenge = AuthError::InvalidToken(TokenProblem::Expired).challenge(Some("petstore"));
/// let res = actix_auth::challenge_response(&challenge);
/// assert_eq!(res.status(), 401);
/// assert!(res.headers().get("www-authenticate").unwrap().to_str().unwrap().contains("invalid_token"));
/// ```
pub fn challenge_response(challenge: &Challenge) -> HttpResponse {
    let mut res = HttpResponse::with_body(status(challenge), challenge.body.clone()).map_into_boxed_body();
    let headers = res.headers_mut();
    for (name, value) in challenge.headers() {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    }
    res
}

/// The 500 answer when the [`Auth`](crate::Auth) middleware is not in front of a scope check
/// or an extractor: a mounting mistake never opens a route.
pub(crate) fn misconfigured() -> HttpResponse {
    challenge_response(&Challenge::misconfigured())
}

/// Inserted into the request extensions by [`Auth`](crate::Auth) for every request it lets
/// through, with or without claims. Its presence proves the middleware is mounted; it renders
/// later rejections (insufficient scope, claims that do not fit a type) with the same realm and
/// custom renderer.
#[derive(Clone)]
pub struct AuthContext {
    realm: Option<Arc<str>>,
    custom: Option<Arc<RenderFn>>,
}

impl AuthContext {
    pub(crate) fn new(realm: Option<Arc<str>>, custom: Option<Arc<RenderFn>>) -> Self {
        AuthContext { realm, custom }
    }

    /// The realm named in challenges.
    pub fn realm(&self) -> Option<&str> {
        self.realm.as_deref()
    }

    /// The response rejecting this request with `error`, rendered as the middleware renders its own.
    pub fn error_response(&self, error: &AuthError) -> HttpResponse {
        tracing::debug!(reason = error.reason(), "request rejected");
        let challenge = error.challenge(self.realm());
        let Some(f) = &self.custom else { return challenge_response(&challenge) };
        let mut res = f(error, challenge.clone());
        // A custom body must not lose the status or the challenge headers by omission.
        if res.status() == StatusCode::OK {
            *res.status_mut() = status(&challenge);
        }
        let headers = res.headers_mut();
        for (name, value) in challenge.headers() {
            let name = HeaderName::from_static(name);
            if name != actix_web::http::header::CONTENT_TYPE
                && !headers.contains_key(&name)
                && let Ok(v) = HeaderValue::from_str(&value)
            {
                headers.insert(name, v);
            }
        }
        res
    }
}

impl fmt::Debug for AuthContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthContext")
            .field("realm", &self.realm)
            .field("custom_renderer", &self.custom.is_some())
            .finish()
    }
}

fn status(challenge: &Challenge) -> StatusCode {
    StatusCode::from_u16(challenge.status).unwrap_or(StatusCode::UNAUTHORIZED)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use auth_core::{ScopeRequirement, TokenProblem};

    use super::*;

    #[test]
    fn headers_and_statuses_follow_the_challenge() {
        let ctx = AuthContext::new(Some(Arc::from("r")), None);
        let res = ctx.error_response(&AuthError::InsufficientScope(ScopeRequirement::any(["a", "b"])));
        assert_eq!(res.status(), 403);
        let challenge = res.headers().get("www-authenticate").unwrap().to_str().unwrap();
        assert!(challenge.ends_with(r#"scope="a b""#), "{challenge}");
        assert_eq!(res.headers().get("content-type").unwrap(), "application/json");

        let res = ctx.error_response(&AuthError::Unavailable { retry_after: Duration::from_secs(7) });
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers().get("retry-after").unwrap(), "7");
        assert!(!res.headers().contains_key("www-authenticate"));

        let res = ctx.error_response(&AuthError::InvalidToken(TokenProblem::Expired));
        assert_eq!(res.status(), 401);
        assert_eq!(misconfigured().status(), 500);
    }
}
