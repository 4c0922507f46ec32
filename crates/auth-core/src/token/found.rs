//! [`FoundToken`]: a bearer token found in a request, before or after its syntax check.

use std::borrow::Cow;

use crate::error::AuthError;
use crate::token::bearer::checked_b64token;

/// A bearer token found in a request by [`TokenLocator::find_with_form`](crate::TokenLocator::find_with_form).
///
/// A token from the `Authorization` header is not yet checked against the RFC 6750 `b64token`
/// syntax: [`FoundToken::check`] does that, and [`Validator::decide`](crate::Validator::decide)
/// skips it when the verified-token cache knows the token, which spares the one pass over its
/// bytes that a request answered from the cache would otherwise make.
///
/// ```
/// use auth_core::token::FoundToken;
///
/// let from_extractor = FoundToken::trusted("a.b.c");
/// assert_eq!(from_extractor.as_bytes(), b"a.b.c");
/// assert_eq!(from_extractor.check().unwrap(), "a.b.c");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundToken<'r>(Found<'r>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Found<'r> {
    /// From the `Authorization` header; its syntax is checked on demand.
    Unchecked(&'r [u8]),
    /// Checked already, or vouched for by its source.
    Checked(Cow<'r, str>),
}

impl<'r> FoundToken<'r> {
    /// A token whose source is trusted to have checked it (a custom extractor's): used as is.
    pub fn trusted(token: impl Into<Cow<'r, str>>) -> Self {
        FoundToken(Found::Checked(token.into()))
    }

    pub(crate) fn unchecked(token: &'r [u8]) -> Self {
        FoundToken(Found::Unchecked(token))
    }

    pub(crate) fn checked(token: Cow<'r, str>) -> Self {
        FoundToken(Found::Checked(token))
    }

    /// The token's bytes, as sent.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Found::Unchecked(bytes) => bytes,
            Found::Checked(token) => token.as_bytes(),
        }
    }

    /// The token once its syntax is checked: `invalid_request` when it is not `b64token` text.
    pub fn check(self) -> Result<Cow<'r, str>, AuthError> {
        match self.0 {
            Found::Unchecked(bytes) => checked_b64token(bytes).map(Cow::Borrowed),
            Found::Checked(token) => Ok(token),
        }
    }
}
