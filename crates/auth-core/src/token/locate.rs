//! Finding the access token in a request: the `Authorization` header, and optionally a cookie,
//! the `access_token` query parameter (RFC 6750 §2.3) or the `access_token` field of a form body
//! (RFC 6750 §2.2), both off by default.
//!
//! Every adapter (tower, actix) calls the same [`TokenLocator`] through the
//! [`RequestView`], so extraction rules are identical across frameworks.

use std::borrow::Cow;

use crate::error::{AuthError, RequestProblem};
use crate::request::{RequestBody, RequestView};
use crate::token::bearer::{authorization_credentials, checked_b64token};
use crate::token::credential::{Credential, CredentialSource};

/// Which credential transports are accepted. The `Authorization` header always is.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct CredentialSources {
    /// Accept `?access_token=` (RFC 6750 §2.3). Off by default: query strings end up in logs.
    pub query: bool,
    /// Accept the token from this cookie.
    pub cookie: Option<String>,
    /// Accept the `access_token` field of an `application/x-www-form-urlencoded` body (RFC 6750
    /// §2.2). Off by default. Only adapters that read the body can honour it (the view's
    /// [`RequestBody::Form`]); a form field sent alongside another credential is refused whether
    /// or not this is on.
    pub form: bool,
}

impl CredentialSources {
    /// Accept the `access_token` query parameter too.
    pub fn with_query(mut self) -> Self {
        self.query = true;
        self
    }

    /// Accept the `access_token` field of a form-encoded body too.
    pub fn with_form(mut self) -> Self {
        self.form = true;
        self
    }

    /// Accept the token from the cookie `name` too.
    pub fn with_cookie(mut self, name: impl Into<String>) -> Self {
        self.cookie = Some(name.into());
        self
    }
}

/// Finds the one access token in a request, or says why there is none.
///
/// ```
/// use auth_core::request::RequestView;
/// use auth_core::{AuthError, CredentialSources, TokenLocator};
///
/// struct Req(Vec<(&'static str, &'static [u8])>, Option<&'static str>);
/// impl RequestView for Req {
///     fn method(&self) -> &str { "GET" }
///     fn scheme(&self) -> Option<&str> { None }
///     fn authority(&self) -> Option<&str> { None }
///     fn path(&self) -> &str { "/" }
///     fn query(&self) -> Option<&str> { self.1 }
///     fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
///         self.0.iter().filter(move |(n, _)| *n == name).map(|(_, v)| *v)
///     }
/// }
///
/// let locator = TokenLocator::new(CredentialSources::default());
/// let req = Req(vec![("authorization", b"Bearer a.b.c")], None);
/// assert_eq!(locator.locate(&req).unwrap().as_deref(), Some("a.b.c"));
/// // The token sent twice, header and query, is refused even though the query form is off.
/// let req = Req(vec![("authorization", b"Bearer a.b.c")], Some("access_token=a.b.c"));
/// assert!(matches!(locator.locate(&req), Err(AuthError::InvalidRequest(_))));
/// ```
#[derive(Debug, Clone)]
pub struct TokenLocator {
    sources: CredentialSources,
    /// Whether `DPoP` credentials are taken from the `Authorization` header (the validator
    /// accepts DPoP-bound tokens); otherwise that scheme is no credentials, as any other.
    dpop: bool,
    /// Whether bearer credentials are (not when DPoP is required): otherwise a bearer token,
    /// by any method, is no credentials (but still counts against sending a token twice).
    bearer: bool,
}

impl Default for TokenLocator {
    fn default() -> Self {
        TokenLocator::new(CredentialSources::default())
    }
}

impl TokenLocator {
    /// A locator for these sources.
    pub fn new(sources: CredentialSources) -> Self {
        TokenLocator { sources, dpop: false, bearer: true }
    }

    /// Takes the schemes `validator` accepts (its DPoP mode).
    pub(crate) fn schemes(self, validator: &crate::Validator) -> Self {
        self.accept(validator.accepts(crate::Scheme::Bearer), validator.accepts(crate::Scheme::DPoP))
    }

