//! What a request's credentials decide before anything is awaited: the first step of every
//! adapter, so none of them repeats it.

use std::borrow::Cow;

use crate::claims::Claims;
use crate::error::AuthError;
use crate::token::FoundToken;
use crate::validator::Validator;

/// The outcome of [`Validator::decide`].
#[derive(Debug)]
pub enum Decision<'r> {
    /// Decided at once: the verified claims (`None` for a request without credentials that the
    /// route lets in anonymously), or why the request is refused.
    Now(Result<Option<Claims>, AuthError>),
    /// This token must be validated in full: [`Validator::validate_in_full`] it (copy it first
    /// if the request must move); the verified-token cache was asked already.
    Validate(Cow<'r, str>),
}

impl Validator {
    /// Decides what can be decided without waiting, given the token a request carries (from
    /// [`TokenLocator::find_with_form`](crate::TokenLocator::find_with_form), or a custom
    /// extractor through [`FoundToken::trusted`]):
    ///
    /// - no token: refused with [`AuthError::MissingToken`], or let in anonymously when `optional`;
    /// - a token the verified-token cache knows: answered from the cache, exactly as
    ///   [`Validator::validate`] would, with no syntax pass over the token (a verified token is
    ///   valid `b64token` text) and no copy of it;
    /// - a token of bad syntax: `invalid_request`;
    /// - any other token: [`Decision::Validate`].
    ///
    /// ```
    /// use auth_core::token::FoundToken;
    /// use auth_core::{AuthError, Decision, Validator};
    ///
    /// async fn authenticate(validator: &Validator, header_token: Option<&str>) -> Result<(), AuthError> {
    ///     let found = header_token.map(FoundToken::trusted);
    ///     let claims = match validator.decide(found, false) {
    ///         Decision::Now(answer) => answer?,
    ///         Decision::Validate(token) => Some(validator.validate_in_full(&token).await?),
    ///     };
    ///     println!("caller: {:?}", claims.as_ref().and_then(|c| c.registered().sub()));
    ///     Ok(())
    /// }
    /// ```
    pub fn decide<'r>(&self, found: Option<FoundToken<'r>>, optional: bool) -> Decision<'r> {
        let Some(found) = found else {
            return Decision::Now(if optional { Ok(None) } else { Err(AuthError::MissingToken) });
        };
        if let Some(answer) = self.cached_answer(found.as_bytes()) {
            return Decision::Now(answer.map(Some));
        }
        match found.check() {
            Ok(token) => Decision::Validate(token),
            Err(e) => Decision::Now(Err(e)),
        }
    }
}
