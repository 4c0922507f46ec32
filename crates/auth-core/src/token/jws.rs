//! Splitting a compact JWS once into its parts and decoding each exactly once.
//!
//! The header and the signature are decoded into the caller's stack buffers when they fit (they
//! almost always do); the payload into its own exact-size string, which the verified claims keep.

use std::borrow::Cow;

use crate::error::TokenProblem;
use crate::token::base64url;

/// Room for a header decoded on the stack: a few hundred bytes. Larger ones go on the heap.
pub(crate) const HEADER_BYTES: usize = 512;
/// Room for a signature decoded on the stack: up to RSA-4096 (512 bytes). The buffer is kept
/// while the keys are awaited, so it is no larger than the common signatures need: an RSA-8192
/// signature is decoded on the heap.
pub(crate) const SIGNATURE_BYTES: usize = 512;

/// A compact JWS taken apart: the signing input, the header's text, the decoded payload and
/// signature.
#[derive(Debug)]
pub(crate) struct CompactJws<'t, 's> {
    /// `base64url(header) "." base64url(payload)`: what the signature covers.
    pub(crate) signing_input: &'t [u8],
    /// The header's base64url text, decoded on demand ([`decode_header`]): a header already known
    /// from a verified token is not decoded again.
    pub(crate) header_text: &'t [u8],
    /// The payload, decoded into a buffer of its own (the claims keep it).
    pub(crate) payload: Vec<u8>,
    pub(crate) signature: Cow<'s, [u8]>,
}

impl<'t, 's> CompactJws<'t, 's> {
    /// Splits `token` and decodes its payload, and its signature into `signature_buf` when it
    /// fits. Anything that is not exactly three non-empty parts is `Malformed`, and so is a
    /// payload or signature that is not strict base64url (no padding, no stray bits), or a token
    /// over `max_len` bytes; the header's text is checked when it is decoded.
    pub(crate) fn parse(
        token: &'t str,
        max_len: usize,
        signature_buf: &'s mut [u8; SIGNATURE_BYTES],
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
        let signature = decode_into(s, signature_buf)?;
        let payload = base64url::decode_to_vec(p).ok_or(TokenProblem::Malformed)?;
        Ok(CompactJws { signing_input, header_text: h, payload, signature })
    }
}

/// Decodes a header's base64url text into `buf` when it fits, else onto the heap; `Malformed`
/// when it is not strict base64url.
pub(crate) fn decode_header<'h>(
    text: &[u8],
    buf: &'h mut [u8; HEADER_BYTES],
) -> Result<Cow<'h, [u8]>, TokenProblem> {
    decode_into(text, buf)
}

/// The decoded length of unpadded base64url text; `Malformed` for a length no encoding has.
fn decoded_len(part: &[u8]) -> Result<usize, TokenProblem> {
    base64url::decoded_len(part.len()).ok_or(TokenProblem::Malformed)
}

/// Decodes `part` into `buf` when it fits, else onto the heap.
fn decode_into<'b>(part: &[u8], buf: &'b mut [u8]) -> Result<Cow<'b, [u8]>, TokenProblem> {
    let len = decoded_len(part)?;
    let Some(out) = buf.get_mut(..len) else {
        let mut out = vec![0; len];
        base64url::decode(part, &mut out).ok_or(TokenProblem::Malformed)?;
        return Ok(Cow::Owned(out));
    };
    base64url::decode(part, out).ok_or(TokenProblem::Malformed)?;
    Ok(Cow::Borrowed(out))
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    #[test]
    fn splits_three_parts() {
        let mut s = [0; SIGNATURE_BYTES];
        let jws = CompactJws::parse("eyJ9.eyJ9.AAAA", 100, &mut s).unwrap();
        assert_eq!(jws.signing_input, b"eyJ9.eyJ9");
        assert_eq!(jws.header_text, b"eyJ9");
        assert_eq!(jws.payload, br#"{"}"#);
        assert_eq!(*jws.signature, [0, 0, 0]);
    }

    fn parse(token: &str, max_len: usize) -> Result<(), TokenProblem> {
        let mut signature_buf = [0; SIGNATURE_BYTES];
        let jws = CompactJws::parse(token, max_len, &mut signature_buf)?;
        decode_header(jws.header_text, &mut [0; HEADER_BYTES]).map(|_| ())
    }

    #[test]
    fn refuses_other_shapes() {
        for t in
            ["", "a", "a.b", "a.b.c.d", "a.b.c.d.e", "..", "a..c", ".b.c", "a.b.", "eyJ9.eyJ9.AA==", "e!.e.e"]
        {
            assert!(parse(t, 100).is_err(), "{t}");
        }
        assert!(parse("eyJ9.eyJ9.AAAA", 10).is_err());
        // Stray bits, an impossible length.
        for t in ["eyJ9.eyJ9.AAB", "eyJ9.eyJ9A.AAAA"] {
            assert!(parse(t, 100).is_err(), "{t}");
        }
    }

    #[test]
    fn large_parts_decode_on_the_heap() {
        let big = URL_SAFE_NO_PAD.encode([7u8; 2000]);
        let token = format!("eyJ9.eyJ9.{big}");
        let mut s = [0; SIGNATURE_BYTES];
        let jws = CompactJws::parse(&token, 10_000, &mut s).unwrap();
        assert_eq!(*jws.signature, [7u8; 2000]);
        let header = format!("{}.eyJ9.AAAA", URL_SAFE_NO_PAD.encode([b' '; 600]));
        let mut s = [0; SIGNATURE_BYTES];
        let jws = CompactJws::parse(&header, 10_000, &mut s).unwrap();
        assert_eq!(*decode_header(jws.header_text, &mut [0; HEADER_BYTES]).unwrap(), [b' '; 600]);
    }
}
