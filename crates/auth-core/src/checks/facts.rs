//! What request checks read of a request: borrowed while the pipeline answers at once, copied
//! when it must wait.

use std::borrow::Cow;

use crate::claims::Claims;
use crate::error::Scheme;
use crate::request::{RequestBody, RequestView, TargetRules};
use crate::token::CredentialSource;

/// The request as the checks see it: method, target, the headers the checks asked for, and the
/// body when one of them reads it.
#[derive(Debug, Clone)]
pub struct RequestFacts<'r> {
    method: Cow<'r, str>,
    scheme: Cow<'r, str>,
    authority: Option<Cow<'r, str>>,
    path: Cow<'r, str>,
    query: Option<Cow<'r, str>>,
    headers: Vec<(&'static str, Cow<'r, [u8]>)>,
    body: Option<Cow<'r, [u8]>>,
}

impl<'r> RequestFacts<'r> {
    /// The facts of `req` that checks asking for `headers` (and the body, when `body`) read.
    pub(crate) fn borrow<R: RequestView>(
        req: &'r R,
        rules: &TargetRules,
        headers: &[&'static str],
        body: bool,
    ) -> Self {
        let (scheme, authority) = rules.origin(req);
        let mut kept = Vec::new();
        for name in headers {
            kept.extend(req.header_values(name).map(|v| (*name, Cow::Borrowed(v))));
        }
        let body = match req.body() {
            Some(RequestBody::Json(b) | RequestBody::Form(b)) if body => Some(Cow::Borrowed(b)),
            _ => None,
        };
        RequestFacts {
            method: Cow::Borrowed(req.method()),
            scheme,
            authority,
            path: match rules.path_prefix() {
                "" => Cow::Borrowed(req.path()),
                prefix => Cow::Owned(format!("{prefix}{}", req.path())),
            },
            query: req.query().map(Cow::Borrowed),
            headers: kept,
            body,
        }
    }

    /// No request at all ([`Validator::validate`](crate::Validator::validate) given a bare
    /// token): checks that need the request refuse.
    pub(crate) fn none() -> RequestFacts<'static> {
        RequestFacts {
            method: Cow::Borrowed(""),
            scheme: Cow::Borrowed(""),
            authority: None,
            path: Cow::Borrowed(""),
            query: None,
            headers: Vec::new(),
            body: None,
        }
    }

    /// A copy that owns everything, for a check that must wait.
    pub(crate) fn into_owned(self) -> RequestFacts<'static> {
        let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
        RequestFacts {
            method: own(self.method),
            scheme: own(self.scheme),
            authority: self.authority.map(own),
            path: own(self.path),
            query: self.query.map(own),
            headers: self.headers.into_iter().map(|(n, v)| (n, Cow::Owned(v.into_owned()))).collect(),
            body: self.body.map(|b| Cow::Owned(b.into_owned())),
        }
    }

    /// The method; empty when there is no request.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The target URI the client addressed, without the query (as DPoP's `htu`): the scheme and
    /// authority under the adapter's [`TargetRules`], then the path.
    pub fn target_uri(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority.as_deref().unwrap_or(""), self.path)
    }

    /// Whether `uri` is, byte for byte, [`target_uri`](Self::target_uri) (without building it).
    pub(crate) fn is_target_uri(&self, uri: &str) -> bool {
        uri.strip_prefix(&*self.scheme)
            .and_then(|rest| rest.strip_prefix("://"))
            .and_then(|rest| rest.strip_prefix(self.authority.as_deref().unwrap_or("")))
            .is_some_and(|path| path == self.path)
    }

    /// The path, percent-encoded as sent, after the public base URL's prefix when it has one.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The raw query string.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// Every value of a header a check asked for ([`RequestCheck::headers`](super::RequestCheck::headers)).
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers.iter().filter(move |(n, _)| *n == name).map(|(_, v)| v.as_ref())
    }

    /// The body, when a check reads it and the adapter read one.
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }
}

/// What one check is given.
#[derive(Debug)]
pub struct CheckInput<'a> {
    pub(crate) claims: &'a Claims,
    pub(crate) token: &'a [u8],
    pub(crate) scheme: Scheme,
    pub(crate) source: CredentialSource,
    pub(crate) request: &'a RequestFacts<'a>,
}

impl<'a> CheckInput<'a> {
    /// The verified claims.
    pub fn claims(&self) -> &'a Claims {
        self.claims
    }

    /// The access token as the request carried it (what a DPoP proof's `ath` hashes).
    pub fn token(&self) -> &'a [u8] {
        self.token
    }

    /// The scheme the token came with (`Bearer` or `DPoP`).
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Where the request carried the token.
    pub fn source(&self) -> CredentialSource {
        self.source
    }

    /// The request.
    pub fn request(&self) -> &'a RequestFacts<'a> {
        self.request
    }
}
