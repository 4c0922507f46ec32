//! One DPoP proof (RFC 9449 §4.2): a compact JWS of type `dpop+jwt`, signed by the public key in
//! its own `jwk` header, read and verified here. The request-dependent rules (`htm`, `htu`,
//! `iat`, `ath`, `jti`, `cnf.jkt`, `nonce`) are the check's, on what this returns.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::crypto::sha256;
use crate::error::DpopProblem;
use crate::keys::{KeyOrigin, VerifyingKey, key_from_jwk};
use crate::token::base64url;

/// The largest `DPoP` header accepted: 8 KiB (an RSA-4096 proof is under 2 KiB).
pub const MAX_PROOF_BYTES: usize = 8 * 1024;

/// The longest `jti` accepted, in bytes. RFC 9449 asks for at least 96 bits of randomness;
/// anything longer than this is not an identifier but a payload.
pub(crate) const MAX_JTI_BYTES: usize = 256;

/// A proof whose signature verified, with what the check still has to judge.
#[derive(Debug)]
pub(crate) struct Proof {
    /// The RFC 7638 SHA-256 thumbprint of the proof key, base64url.
    pub(crate) jkt: String,
    pub(crate) htm: String,
    pub(crate) htu: String,
    pub(crate) iat: i64,
    pub(crate) jti: String,
    pub(crate) ath: Option<String>,
    pub(crate) nonce: Option<String>,
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    typ: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    alg: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    jwk: &'a RawValue,
    crit: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct PublicJwk<'a> {
    #[serde(borrow)]
    kty: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    crv: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    n: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    e: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    x: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    y: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    alg: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "use", borrow)]
    key_use: Option<std::borrow::Cow<'a, str>>,
    key_ops: Option<Vec<String>>,
    // The private members: any of them, whatever its value, refuses the key.
    d: Option<IgnoredAny>,
    p: Option<IgnoredAny>,
    q: Option<IgnoredAny>,
    dp: Option<IgnoredAny>,
    dq: Option<IgnoredAny>,
    qi: Option<IgnoredAny>,
    oth: Option<IgnoredAny>,
    k: Option<IgnoredAny>,
}

impl PublicJwk<'_> {
    fn has_private_member(&self) -> bool {
        [&self.d, &self.p, &self.q, &self.dp, &self.dq, &self.qi, &self.oth, &self.k]
            .iter()
            .any(|m| m.is_some())
    }
}

#[derive(Deserialize)]
struct Body {
    jti: String,
    htm: String,
    htu: String,
    iat: serde_json::Number,
    ath: Option<String>,
    nonce: Option<String>,
}

/// Proof keys already parsed, by thumbprint and algorithm: a client signs every request with the
/// same key, and parsing a public key costs as much as a signature check.
pub(crate) struct ProofKeys {
    cache: quick_cache::sync::Cache<[u8; 33], Arc<VerifyingKey>>,
}

impl ProofKeys {
    pub(crate) fn new(entries: usize) -> Self {
        ProofKeys { cache: quick_cache::sync::Cache::new(entries.max(1)) }
    }
}

/// Reads and verifies `text`: shape, `typ`, `alg` on `allowed`, a public `jwk`, the signature by
/// that key, and the claims' types. Nothing that depends on the request is judged here.
pub(crate) fn verify(text: &[u8], allowed: AlgorithmSet, keys: &ProofKeys) -> Result<Proof, DpopProblem> {
    if text.len() > MAX_PROOF_BYTES {
        return Err(DpopProblem::TooLarge);
    }
    let mut parts = text.split(|b| *b == b'.');
    let (Some(header_b64), Some(body_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(DpopProblem::Malformed);
    };
    let decode = |part: &[u8]| base64url::decode_to_vec(part).ok_or(DpopProblem::Malformed);
    let (header_json, body_json, signature) =
        (decode(header_b64)?, decode(body_b64)?, decode(signature_b64)?);

    let header: Header<'_> = serde_json::from_slice(&header_json).map_err(|_| DpopProblem::Malformed)?;
    if !header.typ.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("dpop+jwt")) {
        return Err(DpopProblem::WrongType);
    }
    if header.crit.is_some() {
        // No extension is understood here (RFC 7515 §4.1.11).
        return Err(DpopProblem::Malformed);
    }
    let alg = Algorithm::from_header(&header.alg)
        .filter(|a| allowed.contains(*a) && !a.is_symmetric())
        .ok_or(DpopProblem::AlgorithmNotAllowed)?;

    let (jkt_raw, key) = proof_key(header.jwk, alg, keys)?;
    let signing_input_len = header_b64.len() + 1 + body_b64.len();
    if !key.verify(alg, &text[..signing_input_len], &signature) {
        return Err(DpopProblem::BadSignature);
    }

    let body: Body = serde_json::from_slice(&body_json).map_err(|_| DpopProblem::Malformed)?;
    if body.jti.is_empty() || body.jti.len() > MAX_JTI_BYTES {
        return Err(DpopProblem::Malformed);
    }
    let iat = match (body.iat.as_i64(), body.iat.as_f64()) {
        (Some(i), _) => i,
        (None, Some(f)) if f.is_finite() && f.abs() < 1e15 => f.floor() as i64,
        _ => return Err(DpopProblem::Malformed),
    };
    Ok(Proof {
        jkt: URL_SAFE_NO_PAD.encode(jkt_raw),
        htm: body.htm,
        htu: body.htu,
        iat,
        jti: body.jti,
        ath: body.ath,
        nonce: body.nonce,
    })
}

