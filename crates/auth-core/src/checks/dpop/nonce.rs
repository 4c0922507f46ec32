//! Stateless server nonces (RFC 9449 §8): a nonce names a time step and carries a MAC of it, so
//! any instance holding the same key checks it without shared state. The current step's nonce and
//! the previous step's are accepted.

use std::fmt;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::crypto::{constant_time_eq, hmac_sha256, random};
use crate::error::ConfigError;

/// The default nonce step: 60 s. A nonce is accepted during its own step and the next, so for
/// 60 to 120 s: long enough that a client rarely meets a `use_dpop_nonce` retry, short enough
/// that a proof made ahead of time is useless within two minutes.
pub const DEFAULT_NONCE_STEP: Duration = Duration::from_secs(60);

/// The shortest nonce key accepted: 32 bytes (a 256-bit MAC key).
pub const MIN_NONCE_KEY_BYTES: usize = 32;

const MAC_BYTES: usize = 16;
const DOMAIN: &[u8] = b"auth-core DPoP nonce v1\0";

/// Server-nonce settings: the MAC key (shared by every instance that must accept each other's
/// nonces) and the step.
///
/// ```
/// use auth_core::checks::dpop::DpopNonces;
///
/// let shared = DpopNonces::from_base64url("c2VjcmV0LXNoYXJlZC1ieS1ldmVyeS1pbnN0YW5jZS0wMTIzNDU2Nzg5")?;
/// let per_process = DpopNonces::random()?;
/// # let _ = (shared, per_process); Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct DpopNonces {
    key: Vec<u8>,
    step_secs: i64,
}

/// How a nonce fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NonceCheck {
    /// This step's.
    Current,
    /// The previous step's: still accepted, about to roll over.
    Previous,
    /// Missing, malformed, older, from the future, or made with another key.
    Invalid,
}

impl DpopNonces {
    /// Nonces under a random key of this process: only this process accepts them, and a restart
    /// makes every earlier nonce invalid (clients retry once with the new one).
    pub fn random() -> Result<Self, ConfigError> {
        let mut key = vec![0; MIN_NONCE_KEY_BYTES];
        if !random(&mut key) {
            return Err(ConfigError::new("dpop.nonces", "no random bytes for a nonce key"));
        }
        Ok(DpopNonces { key, step_secs: DEFAULT_NONCE_STEP.as_secs() as i64 })
    }

    /// Nonces under `key` (at least 32 bytes), shared by every instance configured with it.
    pub fn with_key(key: &[u8]) -> Result<Self, ConfigError> {
        if key.len() < MIN_NONCE_KEY_BYTES {
            return Err(ConfigError::new(
                "dpop.nonces.key",
                format!("is {} bytes; at least {MIN_NONCE_KEY_BYTES} are needed", key.len()),
            ));
        }
        Ok(DpopNonces { key: key.to_vec(), step_secs: DEFAULT_NONCE_STEP.as_secs() as i64 })
    }

    /// Nonces under a key given as unpadded base64url text (as an environment variable holds it).
    pub fn from_base64url(key: &str) -> Result<Self, ConfigError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(key.trim().trim_end_matches('='))
            .map_err(|_| ConfigError::new("dpop.nonces.key", "is not base64url"))?;
        DpopNonces::with_key(&bytes)
    }

    /// The step (whole seconds, at least 1; default [`DEFAULT_NONCE_STEP`]).
    pub fn step(mut self, step: Duration) -> Self {
        self.step_secs = step.as_secs().clamp(1, u32::MAX.into()) as i64;
        self
    }

    /// The nonce of the step `now` falls in.
    pub(crate) fn issue(&self, now: i64) -> String {
        let step = now.div_euclid(self.step_secs);
        let mut raw = [0u8; 8 + MAC_BYTES];
        raw[..8].copy_from_slice(&step.to_be_bytes());
        raw[8..].copy_from_slice(&self.mac(step)[..MAC_BYTES]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    pub(crate) fn check(&self, nonce: Option<&str>, now: i64) -> NonceCheck {
        let Some(nonce) = nonce else { return NonceCheck::Invalid };
        let mut raw = [0u8; 8 + MAC_BYTES];
        if nonce.len() != 32 || URL_SAFE_NO_PAD.decode_slice(nonce, &mut raw).ok() != Some(raw.len()) {
            return NonceCheck::Invalid;
        }
        let mut step = [0u8; 8];
        step.copy_from_slice(&raw[..8]);
        let step = i64::from_be_bytes(step);
        let current = now.div_euclid(self.step_secs);
        let answer = match current.checked_sub(step) {
            Some(0) => NonceCheck::Current,
            Some(1) => NonceCheck::Previous,
            _ => return NonceCheck::Invalid,
        };
        if !constant_time_eq(&raw[8..], &self.mac(step)[..MAC_BYTES]) {
            return NonceCheck::Invalid;
        }
        answer
    }

    fn mac(&self, step: i64) -> [u8; 32] {
        let mut message = [0u8; DOMAIN.len() + 8];
        message[..DOMAIN.len()].copy_from_slice(DOMAIN);
        message[DOMAIN.len()..].copy_from_slice(&step.to_be_bytes());
        hmac_sha256(&self.key, &message)
    }
}

impl fmt::Debug for DpopNonces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key.
        f.debug_struct("DpopNonces").field("step_secs", &self.step_secs).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_and_previous_steps_only() {
        let nonces = DpopNonces::with_key(&[7; 32]).unwrap();
        let n = nonces.issue(1_000_000);
        assert_eq!(nonces.check(Some(&n), 1_000_000), NonceCheck::Current);
        assert_eq!(nonces.check(Some(&n), 1_000_000 + 60), NonceCheck::Previous);
        assert_eq!(nonces.check(Some(&n), 1_000_000 + 120), NonceCheck::Invalid);
        assert_eq!(nonces.check(Some(&n), 1_000_000 - 60), NonceCheck::Invalid, "from the future");
        assert_eq!(nonces.check(None, 1_000_000), NonceCheck::Invalid);
        assert_eq!(nonces.check(Some("x"), 1_000_000), NonceCheck::Invalid);
        let other = DpopNonces::with_key(&[8; 32]).unwrap();
        assert_eq!(other.check(Some(&n), 1_000_000), NonceCheck::Invalid, "another key");
        // A forged step with the old MAC.
        let mut raw = URL_SAFE_NO_PAD.decode(&n).unwrap();
        raw[7] ^= 1;
        let forged = URL_SAFE_NO_PAD.encode(&raw);
        assert_eq!(nonces.check(Some(&forged), 1_000_000), NonceCheck::Invalid);
    }

    #[test]
    fn keys_must_be_long_enough() {
        assert_eq!(DpopNonces::with_key(&[1; 31]).unwrap_err().setting(), "dpop.nonces.key");
        assert!(DpopNonces::from_base64url("not base64!").is_err());
        assert!(DpopNonces::random().is_ok());
    }
}
