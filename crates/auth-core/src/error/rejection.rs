//! RFC 6750 §3 rendering of a failure: status, challenges, `Retry-After`, extra headers and a JSON
//! body, as plain data every adapter copies into its own response type.

use std::sync::Arc;
use std::time::Duration;

use super::challenge::{Challenge, Scheme};
use super::{AuthError, ErrorKind, TokenProblem};

/// How this resource's challenges are rendered: its realm, and the schemes it accepts with their
/// parameters.
#[derive(Debug, Clone)]
pub(crate) struct ChallengeRules {
    pub(crate) realm: Option<Arc<str>>,
    /// Whether `Bearer` credentials are accepted.
    pub(crate) bearer: bool,
    /// When `DPoP` is accepted: its challenge's `algs`, and whether it is the only scheme.
    pub(crate) dpop: Option<DpopChallenge>,
    /// The URL of the RFC 9728 metadata document, named in every challenge when configured.
    pub(crate) resource_metadata: Option<Arc<str>>,
}

impl Default for ChallengeRules {
    fn default() -> Self {
        ChallengeRules { realm: None, bearer: true, dpop: None, resource_metadata: None }
    }
}

/// The `DPoP` challenge's settings.
#[derive(Debug, Clone)]
pub(crate) struct DpopChallenge {
    pub(crate) algs: Arc<str>,
    pub(crate) required: bool,
    /// Issues the `DPoP-Nonce` of a `use_dpop_nonce` answer.
    pub(crate) nonces: Option<(crate::checks::dpop::DpopNonces, Arc<dyn crate::Clock>)>,
}

/// The answer to a request that failed authentication, independent of any web framework.
///
/// Each scheme gets at most one challenge, and each challenge one `WWW-Authenticate` field of
/// its own (RFC 9110 §11.6.1 allows one field with a comma-separated list too; separate fields
/// keep every challenge readable by clients that parse one challenge per field): a `Bearer`
/// challenge when bearer tokens are accepted, a `DPoP` challenge (with `algs`) when the request
/// used the `DPoP` scheme, when DPoP is required, or when a DPoP-bound token came as a bearer
/// token. The error code and description go on the challenge of the scheme the client used
/// (the `DPoP` one for proof errors), which comes first.
///
/// ```
/// use auth_core::{AuthError, TokenProblem};
///
/// let r = AuthError::InvalidToken(TokenProblem::Expired).rejection(Some("petstore"));
/// assert_eq!(r.status(), 401);
/// assert_eq!(
///     r.challenges()[0].to_string(),
///     r#"Bearer realm="petstore", error="invalid_token", error_description="the token has expired""#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rejection {
    status: u16,
    challenges: Vec<Challenge>,
    retry_after: Option<u64>,
    error: Option<&'static str>,
    error_description: &'static str,
    extra_headers: Vec<(&'static str, String)>,
    body: String,
}

impl Rejection {
    /// The `Content-Type` of [`Rejection::body`].
    pub const CONTENT_TYPE: &'static str = "application/json";

