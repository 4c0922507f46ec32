//! Finding the access token in a request: the `Authorization` header, and optionally a cookie or
//! the `access_token` query parameter (RFC 6750 §2.3, off by default).
//!
//! Every adapter (tower, actix) calls the same [`TokenLocator`] through the small
//! [`RequestParts`] view, so extraction rules are identical across frameworks.

use std::borrow::Cow;

use crate::error::{AuthError, RequestProblem};
use crate::token::bearer::{bearer_token, is_b64token};

/// What an adapter shows the locator of a request: header values and the raw query string.
pub trait RequestParts {
    /// Every value of the header `name` (given in lowercase), in order.
    fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a;
    /// The raw query string, without the `?`.
    fn query(&self) -> Option<&str>;
}

/// Which credential transports are accepted. The `Authorization` header always is.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct CredentialSources {
    /// Accept `?access_token=` (RFC 6750 §2.3). Off by default: query strings end up in logs.
    pub query: bool,
    /// Accept the token from this cookie.
    pub cookie: Option<String>,
}

impl CredentialSources {
    /// Accept the `access_token` query parameter too.
    pub fn with_query(mut self) -> Self {
        self.query = true;
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
/// use auth_core::{AuthError, TokenLocator, CredentialSources, RequestParts};
///
/// struct Req(Vec<(&'static str, &'static [u8])>, Option<&'static str>);
/// impl RequestParts for Req {
///     fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
///         self.0.iter().filter(move |(n, _)| *n == name).map(|(_, v)| *v)
///     }
///     fn query(&self) -> Option<&str> { self.1 }
/// }
///
/// let locator = TokenLocator::new(CredentialSources::default());
/// let req = Req(vec![("authorization", b"Bearer a.b.c")], None);
/// assert_eq!(locator.locate(&req).unwrap().as_deref(), Some("a.b.c"));
/// // The token sent twice, header and query, is refused even though the query form is off.
/// let req = Req(vec![("authorization", b"Bearer a.b.c")], Some("access_token=a.b.c"));
/// assert!(matches!(locator.locate(&req), Err(AuthError::InvalidRequest(_))));
/// ```
#[derive(Debug, Clone, Default)]
pub struct TokenLocator {
    sources: CredentialSources,
}

impl TokenLocator {
    /// A locator for these sources.
    pub fn new(sources: CredentialSources) -> Self {
        TokenLocator { sources }
    }

    /// The configured sources.
    pub fn sources(&self) -> &CredentialSources {
        &self.sources
    }

    /// The token, `Ok(None)` when the request carries no credentials, or the `invalid_request`
    /// error when the request is malformed or carries the token by more than one method.
    pub fn locate<'r, R: RequestParts>(&self, req: &'r R) -> Result<Option<Cow<'r, str>>, AuthError> {
        let mut found: Option<Cow<'r, str>> = None;
        let mut methods = 0u8;

        let mut auth = req.header_values("authorization");
        if let Some(value) = auth.next() {
            if auth.next().is_some() {
                return Err(RequestProblem::MultipleCredentials.into());
            }
            match bearer_token(value) {
                Ok(t) => {
                    found = Some(Cow::Borrowed(t));
                    methods += 1;
                }
                // Another scheme: no bearer credentials from the header.
                Err(AuthError::MissingToken) => {}
                Err(e) => return Err(e),
            }
        }

        // Looked at even when the query form is off: a token sent twice is always invalid_request.
        if let Some(query) = req.query() {
            let mut query_token = None;
            for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
                if name == "access_token" {
                    if query_token.is_some() {
                        return Err(RequestProblem::MultipleCredentials.into());
                    }
                    query_token = Some(value);
                }
            }
            if let Some(token) = query_token {
                methods += 1;
                if self.sources.query && found.is_none() {
                    found = Some(Cow::Owned(checked(&token)?.to_owned()));
                }
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
                if found.is_none() {
                    found = Some(Cow::Borrowed(checked(token)?));
                }
            }
        }

        if methods > 1 {
            return Err(RequestProblem::MultipleCredentials.into());
        }
        Ok(found)
    }
}

fn checked(token: &str) -> Result<&str, AuthError> {
    if token.is_empty() {
        Err(RequestProblem::EmptyCredentials.into())
    } else if !is_b64token(token.as_bytes()) {
        Err(RequestProblem::MalformedAuthorization.into())
    } else {
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Req {
        headers: Vec<(&'static str, &'static [u8])>,
        query: Option<&'static str>,
    }

    impl RequestParts for Req {
        fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
            self.headers.iter().filter(move |(n, _)| *n == name).map(|(_, v)| *v)
        }
        fn query(&self) -> Option<&str> {
            self.query
        }
    }

    fn req(headers: Vec<(&'static str, &'static [u8])>, query: Option<&'static str>) -> Req {
        Req { headers, query }
    }

    #[test]
    fn no_credentials_is_none() {
        let l = TokenLocator::default();
        assert_eq!(l.locate(&req(vec![], None)).unwrap(), None);
        assert_eq!(l.locate(&req(vec![], Some("a=1"))).unwrap(), None);
        assert_eq!(l.locate(&req(vec![("authorization", b"Basic x")], None)).unwrap(), None);
    }

    #[test]
    fn two_authorization_headers_are_refused() {
        let l = TokenLocator::default();
        let r = req(vec![("authorization", b"Bearer a"), ("authorization", b"Bearer b")], None);
        assert_eq!(l.locate(&r), Err(RequestProblem::MultipleCredentials.into()));
    }

    #[test]
    fn query_only_when_enabled() {
        let off = TokenLocator::default();
        let on = TokenLocator::new(CredentialSources::default().with_query());
        let r = req(vec![], Some("x=1&access_token=a.b.c"));
        assert_eq!(off.locate(&r).unwrap(), None);
        assert_eq!(on.locate(&r).unwrap().as_deref(), Some("a.b.c"));
    }

    #[test]
    fn header_and_query_together_are_refused_either_way() {
        for l in [TokenLocator::default(), TokenLocator::new(CredentialSources::default().with_query())] {
            let r = req(vec![("authorization", b"Bearer a.b.c")], Some("access_token=a.b.c"));
            assert_eq!(l.locate(&r), Err(RequestProblem::MultipleCredentials.into()));
        }
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
