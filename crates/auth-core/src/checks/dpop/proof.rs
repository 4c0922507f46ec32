//! One DPoP proof (RFC 9449 §4.2): a compact JWS of type `dpop+jwt`, signed by the public key in
//! its own `jwk` header, read and verified here. The request-dependent rules (`htm`, `htu`,
//! `iat`, `ath`, `jti`, `cnf.jkt`, `nonce`) are the check's, on what this returns.

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::crypto::{constant_time_eq, sha256};
use crate::error::DpopProblem;
use crate::keys::{KeyOrigin, VerifyingKey, key_from_jwk};
use crate::token::base64url;

/// The largest `DPoP` header accepted: 8 KiB (an RSA-4096 proof is under 2 KiB).
pub const MAX_PROOF_BYTES: usize = 8 * 1024;

/// The longest `jti` accepted, in bytes. RFC 9449 asks for at least 96 bits of randomness;
/// anything longer than this is not an identifier but a payload.
pub(crate) const MAX_JTI_BYTES: usize = 256;

/// A proof whose signature verified, with what the check still has to judge, borrowed from the
/// decoded proof.
pub(crate) struct Proof<'b> {
    key: Arc<ProofKey>,
    pub(crate) htm: Cow<'b, str>,
    pub(crate) htu: Cow<'b, str>,
    pub(crate) iat: i64,
    pub(crate) jti: Cow<'b, str>,
    pub(crate) ath: Option<Cow<'b, str>>,
    pub(crate) nonce: Option<Cow<'b, str>>,
}

impl Proof<'_> {
    /// The RFC 7638 SHA-256 thumbprint of the proof key, base64url.
    pub(crate) fn jkt(&self) -> &str {
        &self.key.jkt
    }
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    typ: Option<Cow<'a, str>>,
    #[serde(borrow)]
    alg: Cow<'a, str>,
    #[serde(borrow)]
    jwk: &'a RawValue,
    crit: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct PublicJwk<'a> {
    #[serde(borrow)]
    kty: Cow<'a, str>,
    #[serde(borrow)]
    crv: Option<Cow<'a, str>>,
    #[serde(borrow)]
    n: Option<Cow<'a, str>>,
    #[serde(borrow)]
    e: Option<Cow<'a, str>>,
    #[serde(borrow)]
    x: Option<Cow<'a, str>>,
    #[serde(borrow)]
    y: Option<Cow<'a, str>>,
    #[serde(borrow)]
    alg: Option<Cow<'a, str>>,
    #[serde(rename = "use", borrow)]
    key_use: Option<Cow<'a, str>>,
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
struct Body<'b> {
    #[serde(borrow)]
    jti: Cow<'b, str>,
    #[serde(borrow)]
    htm: Cow<'b, str>,
    #[serde(borrow)]
    htu: Cow<'b, str>,
    iat: serde_json::Number,
    #[serde(borrow)]
    ath: Option<Cow<'b, str>>,
    #[serde(borrow)]
    nonce: Option<Cow<'b, str>>,
}

/// Proof keys already read, by their exact JWK text and the proof's algorithm: a client signs
/// every proof with the same key, and reading one (its member rules, the RFC 7638 thumbprint, the
/// key itself) costs more than the rest of the proof's checks together. The same text under the
/// same algorithm gets the same verdict, so a hit skips all of it. Bounded by entries and by
/// bytes: a flood of distinct keys (whitespace variants included) evicts others, never grows it.
pub(crate) struct ProofKeys {
    cache: quick_cache::sync::Cache<ProofKeyId, Arc<ProofKey>, ProofKeyWeight>,
}

/// What a proof key's JWK text gave: its thumbprint and the parsed key.
pub(crate) struct ProofKey {
    /// The RFC 7638 SHA-256 thumbprint, base64url.
    jkt: String,
    key: VerifyingKey,
}

/// A cache key: the algorithm and the JWK text, as sent.
#[derive(PartialEq, Eq)]
struct ProofKeyId {
    alg: Algorithm,
    jwk: Box<str>,
}

/// The same, borrowed from a proof, for look-ups without a copy.
struct ProofKeyRef<'a> {
    alg: Algorithm,
    jwk: &'a str,
}

impl std::hash::Hash for ProofKeyId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        ProofKeyRef { alg: self.alg, jwk: &self.jwk }.hash(state);
    }
}

impl std::hash::Hash for ProofKeyRef<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.alg.hash(state);
        self.jwk.hash(state);
    }
}

impl quick_cache::Equivalent<ProofKeyId> for ProofKeyRef<'_> {
    fn equivalent(&self, key: &ProofKeyId) -> bool {
        self.alg == key.alg && self.jwk == &*key.jwk
    }
}

/// An entry weighs its JWK text and [`PROOF_KEY_OVERHEAD`] for the parsed key and the entry.
#[derive(Clone)]
struct ProofKeyWeight;

/// What a parsed key and its entry take beside the JWK text, counted generously (an RSA key
/// parsed by aws-lc-rs is under a kilobyte).
const PROOF_KEY_OVERHEAD: u64 = 1024;

