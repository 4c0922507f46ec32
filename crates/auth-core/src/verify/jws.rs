//! The compact JWS verifier: header once, the issuer by `iss`, that issuer's keys (the key decides
//! the algorithm), the signature, then the claims.

use std::future::Future;
use std::sync::Arc;

use crate::algorithm::AlgorithmSet;
use crate::claims::Claims;
use crate::claims::{
    Field, Payload, Profile, RegisteredSpans, Scopes, TimeRules, Wanted, check_audience, check_time,
};
use crate::clock::Clock;
use crate::error::{AuthError, TokenProblem};
use crate::issuer::{IssuerRegistry, Keys};
use crate::token::header::JoseHeader;
use crate::token::jws::{CompactJws, HEADER_BYTES, SIGNATURE_BYTES, decode_header};
use crate::token::known_headers::KnownHeaders;
use crate::verify::{TokenVerifier, Trust, Verified};

/// The rules and keys of JWS verification.
pub(crate) struct JwsVerifier {
    pub(crate) issuers: IssuerRegistry,
    pub(crate) allowed: AlgorithmSet,
    pub(crate) profile: Profile,
    pub(crate) audiences: crate::claims::Audiences,
    pub(crate) time: TimeRules,
    pub(crate) required_claims: Vec<Arc<str>>,
    pub(crate) allowed_clients: Option<Vec<String>>,
    pub(crate) scope_claims: Vec<String>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) max_token_bytes: usize,
    pub(crate) known_headers: KnownHeaders,
}

impl TokenVerifier for JwsVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> impl Future<Output = Result<Verified, AuthError>> + Send + 'a {
        self.verify_jws(token)
    }

    fn still_trusted(&self, trust: &Trust) -> bool {
        match trust {
            Trust::Key { issuer, key } => self.issuers.get(*issuer).is_some_and(|i| i.still_holds(key)),
        }
    }
}

impl JwsVerifier {
    /// The time rules again, for a cached answer.
    pub(crate) fn check_time(&self, claims: &Claims) -> Result<(), TokenProblem> {
        check_time(claims.registered(), self.clock.now_unix(), &self.time)
    }

    /// The full path: parse, find the key, verify the signature, check the claims.
    ///
    /// Without waiting whenever the issuer's keys are at hand (static keys, or fetched keys
    /// within their budget that hold the token's `kid`): then nothing is kept across an await and
    /// the buffers stay on the stack. Only when keys must be fetched does the path wait, in a
    /// boxed future of its own, so every other validation's future stays small.
    async fn verify_jws(&self, token: &str) -> Result<Verified, AuthError> {
        match self.verify_with(token, None) {
            Ok(verified) => Ok(verified),
            Err(Stop::Failed(e)) => Err(e),
            Err(Stop::FetchKeys { issuer, kid }) => {
                Box::pin(self.fetch_keys_then_verify(token, issuer, kid)).await
            }
        }
    }

    /// Fetches (or waits for) the keys of the issuer at `issuer` for `kid`, then verifies the
    /// token with them. The token is parsed again: this happens once per key fetch.
    async fn fetch_keys_then_verify(
        &self,
        token: &str,
        issuer: usize,
        kid: Option<String>,
    ) -> Result<Verified, AuthError> {
        let issuer_keys = self.issuers.get(issuer).ok_or(TokenProblem::UnknownIssuer)?;
        let keys = issuer_keys.keys_for(kid.as_deref()).await?;
        self.verify_with(token, Some(keys)).map_err(|stop| match stop {
            Stop::Failed(e) => e,
            // Not reached: given keys, the path never stops for more.
            Stop::FetchKeys { .. } => TokenProblem::UnknownKey.into(),
        })
    }

