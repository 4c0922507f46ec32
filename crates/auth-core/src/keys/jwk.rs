//! One JWK (RFC 7517) to a [`VerifyingKey`], or the reason it is skipped.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use crate::algorithm::{Algorithm, AlgorithmSet, KeyFamily};
use crate::keys::{KeyMaterial, KeyOrigin, VerifyingKey};

/// Why a JWK was left out of a key set. The rest of the set is still used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SkipReason {
    /// Not a JSON object of the JWK shape.
    Malformed,
    /// `use` is not `sig`, or `key_ops` lacks `verify`.
    NotForVerification,
    /// `kty`/`crv` unknown or unsupported.
    UnsupportedKeyType,
    /// A symmetric key published in a JWKS.
    SymmetricFromJwks,
    /// `alg` unknown, or not fitting `kty`/`crv`.
    AlgorithmMismatch,
    /// RSA under 2048 bits, or an HMAC secret shorter than its hash.
    WeakKey,
    /// None of the allowed algorithms fits this key.
    NoAllowedAlgorithm,
    /// The key bytes do not form a valid public key.
    Unusable,
    /// An asymmetric key published in a JWKS with private members (`d`, `p`, `q`, …): whoever
    /// read the JWKS can sign with it, so its signatures prove nothing.
    PrivateKeyPublished,
}

impl SkipReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SkipReason::Malformed => "malformed JWK",
            SkipReason::NotForVerification => "key is not for signature verification",
            SkipReason::UnsupportedKeyType => "unsupported key type or curve",
            SkipReason::SymmetricFromJwks => "symmetric key in a JWKS",
            SkipReason::AlgorithmMismatch => "alg does not fit the key",
            SkipReason::WeakKey => "key too short",
            SkipReason::NoAllowedAlgorithm => "no allowed algorithm fits the key",
            SkipReason::Unusable => "invalid public key",
            SkipReason::PrivateKeyPublished => "private key published in the JWKS",
        }
    }
}

#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    #[serde(rename = "use")]
    public_key_use: Option<String>,
    key_ops: Option<Vec<String>>,
    alg: Option<String>,
    kid: Option<String>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
    k: Option<String>,
}

/// The private members of RSA, EC and OKP keys (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2): any of
/// them, whatever its value, refuses a key from a JWKS (and a DPoP proof's `jwk`, which also
/// refuses `k`).
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

fn b64(v: Option<&String>) -> Result<Vec<u8>, SkipReason> {
    let v = v.ok_or(SkipReason::Malformed)?;
    URL_SAFE_NO_PAD.decode(v.trim_end_matches('=')).map_err(|_| SkipReason::Malformed)
}

/// Turns one JWK into a key, applying every rule: `use`/`key_ops`, `kty`/`crv`, `alg` binding,
/// minimum sizes, no secrets from a JWKS, and the allow-list.
pub(crate) fn key_from_jwk(
    value: &serde_json::Value,
    origin: KeyOrigin,
    allowed: AlgorithmSet,
) -> Result<VerifyingKey, SkipReason> {
    // serde would also read the struct from an array; a JWK is an object.
    if !value.is_object() {
        return Err(SkipReason::Malformed);
    }
    let jwk = RawJwk::deserialize(value).map_err(|_| SkipReason::Malformed)?;
    if jwk.public_key_use.as_deref().is_some_and(|u| u != "sig") {
        return Err(SkipReason::NotForVerification);
    }
    if jwk.key_ops.as_ref().is_some_and(|ops| !ops.iter().any(|o| o == "verify")) {
        return Err(SkipReason::NotForVerification);
    }
    // A provider that publishes a private key has given it to everyone: nothing it signs can be
    // told from a forgery. (A key configured by the operator, `StaticKey::jwk`, may carry them.)
    if origin == KeyOrigin::Jwks && jwk.kty != "oct" && PRIVATE_MEMBERS.iter().any(|m| value.get(m).is_some())
    {
        return Err(SkipReason::PrivateKeyPublished);
    }
    let material = match (jwk.kty.as_str(), jwk.crv.as_deref()) {
        ("RSA", _) => KeyMaterial::Rsa { n: b64(jwk.n.as_ref())?, e: b64(jwk.e.as_ref())? },
        ("EC", Some(crv @ ("P-256" | "P-384"))) => {
            let (family, len) =
                if crv == "P-256" { (KeyFamily::EcP256, 32) } else { (KeyFamily::EcP384, 48) };
            let (x, y) = (b64(jwk.x.as_ref())?, b64(jwk.y.as_ref())?);
            if x.len() != len || y.len() != len {
                return Err(SkipReason::Unusable);
            }
            let mut point = Vec::with_capacity(1 + 2 * len);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            KeyMaterial::Ec { family, point }
        }
        ("OKP", Some("Ed25519")) => {
            let x = b64(jwk.x.as_ref())?;
            if x.len() != 32 {
                return Err(SkipReason::Unusable);
            }
            KeyMaterial::Ed25519 { x }
        }
        ("oct", _) if origin == KeyOrigin::Jwks => return Err(SkipReason::SymmetricFromJwks),
        ("oct", _) => KeyMaterial::Hmac { secret: b64(jwk.k.as_ref())? },
        _ => return Err(SkipReason::UnsupportedKeyType),
    };
    let bound = match jwk.alg.as_deref() {
        None => None,
        Some(a) => Some(Algorithm::from_header(a).ok_or(SkipReason::AlgorithmMismatch)?),
    };
    VerifyingKey::new(jwk.kid, &material, bound, allowed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dev_issuer::SigningKey;

    #[test]
    fn a_jwks_key_with_private_members_is_skipped_and_a_configured_one_is_kept() {
        for alg in [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA] {
            let public = SigningKey::generate(alg).unwrap().public_jwk();
            let allowed = AlgorithmSet::asymmetric();
            assert!(key_from_jwk(&public, KeyOrigin::Jwks, allowed).is_ok(), "{alg:?}");
            for member in PRIVATE_MEMBERS {
                let mut leaked = public.clone();
                leaked[member] = serde_json::json!("AQAB");
                let skipped = key_from_jwk(&leaked, KeyOrigin::Jwks, allowed).map(|_| ());
                assert_eq!(skipped, Err(SkipReason::PrivateKeyPublished), "{alg:?} with {member}");
            }
            let mut own = public.clone();
            own["d"] = serde_json::json!("AQAB");
            assert!(key_from_jwk(&own, KeyOrigin::Operator, allowed).is_ok(), "{alg:?} configured");
        }
    }
}
