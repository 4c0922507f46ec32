//! RFC 6750 §3 rendering: status, `WWW-Authenticate`, `Retry-After` and a JSON body, as plain data.

use super::{AuthError, ErrorKind};

/// An HTTP answer to an authentication failure, independent of any web framework.
///
/// Adapters copy these fields into their own response type.
///
/// ```
/// use auth_core::{AuthError, TokenProblem};
///
/// let c = AuthError::InvalidToken(TokenProblem::Expired).challenge(Some("petstore"));
/// assert_eq!(c.status, 401);
/// assert_eq!(
///     c.www_authenticate.as_deref(),
///     Some(r#"Bearer realm="petstore", error="invalid_token", error_description="the token has expired""#)
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The HTTP status code.
    pub status: u16,
    /// The `WWW-Authenticate` header value, when the status calls for one.
    pub www_authenticate: Option<String>,
    /// The `Retry-After` header value in seconds, for 503.
    pub retry_after: Option<u64>,
    /// The OAuth error code (`invalid_token`, …), absent when no credentials were sent.
    pub error: Option<&'static str>,
    /// The human-readable description (a fixed text, never token contents).
    pub error_description: &'static str,
    /// A JSON body: `{"error":…,"error_description":…}`.
    pub body: String,
}

impl Challenge {
    /// The `Content-Type` of [`Challenge::body`].
    pub const CONTENT_TYPE: &'static str = "application/json";

    /// The answer of an adapter whose scope check or claims extractor finds no authentication
    /// middleware in front of it: 500 `server_error`, no `WWW-Authenticate`. A mounting mistake
    /// is answered (and logged by the adapter), never passed through and never a panic.
    ///
    /// ```
    /// let c = auth_core::Challenge::misconfigured();
    /// assert_eq!(c.status, 500);
    /// assert_eq!(c.www_authenticate, None);
    /// assert!(c.body.contains("server_error"));
    /// ```
    pub fn misconfigured() -> Challenge {
        let error_description = "authentication is not configured for this route";
        let body = serde_json::json!({ "error": "server_error", "error_description": error_description });
        Challenge {
            status: 500,
            www_authenticate: None,
            retry_after: None,
            error: Some("server_error"),
            error_description,
            body: body.to_string(),
        }
    }

    /// The response headers of this answer as (lowercase name, value) pairs, in this order:
    /// `content-type`, then `www-authenticate` and `retry-after` when present. Every HTTP
    /// adapter copies exactly these, so all frameworks send the same headers.
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::AuthError;
    ///
    /// let c = AuthError::Unavailable { retry_after: Duration::from_secs(5) }.challenge(None);
    /// let headers: Vec<_> = c.headers().collect();
    /// assert_eq!(headers, [("content-type", "application/json".to_owned()), ("retry-after", "5".to_owned())]);
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, String)> + '_ {
        [
            Some(("content-type", Self::CONTENT_TYPE.to_owned())),
            self.www_authenticate.clone().map(|v| ("www-authenticate", v)),
            self.retry_after.map(|secs| ("retry-after", secs.to_string())),
        ]
        .into_iter()
        .flatten()
    }
}

impl AuthError {
    /// Renders this error as RFC 6750 says, for the protection space `realm` (omitted when `None`).
    pub fn challenge(&self, realm: Option<&str>) -> Challenge {
        let (status, error) = match self.kind() {
            ErrorKind::MissingToken => (401, None),
            ErrorKind::InvalidRequest => (400, Some("invalid_request")),
            ErrorKind::InvalidToken => (401, Some("invalid_token")),
            ErrorKind::InsufficientScope => (403, Some("insufficient_scope")),
            ErrorKind::Unavailable => (503, Some("temporarily_unavailable")),
        };
        let description = self.description();
        let scope = match self {
            AuthError::InsufficientScope(req) => Some(req.scope_param()),
            _ => None,
        };
        let www_authenticate = match self.kind() {
            ErrorKind::Unavailable => None,
            _ => {
                let mut v = String::from("Bearer");
                let mut sep = " ";
                let mut push = |name: &str, value: &str| {
                    v.push_str(sep);
                    v.push_str(name);
                    v.push_str("=\"");
                    push_quoted(&mut v, value);
                    v.push('"');
                    sep = ", ";
                };
                if let Some(realm) = realm {
                    push("realm", realm);
                }
                if let Some(e) = error {
                    push("error", e);
                    push("error_description", description);
                }
                if let Some(s) = &scope {
                    push("scope", s);
                }
                Some(v)
            }
        };
        let retry_after = match self {
            AuthError::Unavailable { retry_after } => Some(retry_after.as_secs().max(1)),
            _ => None,
        };
        let body = serde_json::json!({
            "error": error.unwrap_or("invalid_token"),
            "error_description": description,
        })
        .to_string();
        let body = match error {
            Some(_) => body,
            // No credentials: RFC 6750 §3.1 says no error code; the body still explains.
            None => serde_json::json!({
                "error": "unauthorized",
                "error_description": description,
            })
            .to_string(),
        };
        Challenge { status, www_authenticate, retry_after, error, error_description: description, body }
    }
}

/// Appends `value` as the inside of an RFC 7230 quoted-string: `"` and `\` escaped, controls dropped.
fn push_quoted(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::claims::ScopeRequirement;
    use crate::error::{RequestProblem, TokenProblem};

    #[test]
    fn missing_token_has_no_error_code() {
        let c = AuthError::MissingToken.challenge(Some("petstore"));
        assert_eq!(c.status, 401);
        assert_eq!(c.www_authenticate.as_deref(), Some(r#"Bearer realm="petstore""#));
        assert_eq!(c.error, None);
    }

    #[test]
    fn invalid_request_is_400() {
        let c = AuthError::InvalidRequest(RequestProblem::EmptyCredentials).challenge(Some("r"));
        assert_eq!(c.status, 400);
        assert!(c.www_authenticate.unwrap().contains(r#"error="invalid_request""#));
        let body: serde_json::Value = serde_json::from_str(&c.body).unwrap();
        assert_eq!(body["error"], "invalid_request");
    }

    #[test]
    fn insufficient_scope_names_required_scopes() {
        let c = AuthError::InsufficientScope(ScopeRequirement::all(["pets:write", "admin"]))
            .challenge(Some("petstore"));
        assert_eq!(c.status, 403);
        let h = c.www_authenticate.unwrap();
        assert!(h.contains(r#"error="insufficient_scope""#), "{h}");
        assert!(h.ends_with(r#"scope="pets:write admin""#), "{h}");
    }

    #[test]
    fn unavailable_is_503_with_retry_after() {
        let c = AuthError::Unavailable { retry_after: Duration::from_secs(5) }.challenge(Some("r"));
        assert_eq!(c.status, 503);
        assert_eq!(c.retry_after, Some(5));
        assert_eq!(c.www_authenticate, None);
    }

    #[test]
    fn realm_is_escaped() {
        let c = AuthError::InvalidToken(TokenProblem::Expired).challenge(Some("a\"b\\c\r\n"));
        assert!(c.www_authenticate.unwrap().starts_with(r#"Bearer realm="a\"b\\c""#));
    }
}