    pub(crate) fn accept(mut self, bearer: bool, dpop: bool) -> Self {
        (self.bearer, self.dpop) = (bearer, dpop);
        self
    }

    /// The configured sources.
    pub fn sources(&self) -> &CredentialSources {
        &self.sources
    }

    /// The token's text, `Ok(None)` when the request carries no credentials, or the
    /// `invalid_request` error when the request is malformed or carries the token by more than
    /// one method: [`find`](Self::find), with the header token's syntax checked.
    pub fn locate<'r, R: RequestView>(&self, req: &'r R) -> Result<Option<Cow<'r, str>>, AuthError> {
        self.find(req)?.map(Credential::check).transpose()
    }

    /// The one credential of the request, `Ok(None)` when it carries none, or the
    /// `invalid_request` error when the request is malformed or carries the token by more than
    /// one method. The syntax check of a token from the `Authorization` header is left to
    /// [`Credential::check`], which the pipeline skips for a token the verified-token cache knows.
    ///
    /// A form body the adapter read ([`RequestBody::Form`]) counts: its `access_token` field
    /// sent with any other method (header, query, cookie) is `invalid_request`, as are two
    /// `access_token` fields, whether or not [`CredentialSources::form`] is on. When it is the
    /// only credential, it is the token only if that source is on; otherwise the request carries
    /// no credentials. Two `Authorization` header fields are `invalid_request` of their own kind.
    pub fn find<'r, R: RequestView>(&self, req: &'r R) -> Result<Option<Credential<'r>>, AuthError> {
        let form_body = match req.body() {
            Some(RequestBody::Form(body)) => Some(body),
            _ => None,
        };
        let mut found: Option<Credential<'r>> = None;
        let mut methods = 0u8;

        let mut auth = req.header_values("authorization");
        if let Some(value) = auth.next() {
            if auth.next().is_some() {
                return Err(RequestProblem::MultipleAuthorizationHeaders.into());
            }
            // Another scheme: no credentials from the header.
            if let Some((scheme, token)) = authorization_credentials(value, self.bearer, self.dpop)? {
                found = Some(Credential::from_header(scheme, token));
                methods += 1;
            }
        }

        // Looked at even when the query form is off: a token sent twice is always invalid_request.
        if let Some(token) = req.query().map(|q| access_token_field(q.as_bytes())).transpose()?.flatten() {
            methods += 1;
            if self.sources.query && self.bearer && found.is_none() {
                found = Some(Credential::checked(
                    CredentialSource::Query,
                    Cow::Owned(checked(&token)?.to_owned()),
                ));
            }
        }

        // Likewise looked at even when the form source is off.
        if let Some(token) = form_body.map(access_token_field).transpose()?.flatten() {
            methods += 1;
            if self.sources.form && self.bearer && found.is_none() {
                checked(&token)?;
                found = Some(Credential::checked(CredentialSource::Form, token));
            }
        }

        if let Some(cookie_name) = &self.sources.cookie {
            let mut cookie_token = None;
            for header in req.header_values("cookie") {
                let Ok(header) = std::str::from_utf8(header) else { continue };
                for pair in header.split(';') {
                    let Some((name, value)) = pair.split_once('=') else { continue };
                    if name.trim() == cookie_name {
                        if cookie_token.is_some() {
                            return Err(RequestProblem::MultipleCredentials.into());
                        }
                        cookie_token = Some(value.trim().trim_matches('"'));
                    }
                }
            }
            if let Some(token) = cookie_token {
                methods += 1;
                if self.bearer && found.is_none() {
                    found =
                        Some(Credential::checked(CredentialSource::Cookie, Cow::Borrowed(checked(token)?)));
                }
            }
        }

        if methods > 1 {
            return Err(RequestProblem::MultipleCredentials.into());
        }
        Ok(found)
    }
}

