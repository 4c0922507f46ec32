//! The token target: a compact JWS as a client sends it, through [`Validator::validate`] (the
//! shape, the base64url segments, the JOSE header, the payload's JSON scanner, the key lookup,
//! the signature and the claim rules).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{AUDIENCE, HMAC_SECRET, ISSUER, NOW, assert_acceptable, assert_no_echo, ready};
use crate::{Algorithm, IssuerConfig, ManualClock, StaticKey, Validator};

/// A validator trusting the seed corpus's keys and [`HMAC_SECRET`], every algorithm, at [`NOW`].
pub struct TokenTarget {
    validator: Validator,
}

impl TokenTarget {
    /// Trusts the public keys of `jwks` (the corpus's `fuzz/keys/jwks.json`) for [`ISSUER`].
    ///
    /// # Panics
    ///
    /// When the validator cannot be built from them.
    pub fn new(jwks: &str) -> Self {
        TokenTarget { validator: validator(jwks) }
    }

    /// Validates `data`. An input that starts with `{` is a header and a payload, the JSON texts
    /// separated by the first newline, which this signs with [`HMAC_SECRET`] (`HS256`) before
    /// validating: mutations then reach the claim rules instead of failing at the signature.
    /// Anything else is the token's text as sent. Returns whether the token was accepted.
    ///
    /// # Panics
    ///
    /// When an accepted token breaks a rule, or a rejection echoes the input.
    pub fn run(&self, data: &[u8]) -> bool {
        let signed;
        let token = if data.first() == Some(&b'{') {
            signed = sign_hs256(data);
            signed.as_bytes()
        } else {
            data
        };
        let Ok(text) = std::str::from_utf8(token) else { return false };
        match ready(self.validator.validate(text)) {
            Ok(claims) => {
                assert_acceptable(&claims);
                true
            }
            Err(error) => {
                assert_no_echo(&self.validator.rejection(&error), data);
                false
            }
        }
    }
}

/// The validator of the token and request targets.
pub(super) fn validator(jwks: &str) -> Validator {
    validator_builder(jwks).build().unwrap_or_else(|e| panic!("the fuzzing validator: {e}"))
}

pub(super) fn validator_builder(jwks: &str) -> crate::ValidatorBuilder {
    let keys = [StaticKey::jwks(jwks), StaticKey::hmac(HMAC_SECRET).with_algorithm(Algorithm::HS256)];
    Validator::builder()
        .issuer(IssuerConfig::static_keys(ISSUER, keys))
        .audience(AUDIENCE)
        .algorithms(Algorithm::ALL)
        .clock(ManualClock::new(NOW))
        // Every input takes the full path; a cache would make a run depend on the ones before.
        .no_token_cache()
}

/// `header\npayload` (two JSON texts and a newline) as a compact JWS signed with [`HMAC_SECRET`]:
/// what [`TokenTarget::run`] validates for an input that starts with `{`.
pub fn sign_hs256(data: &[u8]) -> String {
    let (header, payload) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
    let signature = crate::crypto::hmac_sha256(HMAC_SECRET, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}