impl quick_cache::Weighter<ProofKeyId, Arc<ProofKey>> for ProofKeyWeight {
    fn weight(&self, key: &ProofKeyId, _: &Arc<ProofKey>) -> u64 {
        key.jwk.len() as u64 + PROOF_KEY_OVERHEAD
    }
}

impl ProofKeys {
    /// A cache of about `entries` keys of a typical size (an EC JWK), never more than
    /// `entries` × 2 KiB in all.
    pub(crate) fn new(entries: usize) -> Self {
        let entries = entries.max(1);
        let bytes = (entries as u64).saturating_mul(2 * PROOF_KEY_OVERHEAD);
        ProofKeys { cache: quick_cache::sync::Cache::with_weighter(entries, bytes, ProofKeyWeight) }
    }
}

/// Reads and verifies `text`: shape, `typ`, `alg` on `allowed`, a public `jwk`, the signature by
/// that key, and the claims' types. Nothing that depends on the request is judged here. The
/// proof is decoded into `scratch`, which what is returned borrows.
pub(crate) fn verify<'b>(
    text: &[u8],
    allowed: AlgorithmSet,
    keys: &ProofKeys,
    scratch: &'b mut Vec<u8>,
) -> Result<Proof<'b>, DpopProblem> {
    if text.len() > MAX_PROOF_BYTES {
        return Err(DpopProblem::TooLarge);
    }
    let mut parts = text.split(|b| *b == b'.');
    let (Some(header_b64), Some(body_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(DpopProblem::Malformed);
    };
    // The three parts decoded into one buffer.
    let len = |part: &[u8]| base64url::decoded_len(part.len()).ok_or(DpopProblem::Malformed);
    let (header_len, body_len, signature_len) = (len(header_b64)?, len(body_b64)?, len(signature_b64)?);
    scratch.clear();
    scratch.resize(header_len + body_len + signature_len, 0);
    let (header_json, rest) = scratch.split_at_mut(header_len);
    let (body_json, signature) = rest.split_at_mut(body_len);
    for (part, out) in
        [(header_b64, &mut *header_json), (body_b64, &mut *body_json), (signature_b64, &mut *signature)]
    {
        base64url::decode(part, out).ok_or(DpopProblem::Malformed)?;
    }
    let scratch: &'b [u8] = scratch;
    let (header_json, rest) = scratch.split_at(header_len);
    let (body_json, signature) = rest.split_at(body_len);

    let header: Header<'_> = serde_json::from_slice(header_json).map_err(|_| DpopProblem::Malformed)?;
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

    let key = proof_key(header.jwk, alg, keys)?;
    let signing_input_len = header_b64.len() + 1 + body_b64.len();
    if !key.key.verify(alg, &text[..signing_input_len], signature) {
        return Err(DpopProblem::BadSignature);
    }

    let body: Body<'b> = serde_json::from_slice(body_json).map_err(|_| DpopProblem::Malformed)?;
    if body.jti.is_empty() || body.jti.len() > MAX_JTI_BYTES {
        return Err(DpopProblem::Malformed);
    }
    let iat = match (body.iat.as_i64(), body.iat.as_f64()) {
        (Some(i), _) => i,
        (None, Some(f)) if f.is_finite() && f.abs() < 1e15 => f.floor() as i64,
        _ => return Err(DpopProblem::Malformed),
    };
    Ok(Proof { key, htm: body.htm, htu: body.htu, iat, jti: body.jti, ath: body.ath, nonce: body.nonce })
}

/// The proof key of `jwk` for `alg`: from the cache when this very text came with this
/// algorithm before, else every member rule checked, the thumbprint taken and the key parsed.
fn proof_key(jwk: &RawValue, alg: Algorithm, keys: &ProofKeys) -> Result<Arc<ProofKey>, DpopProblem> {
    if let Some(key) = keys.cache.get(&ProofKeyRef { alg, jwk: jwk.get() }) {
        return Ok(key);
    }
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
    let jkt = URL_SAFE_NO_PAD.encode(thumbprint(&public).ok_or(DpopProblem::BadKey)?);
    let value: serde_json::Value = serde_json::from_str(jwk.get()).map_err(|_| DpopProblem::BadKey)?;
    let mut only = AlgorithmSet::empty();
    only.insert(alg);
    // The same rules as for JWKS keys: no symmetric key, RSA of 2048 bits at least, known curves.
    let key = key_from_jwk(&value, KeyOrigin::Jwks, only).map_err(|_| DpopProblem::BadKey)?;
    let key = Arc::new(ProofKey { jkt, key });
    keys.cache.insert(ProofKeyId { alg, jwk: jwk.get().into() }, Arc::clone(&key));
    Ok(key)
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

/// Whether `ath` is base64url(SHA-256(`token`)), compared in constant time on the decoded hash.
pub(crate) fn is_token_hash(ath: &str, token: &[u8]) -> bool {
    let mut hash = [0u8; 32];
    base64url::decode(ath.as_bytes(), &mut hash).is_some() && constant_time_eq(&hash, &sha256(&[token]))
}
