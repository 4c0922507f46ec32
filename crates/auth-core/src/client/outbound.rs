//! What every outbound adapter (the tower layer, the reqwest middleware) does around one call:
//! the token to send, and what a 401 from the downstream API means for it.

use std::sync::Arc;

use super::{AccessToken, Target, TokenClient, TokenError};

/// The caller's access token, put in an outgoing request's extensions for a token exchange
/// ([`OutboundTokens::token_exchange`]): the token the call is made on behalf of.
#[derive(Clone)]
pub struct SubjectToken(pub Arc<str>);

impl std::fmt::Debug for SubjectToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SubjectToken(..)")
    }
}

/// Which token an outbound adapter sends: this service's own for a target, or one exchanged
/// for the caller's. Cheap to clone.
///
/// ```no_run
/// use auth_core::client::{ClientCredentials, OutboundTokens, Target, TokenClient};
///
/// # fn demo() -> Result<(), auth_core::ConfigError> {
/// let client = TokenClient::builder("gateway")
///     .credentials(ClientCredentials::SecretBasic { secret: "s3cret".into() })
///     .issuer("https://idp.example.com")
///     .build()?;
/// let tokens = OutboundTokens::client_credentials(client, Target::resource("https://petstore.example.com"));
/// # let _ = tokens; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct OutboundTokens {
    client: TokenClient,
    target: Target,
    exchange: bool,
}

/// Why an outbound call was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutboundError {
    /// No token could be had for it.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// A token exchange was asked for, but the request has no [`SubjectToken`].
    #[error("the outgoing request carries no SubjectToken to exchange")]
    NoSubjectToken,
    /// A DPoP proof could not be made (the URI is not absolute, say).
    #[error("cannot make a DPoP proof: {0}")]
    Proof(String),
}

impl OutboundTokens {
    /// This service's own token (client credentials) for `target`.
    pub fn client_credentials(client: TokenClient, target: Target) -> Self {
        OutboundTokens { client, target, exchange: false }
    }

    /// A token exchanged (RFC 8693) for the caller's, which each request carries as a
    /// [`SubjectToken`] extension.
    pub fn token_exchange(client: TokenClient, target: Target) -> Self {
        OutboundTokens { client, target, exchange: true }
    }

    /// The token for one call; `subject` is the request's [`SubjectToken`], if any.
    pub async fn token(&self, subject: Option<&SubjectToken>) -> Result<AccessToken, OutboundError> {
        if !self.exchange {
            return Ok(self.client.token(&self.target).await?);
        }
        let subject = subject.ok_or(OutboundError::NoSubjectToken)?;
        Ok(self.client.exchange(&subject.0, &self.target).await?)
    }

    /// The `DPoP` header for a call to `uri` with `token`, when the token is DPoP-bound.
    pub fn proof(
        &self,
        method: &str,
        uri: &str,
        token: &AccessToken,
    ) -> Result<Option<String>, OutboundError> {
        match self.client.dpop() {
            Some(signer) if token.is_dpop() => {
                signer.proof(method, uri, Some(token.secret())).map(Some).map_err(OutboundError::Proof)
            }
            _ => Ok(None),
        }
    }

    /// Whether to retry a call to `uri` the downstream API answered with `status`, these
    /// `WWW-Authenticate` values and maybe a `DPoP-Nonce`, having sent `sent`: a 401
    /// `invalid_token` (the token is dropped from the cache if it is still the one sent; a newer
    /// one is kept), or a 401 `use_dpop_nonce` with a nonce (remembered for the retry). The
    /// caller retries once, never more. A `DPoP-Nonce` on any other answer is remembered too
    /// (RFC 9449 §8.2: a server hands out its next nonce ahead), for the next call to that origin.
    #[allow(clippy::too_many_arguments)]
    pub fn should_retry<'v>(
        &self,
        uri: &str,
        status: u16,
        challenges: impl IntoIterator<Item = &'v [u8]>,
        dpop_nonce: Option<&[u8]>,
        subject: Option<&SubjectToken>,
        sent: &AccessToken,
    ) -> bool {
        let nonce = dpop_nonce.and_then(|n| std::str::from_utf8(n).ok());
        let signer = self.client.dpop();
        if let (Some(signer), Some(nonce)) = (signer, nonce)
            && (status == 401 || sent.is_dpop())
        {
            signer.remember_nonce(uri, nonce);
        }
        if status != 401 {
            return false;
        }
        let challenges: Vec<&[u8]> = challenges.into_iter().collect();
        if signer.is_some() && nonce.is_some() && challenges.iter().any(|c| names_error(c, "use_dpop_nonce"))
        {
            return true;
        }
        if !challenges.iter().any(|c| names_error(c, "invalid_token")) {
            return false;
        }
        let subject = if self.exchange { subject.map(|s| &*s.0) } else { None };
        self.client.invalidate(&self.target, subject, sent);
        true
    }
}

/// Whether a `WWW-Authenticate` value carries `error="<code>"` (quoted or not).
fn names_error(value: &[u8], code: &str) -> bool {
    let text = String::from_utf8_lossy(value).to_ascii_lowercase();
    text.split(',').any(|part| {
        let part = part.trim();
        let part = part.rsplit(' ').next().unwrap_or(part);
        part.split_once('=').is_some_and(|(k, v)| k.trim() == "error" && v.trim().trim_matches('"') == code)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_token_challenges() {
        let it = |v: &[u8]| names_error(v, "invalid_token");
        assert!(it(br#"Bearer realm="x", error="invalid_token", error_description="expired""#));
        assert!(it(b"Bearer error=invalid_token"));
        assert!(it(br#"DPoP algs="ES256", error="invalid_token""#));
        assert!(!it(br#"Bearer realm="x""#));
        assert!(!it(br#"Bearer error="insufficient_scope""#));
        assert!(!it(br#"Bearer error_description="invalid_token""#));
        assert!(names_error(br#"DPoP error="use_dpop_nonce""#, "use_dpop_nonce"));
    }
}