    /// The full path with `keys` (from a fetch), or with the keys at hand when `None`: stops with
    /// [`Stop::FetchKeys`] when there are none at hand.
    fn verify_with(&self, token: &str, keys: Option<Keys<'_>>) -> Result<Verified, Stop> {
        let inner = self;
        let mut signature_buf = [0; SIGNATURE_BYTES];
        let jws = CompactJws::parse(token, inner.max_token_bytes, &mut signature_buf)?;
        // A header text a verified token had is read from the memo; any other is decoded (into a
        // buffer only set up then) and read.
        let known_headers = inner.known_headers.snapshot();
        let known = KnownHeaders::find(&known_headers, jws.header_text);
        let (mut header_buf, decoded, parsed);
        let (alg, kid, typ) = match known {
            Some(known) => (known.alg, known.kid.as_deref(), known.typ.as_deref()),
            None => {
                header_buf = [0; HEADER_BYTES];
                decoded = decode_header(jws.header_text, &mut header_buf)?;
                parsed = JoseHeader::parse(&decoded)?;
                (parsed.alg, parsed.kid.as_deref(), parsed.typ.as_deref())
            }
        };
        if !inner.allowed.contains(alg) {
            return Err(TokenProblem::AlgorithmNotAllowed.into());
        }
        inner.profile.check_typ(typ)?;
        let header_text = jws.header_text;
        let (signing_input, signature) = (jws.signing_input, jws.signature);
        let json = String::from_utf8(jws.payload).map_err(|_| TokenProblem::Malformed)?;
        let wanted = Wanted { scope_claims: &inner.scope_claims, required: &inner.required_claims };
        let payload = Payload::parse(&json, wanted)?;
        let (issuer_index, issuer) = inner.issuers.select(payload.string("iss")?)?;
        let keys = match keys {
            Some(keys) => keys,
            None => issuer
                .keys_now(kid)
                .ok_or_else(|| Stop::FetchKeys { issuer: issuer_index, kid: kid.map(str::to_owned) })?,
        };

        let key = {
            let mut candidates = keys.set().candidates(kid, alg).peekable();
            if candidates.peek().is_none() {
                return Err(TokenProblem::UnknownKey.into());
            }
            let key = candidates.find(|k| k.verify(alg, signing_input, &signature));
            Arc::clone(key.ok_or(TokenProblem::BadSignature)?)
        };
        // The snapshot is not needed past the signature: let it go before the claims work.
        drop(keys);

        // Everything the payload is read for, before the registered claims take its text; the
        // errors are reported in the order of the checks below.
        let registered = RegisteredSpans::read(&payload, &json);
        let missing_custom =
            inner.required_claims.iter().find(|name| payload.get(name).is_none_or(|v| *v == Field::Null));
        let scopes = Scopes::read(&payload, &inner.scope_claims);
        drop(payload);
        let payload_len = json.len();
        let registered = registered?.with_text(json.into_boxed_str());

        check_time(&registered, inner.clock.now_unix(), &inner.time)?;
        for name in inner.profile.required_claims() {
            if !registered.has(name) {
                return Err(TokenProblem::MissingClaim(name).into());
            }
        }
        if let Some(name) = missing_custom {
            return Err(TokenProblem::MissingCustomClaim(Arc::clone(name)).into());
        }
        check_audience(&registered, &inner.audiences)?;
        if let Some(allowed) = &inner.allowed_clients {
            let client = registered.client_id().or(registered.azp());
            let client = client.ok_or(TokenProblem::MissingClaim("client_id"))?;
            if !allowed.iter().any(|c| c == client) {
                return Err(TokenProblem::ClientNotAllowed.into());
            }
        }
        let scopes = scopes?;
        let claims = Claims::verified(registered, scopes, Some(alg), key.shared_kid().cloned());
        if known.is_none() {
            inner.known_headers.remember(header_text, alg, kid, typ);
        }
        Ok(Verified { claims, trust: Trust::Key { issuer: issuer_index, key }, payload_len })
    }
}

/// Why the full path stopped before its answer.
enum Stop {
    Failed(AuthError),
    /// The issuer's keys must be fetched first: none yet, past their staleness budget, or no key
    /// with the token's `kid` (which may be a rotation).
    FetchKeys {
        issuer: usize,
        kid: Option<String>,
    },
}

impl<E: Into<AuthError>> From<E> for Stop {
    fn from(e: E) -> Self {
        Stop::Failed(e.into())
    }
}