/// A sensible bound for the form bodies an adapter buffers to find their `access_token` field
/// (RFC 6750 §2.2) before handing them on: 64 KiB. Larger bodies are refused as
/// [`RequestProblem::UnreadableFormBody`] rather than read without limit.
pub const DEFAULT_FORM_BODY_LIMIT: usize = 64 * 1024;

/// Whether a `Content-Type` value is `application/x-www-form-urlencoded` (case-insensitive,
/// parameters such as `charset` allowed): the bodies whose `access_token` field RFC 6750 §2.2
/// defines, and the only ones an adapter should hand on as [`RequestBody::Form`].
///
/// ```
/// use auth_core::token::locate::is_form_urlencoded;
///
/// assert!(is_form_urlencoded(b"Application/X-WWW-Form-Urlencoded; charset=UTF-8"));
/// assert!(!is_form_urlencoded(b"application/json"));
/// ```
pub fn is_form_urlencoded(content_type: &[u8]) -> bool {
    let essence = content_type.split(|b| *b == b';').next().unwrap_or_default();
    essence.trim_ascii().eq_ignore_ascii_case(b"application/x-www-form-urlencoded")
}

/// The one `access_token` field of form-encoded `input` (a query string or a body), or
/// `invalid_request` when there are several.
fn access_token_field(input: &[u8]) -> Result<Option<Cow<'_, str>>, AuthError> {
    let mut token = None;
    for (name, value) in url::form_urlencoded::parse(input) {
        if name == "access_token" {
            if token.is_some() {
                return Err(RequestProblem::MultipleCredentials.into());
            }
            token = Some(value);
        }
    }
    Ok(token)
}

