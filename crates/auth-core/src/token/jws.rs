//! Splitting a compact JWS once into its parts and decoding each exactly once.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::TokenProblem;

/// A compact JWS taken apart: the signing input, the decoded header and payload bytes and the
/// decoded signature.
#[derive(Debug)]
pub(crate) struct CompactJws<'t> {
    /// `base64url(header) "." base64url(payload)`: what the signature covers.
    pub(crate) signing_input: &'t [u8],
    pub(crate) header: Vec<u8>,
    pub(crate) payload: Vec<u8>,
    pub(crate) signature: Vec<u8>,
}

impl<'t> CompactJws<'t> {
    /// Splits and decodes `token`. Anything that is not exactly three non-empty base64url parts
    /// (strict: no padding, no stray bits) is `Malformed`; so is a token over `max_len` bytes.
    pub(crate) fn parse(token: &'t str, max_len: usize) -> Result<Self, TokenProblem> {
        if token.len() > max_len {
            return Err(TokenProblem::Malformed);
        }
        let bytes = token.as_bytes();
        let dot = |from: usize| bytes[from..].iter().position(|b| *b == b'.').map(|i| from + i);
        let (Some(d1), Some(d2)) = (dot(0), dot(0).and_then(|d| dot(d + 1))) else {
            return Err(TokenProblem::Malformed);
        };
        if dot(d2 + 1).is_some() {
            return Err(TokenProblem::Malformed);
        }
        let (h, p, s) = (&bytes[..d1], &bytes[d1 + 1..d2], &bytes[d2 + 1..]);
        if h.is_empty() || p.is_empty() || s.is_empty() {
            return Err(TokenProblem::Malformed);
        }
        let decode = |part: &[u8]| URL_SAFE_NO_PAD.decode(part).map_err(|_| TokenProblem::Malformed);
        Ok(CompactJws {
            signing_input: &bytes[..d2],
            header: decode(h)?,
            payload: decode(p)?,
            signature: decode(s)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_three_parts() {
        let jws = CompactJws::parse("eyJ9.eyJ9.AAAA", 100).unwrap();
        assert_eq!(jws.signing_input, b"eyJ9.eyJ9");
        assert_eq!(jws.signature, vec![0, 0, 0]);
    }

    #[test]
    fn refuses_other_shapes() {
        for t in
            ["", "a", "a.b", "a.b.c.d", "a.b.c.d.e", "..", "a..c", ".b.c", "a.b.", "eyJ9.eyJ9.AA==", "e!.e.e"]
        {
            assert!(CompactJws::parse(t, 100).is_err(), "{t}");
        }
        assert!(CompactJws::parse("eyJ9.eyJ9.AAAA", 10).is_err());
    }
}
