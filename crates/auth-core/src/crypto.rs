//! The few primitives besides signature checks: SHA-256 (DPoP `ath`, JWK thumbprints, replay
//! keys), HMAC-SHA-256 (stateless DPoP nonces) and random bytes, from whichever backend is built.

/// SHA-256 of `parts`, concatenated.
pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    imp::sha256(parts)
}

/// HMAC-SHA-256 of `message` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    imp::hmac_sha256(key, message)
}

/// Fills `out` with random bytes from the operating system. False when none could be had.
pub(crate) fn random(out: &mut [u8]) -> bool {
    imp::random(out)
}

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(feature = "aws-lc-rs")]
mod imp {
    use aws_lc_rs::rand::SecureRandom;
    use aws_lc_rs::{digest, hmac, rand};

    pub(super) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
        let mut ctx = digest::Context::new(&digest::SHA256);
        for part in parts {
            ctx.update(part);
        }
        let mut out = [0; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        out
    }

    pub(super) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
        let key = hmac::Key::new(hmac::HMAC_SHA256, key);
        let mut out = [0; 32];
        out.copy_from_slice(hmac::sign(&key, message).as_ref());
        out
    }

    pub(super) fn random(out: &mut [u8]) -> bool {
        rand::SystemRandom::new().fill(out).is_ok()
    }
}

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
mod imp {
    use hmac::{KeyInit, Mac};
    use sha2::{Digest, Sha256};

    pub(super) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part);
        }
        hasher.finalize().into()
    }

    pub(super) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
        // HMAC takes keys of any length.
        let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(key) else { return [0; 32] };
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    pub(super) fn random(out: &mut [u8]) -> bool {
        getrandom::fill(out).is_ok()
    }
}

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
mod imp {
    // No backend: no validator can be built (see `ensure_crypto_backend`), so none of these is
    // ever reached with a request; they answer nothing usable.
    pub(super) fn sha256(_: &[&[u8]]) -> [u8; 32] {
        [0; 32]
    }

    pub(super) fn hmac_sha256(_: &[u8], _: &[u8]) -> [u8; 32] {
        [0; 32]
    }

    pub(super) fn random(_: &mut [u8]) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // FIPS 180-2 "abc", and RFC 4231 test case 2.
        let abc = sha256(&[b"a", b"bc"]);
        assert_eq!(abc[..4], [0xba, 0x78, 0x16, 0xbf]);
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(mac[..4], [0x5b, 0xdc, 0xc1, 0x46]);
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        assert!(random(&mut a) && random(&mut b));
        assert_ne!(a, b);
        assert!(constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