/// A token from the query, a form field or a cookie: not empty, and `b64token` text as a header's.
fn checked(token: &str) -> Result<&str, AuthError> {
    if token.is_empty() {
        return Err(RequestProblem::EmptyCredentials.into());
    }
    checked_b64token(token.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Req {
        headers: Vec<(&'static str, &'static [u8])>,
        query: Option<&'static str>,
        form: Option<&'static [u8]>,
    }

    impl RequestView for Req {
        fn method(&self) -> &str {
            "POST"
        }
        fn scheme(&self) -> Option<&str> {
            None
        }
        fn authority(&self) -> Option<&str> {
            None
        }
        fn path(&self) -> &str {
            "/"
        }
        fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
            self.headers.iter().filter(move |(n, _)| *n == name).map(|(_, v)| *v)
        }
        fn query(&self) -> Option<&str> {
            self.query
        }
        fn body(&self) -> Option<RequestBody<'_>> {
            self.form.map(RequestBody::Form)
        }
    }

    fn req(headers: Vec<(&'static str, &'static [u8])>, query: Option<&'static str>) -> Req {
        Req { headers, query, form: None }
    }

    fn with_form(mut r: Req, form: &'static [u8]) -> Req {
        r.form = Some(form);
        r
    }

    #[test]
    fn no_credentials_is_none() {
        let l = TokenLocator::default();
        assert_eq!(l.locate(&req(vec![], None)).unwrap(), None);
        assert_eq!(l.locate(&req(vec![], Some("a=1"))).unwrap(), None);
        assert_eq!(l.locate(&req(vec![("authorization", b"Basic x")], None)).unwrap(), None);
        assert_eq!(l.locate(&req(vec![("authorization", b"DPoP a.b.c")], None)).unwrap(), None);
    }

    #[test]
    fn dpop_credentials_when_accepted() {
        let l = TokenLocator::default().accept(true, true);
        let r = req(vec![("authorization", b"DPoP a.b.c")], None);
        let found = l.find(&r).unwrap().unwrap();
        assert_eq!((found.scheme(), found.source()), (crate::Scheme::DPoP, CredentialSource::Header));
        // DPoP only from the header: a query token beside it is a second method.
        let on = TokenLocator::new(CredentialSources::default().with_query()).accept(true, true);
        let r = req(vec![("authorization", b"DPoP a.b.c")], Some("access_token=a.b.c"));
        assert_eq!(on.find(&r), Err(RequestProblem::MultipleCredentials.into()));
    }

    #[test]
    fn two_authorization_headers_are_their_own_error() {
        let l = TokenLocator::default();
        let r = req(vec![("authorization", b"Bearer a"), ("authorization", b"Bearer b")], None);
        assert_eq!(l.locate(&r), Err(RequestProblem::MultipleAuthorizationHeaders.into()));
    }

    #[test]
    fn query_only_when_enabled() {
        let off = TokenLocator::default();
        let on = TokenLocator::new(CredentialSources::default().with_query());
        let r = req(vec![], Some("x=1&access_token=a.b.c"));
        assert_eq!(off.locate(&r).unwrap(), None);
        assert_eq!(on.locate(&r).unwrap().as_deref(), Some("a.b.c"));
        assert_eq!(on.find(&r).unwrap().unwrap().source(), CredentialSource::Query);
    }

    #[test]
    fn header_and_query_together_are_refused_either_way() {
        for l in [TokenLocator::default(), TokenLocator::new(CredentialSources::default().with_query())] {
            let r = req(vec![("authorization", b"Bearer a.b.c")], Some("access_token=a.b.c"));
            assert_eq!(l.locate(&r), Err(RequestProblem::MultipleCredentials.into()));
        }
    }

    #[test]
    fn form_field_counts_as_a_method_whether_on_or_off() {
        let off = TokenLocator::default();
        let on = TokenLocator::new(CredentialSources::default().with_form());
        let body: &[u8] = b"name=rex&access_token=a.b.c";
        for l in [&off, &on] {
            let header = with_form(req(vec![("authorization", b"Bearer a.b.c")], None), body);
            assert_eq!(l.locate(&header), Err(RequestProblem::MultipleCredentials.into()));
            let query = with_form(req(vec![], Some("access_token=a.b.c")), body);
            assert_eq!(l.locate(&query), Err(RequestProblem::MultipleCredentials.into()));
            let twice = with_form(req(vec![], None), b"access_token=a&access_token=b");
            assert_eq!(l.locate(&twice), Err(RequestProblem::MultipleCredentials.into()));
            // A form without the field leaves the header alone.
            let plain = with_form(req(vec![("authorization", b"Bearer a.b.c")], None), b"name=rex");
            assert_eq!(l.locate(&plain).unwrap().as_deref(), Some("a.b.c"));
        }
        assert_eq!(off.locate(&with_form(req(vec![], None), body)).unwrap(), None);
        assert_eq!(on.locate(&with_form(req(vec![], None), body)).unwrap().as_deref(), Some("a.b.c"));
        let r = with_form(req(vec![], None), b"access_token=");
        assert_eq!(on.locate(&r), Err(RequestProblem::EmptyCredentials.into()));
        let cookie = TokenLocator::new(CredentialSources::default().with_cookie("at"));
        let r = with_form(req(vec![("cookie", b"at=a.b.c")], None), body);
        assert_eq!(cookie.locate(&r), Err(RequestProblem::MultipleCredentials.into()));
    }

    #[test]
    fn form_content_types() {
        assert!(is_form_urlencoded(b"application/x-www-form-urlencoded"));
        assert!(is_form_urlencoded(b" APPLICATION/x-www-form-urlencoded ;charset=utf-8"));
        assert!(!is_form_urlencoded(b"application/x-www-form-urlencoded-not"));
        assert!(!is_form_urlencoded(b"multipart/form-data; boundary=x"));
    }

    #[test]
    fn cookie_source() {
        let l = TokenLocator::new(CredentialSources::default().with_cookie("at"));
        let r = req(vec![("cookie", b"theme=dark; at=a.b.c")], None);
        assert_eq!(l.locate(&r).unwrap().as_deref(), Some("a.b.c"));
        let both = req(vec![("cookie", b"at=a.b.c"), ("authorization", b"Bearer a.b.c")], None);
        assert_eq!(l.locate(&both), Err(RequestProblem::MultipleCredentials.into()));
    }
}
