//! Splitting a compact JWS once into its parts and decoding each exactly once.
//!
//! The header and the signature are decoded into a caller's stack buffer when they fit (they
//! almost always do); the payload into its own exact-size string, which the verified claims keep.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::TokenProblem;

/// Room for a header and a signature decoded on the stack: a header of a few hundred bytes and
/// an RSA-8192 signature (1,024 bytes). Larger parts are decoded on the heap.
pub(crate) const SCRATCH_BYTES: usize = 1536;

/// A compact JWS taken apart: the signing input, the decoded header, payload and signature.
#[derive(Debug)]
pub(crate) struct CompactJws<'t, 's> {
    /// `base64url(header) "." base64url(payload)`: what the signature covers.
    pub(crate) signing_input: &'t [u8],
    pub(crate) header: Cow<'s, [u8]>,
    /// The payload, decoded into a buffer of its own (the claims keep it).
    pub(crate) payload: Vec<u8>,
    pub(crate) signature: Cow<'s, [u8]>,
}

impl<'t, 's> CompactJws<'t, 's> {
    /// Splits and decodes `token`, using `scratch` for the header and signature. Anything that is
    /// not exactly three non-empty base64url parts (strict: no padding, no stray bits) is
    /// `Malformed`; so is a token over `max_len` bytes.
    pub(crate) fn parse(
        token: &'t str,
        max_len: usize,
        scratch: &'s mut [u8; SCRATCH_BYTES],
    ) -> Result<Self, TokenProblem> {
        if token.len() > max_len {
            return Err(TokenProblem::Malformed);
        }
        // The first and the last dot, searched a word at a time from either end (the payload
        // in between is the longest part). Any other dot is in the payload, whose decoding
        // refuses it, so a fourth part is refused too.
        let (Some(d1), Some(d2)) = (token.find('.'), token.rfind('.')) else {
            return Err(TokenProblem::Malformed);
        };
        let bytes = token.as_bytes();
        if d2 <= d1 + 1 || d1 == 0 || d2 + 1 == bytes.len() {
            return Err(TokenProblem::Malformed);
        }
        let signing_input = &bytes[..d2];
        let (h, p, s) = (&bytes[..d1], &bytes[d1 + 1..d2], &bytes[d2 + 1..]);
        let (header_buf, signature_buf) = scratch.split_at_mut(SCRATCH_BYTES - 1024);
        let header = decode_into(h, header_buf)?;
        let signature = decode_into(s, signature_buf)?;
        let mut payload = vec![0; decoded_len(p)?];
        let n = URL_SAFE_NO_PAD.decode_slice(p, &mut payload).map_err(|_| TokenProblem::Malformed)?;
        payload.truncate(n);
        Ok(CompactJws { signing_input, header, payload, signature })
    }
}

/// The decoded length of unpadded base64url text; `Malformed` for a length no encoding has.
fn decoded_len(part: &[u8]) -> Result<usize, TokenProblem> {
    match part.len() % 4 {
        1 => Err(TokenProblem::Malformed),
        r => Ok(part.len() / 4 * 3 + r.saturating_sub(1)),
    }
}

/// Decodes `part` into `buf` when it fits, else onto the heap.
fn decode_into<'s>(part: &[u8], buf: &'s mut [u8]) -> Result<Cow<'s, [u8]>, TokenProblem> {
    let len = decoded_len(part)?;
    let Some(out) = buf.get_mut(..len) else {
        return URL_SAFE_NO_PAD.decode(part).map(Cow::Owned).map_err(|_| TokenProblem::Malformed);
    };
    // An exact-size slice: the `base64` crate checks that the input fills it.
    let n = URL_SAFE_NO_PAD.decode_slice(part, out).map_err(|_| TokenProblem::Malformed)?;
    Ok(Cow::Borrowed(&out[..n]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_three_parts() {
        let mut scratch = [0; SCRATCH_BYTES];
        let jws = CompactJws::parse("eyJ9.eyJ9.AAAA", 100, &mut scratch).unwrap();
        assert_eq!(jws.signing_input, b"eyJ9.eyJ9");
        assert_eq!(jws.payload, br#"{"}"#);
        assert_eq!(*jws.signature, [0, 0, 0]);
    }

    #[test]
    fn refuses_other_shapes() {
        for t in
            ["", "a", "a.b", "a.b.c.d", "a.b.c.d.e", "..", "a..c", ".b.c", "a.b.", "eyJ9.eyJ9.AA==", "e!.e.e"]
        {
            assert!(CompactJws::parse(t, 100, &mut [0; SCRATCH_BYTES]).is_err(), "{t}");
        }
        assert!(CompactJws::parse("eyJ9.eyJ9.AAAA", 10, &mut [0; SCRATCH_BYTES]).is_err());
        // Stray bits, an impossible length.
        for t in ["eyJ9.eyJ9.AAB", "eyJ9.eyJ9A.AAAA"] {
            assert!(CompactJws::parse(t, 100, &mut [0; SCRATCH_BYTES]).is_err(), "{t}");
        }
    }

    #[test]
    fn large_parts_decode_on_the_heap() {
        let big = URL_SAFE_NO_PAD.encode([7u8; 2000]);
        let token = format!("eyJ9.eyJ9.{big}");
        let mut scratch = [0; SCRATCH_BYTES];
        let jws = CompactJws::parse(&token, 10_000, &mut scratch).unwrap();
        assert_eq!(*jws.signature, [7u8; 2000]);
    }
}
