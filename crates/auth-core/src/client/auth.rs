//! How this client authenticates at the token endpoint: `client_secret_basic`,
//! `client_secret_post` (RFC 6749 §2.3.1) or `private_key_jwt` (RFC 7523 §2.2, a fresh signed
//! assertion per request).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::algorithm::Algorithm;
use crate::crypto::random;
use crate::error::ConfigError;

/// The client's credentials at the token endpoint.
#[derive(Clone)]
#[non_exhaustive]
pub enum ClientCredentials {
    /// HTTP Basic with the RFC 6749 §2.3.1 encoding of id and secret.
    SecretBasic {
        /// The secret.
        secret: String,
    },
    /// `client_id` and `client_secret` in the form.
    SecretPost {
        /// The secret.
        secret: String,
    },
    /// A JWT signed with the client's private key (RFC 7523): `iss` = `sub` = the client id,
    /// `aud` = the token endpoint, a random `jti`, `exp` 60 s after `iat`.
    PrivateKeyJwt(PrivateKey),
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never a secret.
        f.write_str(match self {
            ClientCredentials::SecretBasic { .. } => "SecretBasic",
            ClientCredentials::SecretPost { .. } => "SecretPost",
            ClientCredentials::PrivateKeyJwt(_) => "PrivateKeyJwt",
        })
    }
}

/// A private signing key for `private_key_jwt` assertions.
#[derive(Clone)]
pub struct PrivateKey {
    alg: Algorithm,
    kid: Option<String>,
    key: jsonwebtoken::EncodingKey,
}

impl PrivateKey {
    /// A PEM private key (PKCS#8, or PKCS#1 for RSA, SEC1 for EC) for `alg` (RS*, PS*, ES256,
    /// ES384, EdDSA), with the `kid` the provider knows it by.
    pub fn from_pem(alg: Algorithm, pem: &[u8], kid: Option<&str>) -> Result<Self, ConfigError> {
        crate::keys::ensure_crypto_backend()?;
        let setting = "client.private_key";
        let key = match alg.key_family() {
            crate::KeyFamily::Rsa => jsonwebtoken::EncodingKey::from_rsa_pem(pem),
            crate::KeyFamily::EcP256 | crate::KeyFamily::EcP384 => {
                jsonwebtoken::EncodingKey::from_ec_pem(pem)
            }
            crate::KeyFamily::Ed25519 => jsonwebtoken::EncodingKey::from_ed_pem(pem),
            crate::KeyFamily::Hmac => {
                return Err(ConfigError::new(setting, "private_key_jwt needs an asymmetric key"));
            }
        }
        .map_err(|e| ConfigError::new(setting, format!("not a {alg} private key in PEM: {e}")))?;
        Ok(PrivateKey { alg, kid: kid.map(str::to_owned), key })
    }

    /// A fresh assertion for `client_id` at `audience`.
    pub(crate) fn assertion(&self, client_id: &str, audience: &str) -> Result<String, String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut jti = [0u8; 16];
        if !random(&mut jti) {
            return Err("no random bytes for the assertion's jti".into());
        }
        let claims = serde_json::json!({
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "jti": URL_SAFE_NO_PAD.encode(jti),
            "iat": now,
            "exp": now + 60,
        });
        let mut header = jsonwebtoken::Header::new(self.alg.to_jsonwebtoken());
        header.kid = self.kid.clone();
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| e.to_string())
    }
}

/// What one request carries to authenticate: a Basic header and/or form fields.
pub(crate) struct Presented {
    pub(crate) basic: Option<String>,
    pub(crate) form: Vec<(&'static str, String)>,
}

/// RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined.
fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl ClientCredentials {
    pub(crate) fn present(&self, client_id: &str, token_endpoint: &str) -> Result<Presented, String> {
        Ok(match self {
            ClientCredentials::SecretBasic { secret } => Presented {
                basic: Some(STANDARD.encode(format!("{}:{}", form_encode(client_id), form_encode(secret)))),
                form: Vec::new(),
            },
            ClientCredentials::SecretPost { secret } => Presented {
                basic: None,
                form: vec![("client_id", client_id.to_owned()), ("client_secret", secret.clone())],
            },
            ClientCredentials::PrivateKeyJwt(key) => Presented {
                basic: None,
                form: vec![
                    ("client_id", client_id.to_owned()),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
                    ),
                    ("client_assertion", key.assertion(client_id, token_endpoint)?),
                ],
            },
        })
    }
}
