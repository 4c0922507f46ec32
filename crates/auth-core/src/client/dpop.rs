//! Outbound DPoP (RFC 9449): the client's key, a fresh proof per request (`htm`, `htu`, `ath`,
//! the server's nonce), and the nonces servers asked for, remembered per origin.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::algorithm::Algorithm;
use crate::checks::dpop::jwk_thumbprint;
use crate::crypto::{random, sha256};
use crate::error::ConfigError;

/// The client's DPoP key: proofs are signed with it, and its tokens bound to it. Cheap to clone.
///
/// ```
/// # fn demo(pem: &[u8]) -> Result<(), auth_core::ConfigError> {
/// let key = auth_core::client::DpopSigner::from_pem(auth_core::Algorithm::ES256, pem)?;
/// println!("tokens will be bound to {}", key.thumbprint());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DpopSigner(Arc<Inner>);

struct Inner {
    alg: Algorithm,
    key: jsonwebtoken::EncodingKey,
    jwk: jsonwebtoken::jwk::Jwk,
    jkt: String,
    /// The last `DPoP-Nonce` each origin sent.
    nonces: Mutex<HashMap<String, String>>,
}

impl fmt::Debug for DpopSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopSigner")
            .field("alg", &self.0.alg)
            .field("jkt", &self.0.jkt)
            .finish_non_exhaustive()
    }
}

impl DpopSigner {
    /// A PEM private key (PKCS#8; PKCS#1 for RSA, SEC1 for EC) for `alg` (ES256, ES384, RS*,
    /// PS*, EdDSA).
    pub fn from_pem(alg: Algorithm, pem: &[u8]) -> Result<Self, ConfigError> {
        crate::keys::ensure_crypto_backend()?;
        let setting = "client.dpop_key";
        let key = match alg.key_family() {
            crate::KeyFamily::Rsa => jsonwebtoken::EncodingKey::from_rsa_pem(pem),
            crate::KeyFamily::EcP256 | crate::KeyFamily::EcP384 => {
                jsonwebtoken::EncodingKey::from_ec_pem(pem)
            }
            crate::KeyFamily::Ed25519 => jsonwebtoken::EncodingKey::from_ed_pem(pem),
            crate::KeyFamily::Hmac => return Err(ConfigError::new(setting, "a DPoP key is asymmetric")),
        }
        .map_err(|e| ConfigError::new(setting, format!("not a {alg} private key in PEM: {e}")))?;
        let alg_jwt = alg.to_jsonwebtoken();
        let mut jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&key, alg_jwt)
            .map_err(|e| ConfigError::new(setting, format!("cannot derive the public key: {e}")))?;
        // The public members only: no `alg`, `kid` or `use` (RFC 7638 thumbprints ignore them).
        jwk.common = jsonwebtoken::jwk::CommonParameters::default();
        let value = serde_json::to_value(&jwk).map_err(|e| ConfigError::new(setting, e.to_string()))?;
        let jkt =
            jwk_thumbprint(&value).ok_or_else(|| ConfigError::new(setting, "no thumbprint for this key"))?;
        Ok(DpopSigner(Arc::new(Inner { alg, key, jwk, jkt, nonces: Mutex::new(HashMap::new()) })))
    }

    /// The key's RFC 7638 thumbprint: the `cnf.jkt` of tokens bound to it.
    pub fn thumbprint(&self) -> &str {
        &self.0.jkt
    }

    /// A fresh proof for `method` `uri` (query and fragment dropped), with `ath` for
    /// `access_token` and the nonce last seen from `uri`'s origin.
    pub fn proof(&self, method: &str, uri: &str, access_token: Option<&str>) -> Result<String, String> {
        let url = url::Url::parse(uri).map_err(|e| e.to_string())?;
        let mut htu = url.clone();
        htu.set_query(None);
        htu.set_fragment(None);
        let mut jti = [0u8; 16];
        if !random(&mut jti) {
            return Err("no random bytes for the proof's jti".into());
        }
        let iat = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut claims = serde_json::json!({
            "jti": URL_SAFE_NO_PAD.encode(jti),
            "htm": method,
            "htu": htu.as_str(),
            "iat": iat,
        });
        if let Some(token) = access_token {
            claims["ath"] = URL_SAFE_NO_PAD.encode(sha256(&[token.as_bytes()])).into();
        }
        if let Some(nonce) = self.nonce_for(&url) {
            claims["nonce"] = nonce.into();
        }
        let mut header = jsonwebtoken::Header::new(self.0.alg.to_jsonwebtoken());
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(self.0.jwk.clone());
        jsonwebtoken::encode(&header, &claims, &self.0.key).map_err(|e| e.to_string())
    }

    /// Remembers the `DPoP-Nonce` `uri`'s origin sent.
    pub fn remember_nonce(&self, uri: &str, nonce: &str) {
        if let Ok(url) = url::Url::parse(uri) {
            let mut nonces = self.0.nonces.lock().unwrap_or_else(PoisonError::into_inner);
            // Bounded: a client talks to few origins; a flood of them starts the map afresh.
            if nonces.len() >= 1000 && !nonces.contains_key(&origin(&url)) {
                nonces.clear();
            }
            nonces.insert(origin(&url), nonce.to_owned());
        }
    }

    fn nonce_for(&self, url: &url::Url) -> Option<String> {
        self.0.nonces.lock().unwrap_or_else(PoisonError::into_inner).get(&origin(url)).cloned()
    }
}

fn origin(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(all(test, feature = "dev-issuer"))]
mod tests {
    use base64::engine::general_purpose::STANDARD;

    use super::*;
    use crate::checks::dpop::proof::{ProofKeys, verify};
    use crate::dev_issuer::SigningKey;

    #[test]
    fn proofs_verify_and_carry_the_origins_nonce() {
        for alg in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::PS256] {
            let key = SigningKey::generate(alg).unwrap();
            let pem = format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                STANDARD.encode(key.to_pkcs8().unwrap())
            );
            let signer = DpopSigner::from_pem(alg, pem.as_bytes()).unwrap();
            signer.remember_nonce("https://api.example.com/other", "n-1");
            let text = signer.proof("GET", "https://api.example.com/pets?limit=2#x", Some("tok")).unwrap();
            let (keys, mut scratch) = (ProofKeys::new(1), Vec::new());
            let proof =
                verify(text.as_bytes(), crate::AlgorithmSet::asymmetric(), &keys, &mut scratch).unwrap();
            assert_eq!(proof.jkt(), signer.thumbprint(), "{alg}");
            assert_eq!((&*proof.htm, &*proof.htu), ("GET", "https://api.example.com/pets"));
            assert_eq!(proof.nonce.as_deref(), Some("n-1"));
            assert_eq!(proof.ath.as_deref(), Some(URL_SAFE_NO_PAD.encode(sha256(&[b"tok"]))).as_deref());
            let elsewhere = signer.proof("GET", "https://other.example.com/", None).unwrap();
            let mut scratch = Vec::new();
            let proof =
                verify(elsewhere.as_bytes(), crate::AlgorithmSet::asymmetric(), &keys, &mut scratch).unwrap();
            assert_eq!(proof.nonce, None);
        }
    }
}