    /// `used` is the scheme of the request's credentials, when it had any.
    pub(crate) fn render(error: &AuthError, rules: &ChallengeRules, used: Option<Scheme>) -> Rejection {
        let (status, code) = match error.kind() {
            ErrorKind::MissingToken => (401, None),
            ErrorKind::InvalidRequest => (400, Some("invalid_request")),
            ErrorKind::InvalidToken => (401, Some("invalid_token")),
            ErrorKind::InsufficientScope => (403, Some("insufficient_scope")),
            ErrorKind::InsufficientUserAuthentication => (401, Some("insufficient_user_authentication")),
            ErrorKind::InvalidDpopProof => (401, Some("invalid_dpop_proof")),
            ErrorKind::UseDpopNonce => (401, Some("use_dpop_nonce")),
            ErrorKind::Unavailable => (503, Some("temporarily_unavailable")),
        };
        let description = error.description();
        let mut extra_headers = Vec::new();
        let challenges = match error.kind() {
            // Not a problem with the credentials: nothing to challenge.
            ErrorKind::Unavailable => Vec::new(),
            _ => {
                let proof_error =
                    matches!(error.kind(), ErrorKind::InvalidDpopProof | ErrorKind::UseDpopNonce);
                let dpop = rules.dpop.as_ref().filter(|d| {
                    used == Some(Scheme::DPoP)
                        || proof_error
                        || d.required
                        || matches!(error, AuthError::InvalidToken(TokenProblem::DpopBoundAsBearer))
                });
                // The error goes where the client looks: the scheme it used, else the only one.
                let error_on_dpop =
                    dpop.is_some() && (used == Some(Scheme::DPoP) || proof_error || !rules.bearer);
                let challenge = |scheme: Scheme, with_error: bool| {
                    let mut c = Challenge::new(scheme);
                    if let Some(realm) = &rules.realm {
                        c = c.with("realm", realm.to_string());
                    }
                    if let (Scheme::DPoP, Some(d)) = (scheme, dpop) {
                        c = c.with("algs", d.algs.to_string());
                    }
                    if let (true, Some(code)) = (with_error, code) {
                        c = c.with("error", code).with("error_description", description);
                        if let AuthError::InsufficientScope(req) = error {
                            c = c.with("scope", req.scope_param());
                        }
                        if let AuthError::InsufficientUserAuthentication(failed) = error {
                            c = super::step_up::with_step_up_params(c, failed);
                        }
                    }
                    // Last, so every challenge keeps the shape it has without metadata.
                    if let Some(url) = &rules.resource_metadata {
                        c = c.with("resource_metadata", url.to_string());
                    }
                    c
                };
                let mut challenges = Vec::with_capacity(2);
                if let Some(d) = dpop {
                    if error_on_dpop {
                        challenges.push(challenge(Scheme::DPoP, true));
                    }
                    if let (AuthError::UseDpopNonce, Some((nonces, clock))) = (error, &d.nonces) {
                        extra_headers.push(("dpop-nonce", nonces.issue(clock.now_unix())));
                    }
                }
                if rules.bearer {
                    challenges.push(challenge(Scheme::Bearer, !error_on_dpop));
                }
                if dpop.is_some() && !error_on_dpop {
                    challenges.push(challenge(Scheme::DPoP, false));
                }
                challenges
            }
        };
        let retry_after = match error {
            AuthError::Unavailable { retry_after } => Some(retry_after_secs(*retry_after)),
            _ => None,
        };
        // No credentials: RFC 6750 §3.1 says no error code; the body still explains.
        let body_code = code.unwrap_or("unauthorized");
        let body = serde_json::json!({ "error": body_code, "error_description": description }).to_string();
        Rejection {
            status,
            challenges,
            retry_after,
            error: code,
            error_description: description,
            extra_headers,
            body,
        }
    }

    /// The answer of an adapter whose scope check or claims extractor finds no authentication
    /// middleware in front of it: 500 `server_error`, no challenge. A mounting mistake is
    /// answered (and logged by the adapter), never passed through and never a panic.
    ///
    /// ```
    /// let r = auth_core::Rejection::misconfigured();
    /// assert_eq!(r.status(), 500);
    /// assert!(r.challenges().is_empty());
    /// assert!(r.body().contains("server_error"));
    /// ```
    pub fn misconfigured() -> Rejection {
        let error_description = "authentication is not configured for this route";
        let body = serde_json::json!({ "error": "server_error", "error_description": error_description });
        Rejection {
            status: 500,
            challenges: Vec::new(),
            retry_after: None,
            error: Some("server_error"),
            error_description,
            extra_headers: Vec::new(),
            body: body.to_string(),
        }
    }

    /// Adds a response header (a request check's, such as `DPoP-Nonce`).
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra_headers.push((name, value.into()));
        self
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The challenges, one per accepted scheme; empty for 503 and 500.
    pub fn challenges(&self) -> &[Challenge] {
        &self.challenges
    }