/// The proof key: every member rule checked on each proof, the key itself parsed once per
/// thumbprint and algorithm.
fn proof_key(
    jwk: &RawValue,
    alg: Algorithm,
    keys: &ProofKeys,
) -> Result<([u8; 32], Arc<VerifyingKey>), DpopProblem> {
    let public: PublicJwk<'_> = serde_json::from_str(jwk.get()).map_err(|_| DpopProblem::BadKey)?;
    // A private member (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2): the client sent its
    // private key.
    if public.has_private_member() {
        return Err(DpopProblem::BadKey);
    }
    if public.alg.as_deref().is_some_and(|a| a != alg.as_str())
        || public.key_use.as_deref().is_some_and(|u| u != "sig")
        || public.key_ops.as_ref().is_some_and(|ops| !ops.iter().any(|o| o == "verify"))
    {
        return Err(DpopProblem::BadKey);
    }
    let jkt = thumbprint(&public).ok_or(DpopProblem::BadKey)?;
    let mut cache_key = [0u8; 33];
    cache_key[..32].copy_from_slice(&jkt);
    cache_key[32] = alg as u8;
    if let Some(key) = keys.cache.get(&cache_key) {
        return Ok((jkt, key));
    }
    let value: serde_json::Value = serde_json::from_str(jwk.get()).map_err(|_| DpopProblem::BadKey)?;
    let mut only = AlgorithmSet::empty();
    only.insert(alg);
    // The same rules as for JWKS keys: no symmetric key, RSA of 2048 bits at least, known curves.
    let key = Arc::new(key_from_jwk(&value, KeyOrigin::Jwks, only).map_err(|_| DpopProblem::BadKey)?);
    keys.cache.insert(cache_key, Arc::clone(&key));
    Ok((jkt, key))
}

/// The RFC 7638 thumbprint: SHA-256 over the required members, in lexicographic order, with no
/// whitespace. `None` for a key type without a thumbprint here, or a required member missing.
fn thumbprint(jwk: &PublicJwk<'_>) -> Option<[u8; 32]> {
    let json = |s: &str| serde_json::to_string(s).ok();
    let canonical = match jwk.kty.as_ref() {
        "EC" => format!(
            r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#,
            json(jwk.crv.as_deref()?)?,
            json(jwk.x.as_deref()?)?,
            json(jwk.y.as_deref()?)?
        ),
        "RSA" => {
            format!(r#"{{"e":{},"kty":"RSA","n":{}}}"#, json(jwk.e.as_deref()?)?, json(jwk.n.as_deref()?)?)
        }
        "OKP" => format!(
            r#"{{"crv":{},"kty":"OKP","x":{}}}"#,
            json(jwk.crv.as_deref()?)?,
            json(jwk.x.as_deref()?)?
        ),
        _ => return None,
    };
    Some(sha256(&[canonical.as_bytes()]))
}

/// The RFC 7638 SHA-256 thumbprint of a public JWK, base64url: what a DPoP-bound token's
/// `cnf.jkt` holds. `None` for a JWK that is not a public EC, RSA or OKP key.
///
/// ```
/// // RFC 7638 §3.1's example key.
/// let jwk = serde_json::json!({
///     "kty": "RSA",
///     "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
///     "e": "AQAB",
///     "alg": "RS256",
///     "kid": "2011-04-29"
/// });
/// assert_eq!(
///     auth_core::checks::dpop::jwk_thumbprint(&jwk).as_deref(),
///     Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
/// );
/// ```
pub fn jwk_thumbprint(jwk: &serde_json::Value) -> Option<String> {
    let text = serde_json::to_string(jwk).ok()?;
    let public: PublicJwk<'_> = serde_json::from_str(&text).ok()?;
    thumbprint(&public).map(|t| URL_SAFE_NO_PAD.encode(t))
}

/// base64url(SHA-256(access token)): a proof's `ath`.
pub(crate) fn token_hash(token: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(sha256(&[token]))
}
