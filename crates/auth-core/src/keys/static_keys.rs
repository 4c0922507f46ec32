//! Keys the operator hands in: PEM, DER, a JWK, a JWKS document, or an HMAC secret.

use std::sync::Arc;

use base64::Engine;

use crate::algorithm::{Algorithm, AlgorithmSet, KeyFamily};
use crate::error::ConfigError;
use crate::keys::{KeyMaterial, KeyOrigin, KeySet, VerifyingKey, der, key_from_jwk};

/// A key configured by the operator. Turned into a verifying key when the validator is built, so
/// every mistake is reported at startup.
///
/// ```
/// use auth_core::{Algorithm, StaticKey};
///
/// let key = StaticKey::hmac(b"an-hmac-secret-of-at-least-32-bytes!".to_vec())
///     .with_kid("internal")
///     .with_algorithm(Algorithm::HS256);
/// # let _ = key;
/// ```
#[derive(Debug, Clone)]
pub struct StaticKey {
    kid: Option<String>,
    alg: Option<Algorithm>,
    source: Source,
}

#[derive(Debug, Clone)]
enum Source {
    Material(Result<KeyMaterial, String>),
    Jwk(Result<serde_json::Value, String>),
    Jwks(Vec<u8>),
}

impl StaticKey {
    /// A public key in PEM: `PUBLIC KEY` (SPKI: RSA, P-256, P-384 or Ed25519) or `RSA PUBLIC KEY`.
    pub fn pem(pem: impl AsRef<[u8]>) -> Self {
        StaticKey::from_source(Source::Material(material_from_pem(pem.as_ref())))
    }

    /// A public key in DER: SubjectPublicKeyInfo (RSA, P-256, P-384, Ed25519) or PKCS#1 RSA.
    pub fn der(der: impl AsRef<[u8]>) -> Self {
        let der = der.as_ref();
        let material = match der::parse_rsa_public_key(der) {
            Some((n, e)) => Ok(KeyMaterial::Rsa { n, e }),
            None => {
                let b64 = base64::engine::general_purpose::STANDARD.encode(der);
                material_from_pem(
                    format!("-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n").as_bytes(),
                )
            }
        };
        StaticKey::from_source(Source::Material(material))
    }

    /// One JWK as JSON text. Its `kid` and `alg` are used unless overridden.
    pub fn jwk(json: impl AsRef<str>) -> Self {
        StaticKey::from_source(Source::Jwk(
            serde_json::from_str(json.as_ref()).map_err(|e| format!("not JSON: {e}")),
        ))
    }

    /// A whole JWKS document as JSON text (expanded into its keys at build time).
    pub fn jwks(json: impl AsRef<[u8]>) -> Self {
        StaticKey::from_source(Source::Jwks(json.as_ref().to_vec()))
    }

    /// A shared HMAC secret. Must be at least as long as the hash (32 bytes for HS256).
    pub fn hmac(secret: impl Into<Vec<u8>>) -> Self {
        StaticKey::from_source(Source::Material(Ok(KeyMaterial::Hmac { secret: secret.into() })))
    }

    fn from_source(source: Source) -> Self {
        StaticKey { kid: None, alg: None, source }
    }

    /// Sets the key id tokens name in their `kid` header.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Binds the key to one algorithm.
    pub fn with_algorithm(mut self, alg: Algorithm) -> Self {
        self.alg = Some(alg);
        self
    }

    /// Builds the verifying keys, or names what is wrong. `setting` names this key in errors.
    pub(crate) fn build(
        &self,
        allowed: AlgorithmSet,
        setting: &str,
    ) -> Result<Vec<Arc<VerifyingKey>>, ConfigError> {
        let explain = |reason: crate::keys::SkipReason| ConfigError::new(setting, reason.as_str());
        match &self.source {
            Source::Material(m) => {
                let m = m.as_ref().map_err(|e| ConfigError::new(setting, e.clone()))?;
                Ok(vec![Arc::new(
                    VerifyingKey::new(self.kid.clone(), m, self.alg, allowed).map_err(explain)?,
                )])
            }
            Source::Jwk(v) => {
                let mut v = v.as_ref().map_err(|e| ConfigError::new(setting, e.clone()))?.clone();
                if let Some(obj) = v.as_object_mut() {
                    if let Some(kid) = &self.kid {
                        obj.insert("kid".into(), kid.clone().into());
                    }
                    if let Some(alg) = self.alg {
                        obj.insert("alg".into(), alg.as_str().into());
                    }
                }
                Ok(vec![Arc::new(key_from_jwk(&v, KeyOrigin::Operator, allowed).map_err(explain)?)])
            }
            Source::Jwks(doc) => {
                let set = KeySet::from_jwks(doc, KeyOrigin::Operator, allowed, usize::MAX)
                    .map_err(|e| ConfigError::new(setting, e.to_string()))?;
                Ok(set.keys().to_vec())
            }
        }
    }
}

fn material_from_pem(pem: &[u8]) -> Result<KeyMaterial, String> {
    use jsonwebtoken::{DecodingKey, DecodingKeyKind};
    let bytes = |k: &DecodingKey| match k.kind() {
        DecodingKeyKind::SecretOrDer(b) => Some(b.clone()),
        DecodingKeyKind::RsaModulusExponent { .. } => None,
    };
    if let Ok(k) = DecodingKey::from_rsa_pem(pem) {
        let der = bytes(&k).ok_or("unreadable RSA key")?;
        let (n, e) = der::parse_rsa_public_key(&der).ok_or("unreadable RSA public key")?;
        return Ok(KeyMaterial::Rsa { n, e });
    }
    if let Ok(k) = DecodingKey::from_ec_pem(pem) {
        let point = bytes(&k).ok_or("unreadable EC key")?;
        let family = match point.len() {
            65 => KeyFamily::EcP256,
            97 => KeyFamily::EcP384,
            _ => return Err("unsupported EC curve (P-256 and P-384 are supported)".into()),
        };
        return Ok(KeyMaterial::Ec { family, point });
    }
    if let Ok(k) = DecodingKey::from_ed_pem(pem) {
        return Ok(KeyMaterial::Ed25519 { x: bytes(&k).ok_or("unreadable Ed25519 key")? });
    }
    Err("not a PEM public key (RSA, P-256, P-384 or Ed25519)".into())
}
