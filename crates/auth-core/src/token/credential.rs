//! [`Credential`]: an access token found in a request, with its scheme and where it came from.

use std::borrow::Cow;

use crate::error::{AuthError, Scheme};
use crate::token::bearer::checked_b64token;

/// Where a request carried its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialSource {
    /// The `Authorization` header.
    Header,
    /// The `access_token` query parameter (RFC 6750 §2.3).
    Query,
    /// A configured cookie.
    Cookie,
    /// The `access_token` field of a form body (RFC 6750 §2.2).
    Form,
    /// A custom extractor of the adapter's.
    Custom,
}

/// An access token found in a request by [`TokenLocator::find`](crate::TokenLocator::find), or
/// handed over by a custom extractor ([`Credential::bearer`]).
///
/// A token from the `Authorization` header is not yet checked against the RFC 6750 `b64token`
/// syntax: the pipeline checks it only when the verified-token cache does not know the token,
/// which spares a request answered from the cache one pass over its bytes.
///
/// ```
/// use auth_core::error::Scheme;
/// use auth_core::token::{Credential, CredentialSource};
///
/// let from_extractor = Credential::bearer("a.b.c");
/// assert_eq!((from_extractor.scheme(), from_extractor.source()), (Scheme::Bearer, CredentialSource::Custom));
/// assert_eq!(from_extractor.check().unwrap(), "a.b.c");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential<'r> {
    scheme: Scheme,
    source: CredentialSource,
    token: Token<'r>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'r> {
    /// From the `Authorization` header; its syntax is checked on demand.
    Unchecked(&'r [u8]),
    /// Checked already, or vouched for by its source.
    Checked(Cow<'r, str>),
}

impl<'r> Credential<'r> {
    /// A bearer token whose source is trusted to have checked it (a custom extractor's): used as is.
    pub fn bearer(token: impl Into<Cow<'r, str>>) -> Self {
        Credential {
            scheme: Scheme::Bearer,
            source: CredentialSource::Custom,
            token: Token::Checked(token.into()),
        }
    }

    pub(crate) fn from_header(scheme: Scheme, token: &'r [u8]) -> Self {
        Credential { scheme, source: CredentialSource::Header, token: Token::Unchecked(token) }
    }

    pub(crate) fn checked(source: CredentialSource, token: Cow<'r, str>) -> Self {
        Credential { scheme: Scheme::Bearer, source, token: Token::Checked(token) }
    }

    /// The scheme: `DPoP` only from the `Authorization` header (RFC 9449 §7.1), `Bearer` otherwise.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Where the request carried it.
    pub fn source(&self) -> CredentialSource {
        self.source
    }

    /// The token's bytes, as sent.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.token {
            Token::Unchecked(bytes) => bytes,
            Token::Checked(token) => token.as_bytes(),
        }
    }

    /// The token once its syntax is checked: `invalid_request` when it is not `b64token` text.
    pub fn check(self) -> Result<Cow<'r, str>, AuthError> {
        match self.token {
            Token::Unchecked(bytes) => checked_b64token(bytes).map(Cow::Borrowed),
            Token::Checked(token) => Ok(token),
        }
    }
}