    /// The `Retry-After` value in whole seconds (rounded up, at least 1), for 503.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// The OAuth error code (`invalid_token`, …), absent when no credentials were sent.
    pub fn error(&self) -> Option<&'static str> {
        self.error
    }

    /// The human-readable description (a fixed text, never token contents).
    pub fn error_description(&self) -> &'static str {
        self.error_description
    }

    /// The JSON body: `{"error":…,"error_description":…}`.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The response headers as (lowercase name, value) pairs, in this order: `content-type`, one
    /// `www-authenticate` per challenge, `retry-after` when present, then the extra headers.
    /// Every HTTP adapter appends exactly these, so all frameworks send the same headers.
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::AuthError;
    ///
    /// let r = AuthError::Unavailable { retry_after: Duration::from_millis(1990) }.rejection(None);
    /// let headers: Vec<_> = r.headers().collect();
    /// assert_eq!(headers, [("content-type", "application/json".to_owned()), ("retry-after", "2".to_owned())]);
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, String)> + '_ {
        let content_type = std::iter::once(("content-type", Self::CONTENT_TYPE.to_owned()));
        let challenges = self.challenges.iter().map(|c| ("www-authenticate", c.to_string()));
        let retry = self.retry_after.map(|secs| ("retry-after", secs.to_string()));
        let extra = self.extra_headers.iter().map(|(n, v)| (*n, v.clone()));
        content_type.chain(challenges).chain(retry).chain(extra)
    }

    /// What a custom renderer's response lacks of this rejection, so that no adapter loses the
    /// status or a challenge by omission: the status when the response is left at 200, and every
    /// header of [`Rejection::headers`] but `content-type` whose name the response does not set
    /// (`has` says whether it does).
    pub fn fill_in(&self, status: u16, has: impl Fn(&str) -> bool) -> (u16, Vec<(&'static str, String)>) {
        let status = if status == 200 { self.status } else { status };
        let missing = self.headers().filter(|(name, _)| *name != "content-type" && !has(name)).collect();
        (status, missing)
    }
}

/// Whole seconds, rounded up (a client that obeys 1.99 s as `1` retries too early), at least 1.
fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

impl AuthError {
    /// Renders this error as RFC 6750 says, with a `Bearer` challenge for the protection space
    /// `realm` (omitted when `None`). A validator renders with its own settings:
    /// [`Validator::rejection`](crate::Validator::rejection).
    pub fn rejection(&self, realm: Option<&str>) -> Rejection {
        let rules = ChallengeRules { realm: realm.map(Arc::from), ..ChallengeRules::default() };
        Rejection::render(self, &rules, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::ScopeRequirement;
    use crate::error::{RequestProblem, TokenProblem};

    #[test]
    fn missing_token_has_no_error_code() {
        let r = AuthError::MissingToken.rejection(Some("petstore"));
        assert_eq!(r.status(), 401);
        assert_eq!(r.challenges()[0].to_string(), r#"Bearer realm="petstore""#);
        assert_eq!(r.error(), None);
        assert!(r.body().contains("unauthorized"));
    }

    #[test]
    fn invalid_request_is_400() {
        let r = AuthError::InvalidRequest(RequestProblem::EmptyCredentials).rejection(Some("r"));
        assert_eq!(r.status(), 400);
        assert_eq!(r.challenges()[0].param("error"), Some("invalid_request"));
        let body: serde_json::Value = serde_json::from_str(r.body()).unwrap();
        assert_eq!(body["error"], "invalid_request");
    }

    #[test]
    fn insufficient_scope_names_required_scopes() {
        let r = AuthError::InsufficientScope(ScopeRequirement::all(["pets:write", "admin"])).rejection(None);
        assert_eq!(r.status(), 403);
        let h = r.challenges()[0].to_string();
        assert!(h.contains(r#"error="insufficient_scope""#), "{h}");
        assert!(h.ends_with(r#"scope="pets:write admin""#), "{h}");
    }

    #[test]
    fn retry_after_is_rounded_up() {
        let cases = [(0, 1), (1, 1), (999, 1), (1000, 1), (1001, 2), (1990, 2), (5000, 5)];
        for (millis, secs) in cases {
            let r = AuthError::Unavailable { retry_after: Duration::from_millis(millis) }.rejection(None);
            assert_eq!(r.retry_after(), Some(secs), "{millis} ms");
            assert_eq!(r.status(), 503);
            assert!(r.challenges().is_empty());
        }
    }

    #[test]
    fn a_custom_response_gets_what_it_lacks() {
        let r = AuthError::InvalidToken(TokenProblem::Expired)
            .rejection(Some("r"))
            .with_header("dpop-nonce", "n");
        let (status, missing) = r.fill_in(200, |name| name == "dpop-nonce");
        assert_eq!(status, 401);
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].0, "www-authenticate");
        assert_eq!(r.fill_in(418, |_| true), (418, Vec::new()));
    }
}
