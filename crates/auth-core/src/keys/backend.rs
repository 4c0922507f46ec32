//! The crypto backend: keys parsed once, then verified many times.
//!
//! With the `aws-lc-rs` feature, public keys are pre-parsed `aws_lc_rs` keys (no per-call key
//! parsing). With only `rust-crypto`, verification goes through `jsonwebtoken`'s RustCrypto
//! provider.

use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::error::ConfigError;
use crate::keys::KeyMaterial;

/// Makes sure `jsonwebtoken` has a crypto provider (it reads PEM keys and, with `rust-crypto`,
/// verifies), so nothing panics at the first request; with no backend at all, fails the build of
/// the validator with a message naming the features.
pub(crate) fn ensure_crypto_backend() -> Result<(), ConfigError> {
    // Err means one is already installed (ours or the application's): fine either way. With both
    // features jsonwebtoken picks neither by itself, so ours must be installed explicitly.
    #[cfg(feature = "aws-lc-rs")]
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
    // Not a `compile_error!`: that would also break `--no-default-features` checks of the crates
    // that re-export this one, where no validator is ever built.
    if cfg!(not(any(feature = "aws-lc-rs", feature = "rust-crypto"))) {
        return Err(ConfigError::new("features", NO_BACKEND));
    }
    Ok(())
}

const NO_BACKEND: &str = "auth-core was built without a crypto backend: enable the `aws-lc-rs` (default) or \
                          `rust-crypto` feature of auth-core, tower-auth or actix-auth";

#[cfg(feature = "aws-lc-rs")]
mod imp {
    use aws_lc_rs::{hmac, signature};

    use super::*;
    use crate::algorithm::KeyFamily;
    use crate::keys::der;

    enum Parsed {
        Public(Vec<(Algorithm, signature::ParsedPublicKey)>),
        Hmac(Vec<(Algorithm, hmac::Key)>),
    }

    pub(crate) struct Verifier(Parsed);

    fn params(alg: Algorithm) -> Option<&'static dyn signature::VerificationAlgorithm> {
        Some(match alg {
            Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
            Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
            Algorithm::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
            Algorithm::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
            Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED,
            Algorithm::EdDSA => &signature::ED25519,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => return None,
        })
    }

    impl Verifier {
        pub(crate) fn new(material: &KeyMaterial, algorithms: AlgorithmSet) -> Option<Self> {
            if let KeyMaterial::Hmac { secret } = material {
                let keys = algorithms
                    .iter()
                    .map(|alg| {
                        let h = match alg {
                            Algorithm::HS256 => hmac::HMAC_SHA256,
                            Algorithm::HS384 => hmac::HMAC_SHA384,
                            _ => hmac::HMAC_SHA512,
                        };
                        (alg, hmac::Key::new(h, secret))
                    })
                    .collect();
                return Some(Verifier(Parsed::Hmac(keys)));
            }
            let bytes = match material {
                KeyMaterial::Rsa { n, e } => der::encode_rsa_public_key(n, e),
                KeyMaterial::Ec { family, point } => {
                    let coord = if *family == KeyFamily::EcP384 { 48 } else { 32 };
                    if point.len() != 1 + 2 * coord {
                        return None;
                    }
                    point.clone()
                }
                KeyMaterial::Ed25519 { x } => x.clone(),
                KeyMaterial::Hmac { .. } => return None,
            };
            let mut keys = Vec::new();
            for alg in algorithms.iter() {
                keys.push((alg, signature::ParsedPublicKey::new(params(alg)?, &bytes).ok()?));
            }
            Some(Verifier(Parsed::Public(keys)))
        }

        pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], sig: &[u8]) -> bool {
            match &self.0 {
                Parsed::Public(keys) => keys
                    .iter()
                    .find(|(a, _)| *a == alg)
                    .is_some_and(|(_, k)| k.verify_sig(message, sig).is_ok()),
                Parsed::Hmac(keys) => keys
                    .iter()
                    .find(|(a, _)| *a == alg)
                    .is_some_and(|(_, k)| hmac::verify(k, message, sig).is_ok()),
            }
        }
    }
}

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
mod imp {
    use jsonwebtoken::DecodingKey;

    use super::*;

    pub(crate) struct Verifier(DecodingKey);

    impl Verifier {
        pub(crate) fn new(material: &KeyMaterial, algorithms: AlgorithmSet) -> Option<Self> {
            let key = match material {
                KeyMaterial::Rsa { n, e } => DecodingKey::from_rsa_raw_components(n, e),
                KeyMaterial::Ec { point, .. } => DecodingKey::from_ec_der(point),
                KeyMaterial::Ed25519 { x } => DecodingKey::from_ed_der(x),
                // jsonwebtoken refuses an empty secret; shorter-than-hash secrets never get here.
                KeyMaterial::Hmac { secret } => DecodingKey::from_secret(secret).ok()?,
            };
            // The provider parses the key when it makes a verifier: a key it cannot use (an EC
            // point off its curve) is refused here, at load, as the aws-lc-rs backend does,
            // rather than kept in the set to fail every signature.
            let provider = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
            for alg in algorithms.iter() {
                (provider.verifier_factory)(&alg.to_jsonwebtoken(), &key).ok()?;
            }
            Some(Verifier(key))
        }

        pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], sig: &[u8]) -> bool {
            let provider = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
            (provider.verifier_factory)(&alg.to_jsonwebtoken(), &self.0)
                .is_ok_and(|v| v.verify(message, &sig.to_vec()).is_ok())
        }
    }
}

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
mod imp {
    use super::*;

    pub(crate) struct Verifier;

    impl Verifier {
        pub(crate) fn new(_: &KeyMaterial, _: AlgorithmSet) -> Option<Self> {
            None
        }

        pub(crate) fn verify(&self, _: Algorithm, _: &[u8], _: &[u8]) -> bool {
            false
        }
    }
}

pub(crate) use imp::Verifier;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backend_is_usable_exactly_when_a_feature_enables_one() {
        let result = ensure_crypto_backend();
        if cfg!(any(feature = "aws-lc-rs", feature = "rust-crypto")) {
            assert_eq!(result, Ok(()));
            assert!(jsonwebtoken::crypto::CryptoProvider::try_get_default().is_some());
        } else {
            let err = result.unwrap_err();
            assert_eq!(err.setting(), "features");
            assert!(err.message().contains("`aws-lc-rs`") && err.message().contains("`rust-crypto`"));
        }
    }
}
