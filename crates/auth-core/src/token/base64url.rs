//! Strict unpadded base64url decoding (RFC 7515 §2) for the three parts of a compact JWS.
//!
//! The `base64` crate's general-purpose engine spends about three times as many instructions per
//! byte on these short inputs; this decoder is one table look-up per character. It is exactly as
//! strict as `URL_SAFE_NO_PAD` with its default configuration: no padding, no characters outside
//! the URL-safe alphabet, no impossible lengths, no set bits after the last whole byte. The tests
//! check it against the `base64` crate.

/// Marks a byte outside the alphabet (any value of 64 or more would do).
const INVALID: u8 = 0xFF;

/// The value of each byte as a base64url digit, or [`INVALID`].
const DIGITS: [u8; 256] = {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The decoded length of unpadded base64url text; `None` for a length no encoding has.
pub(crate) fn decoded_len(len: usize) -> Option<usize> {
    match len % 4 {
        1 => None,
        r => Some(len / 4 * 3 + r.saturating_sub(1)),
    }
}

/// Decodes `text` into `out`, which must be exactly [`decoded_len`] bytes long. `None` for
/// anything that is not strict unpadded base64url, or a mismatched `out`.
pub(crate) fn decode(text: &[u8], out: &mut [u8]) -> Option<()> {
    if decoded_len(text.len())? != out.len() {
        return None;
    }
    // Every invalid digit is 0xFF, so one test at the end finds any of them.
    let mut invalid = 0;
    // Eight digits make six bytes: one 48-bit number per step.
    let eights = text.chunks_exact(8);
    let text = eights.remainder();
    let mut sixes = out.chunks_exact_mut(6);
    for (eight, six) in eights.zip(&mut sixes) {
        let n = eight.iter().fold(0u64, |n, b| {
            let d = DIGITS[usize::from(*b)];
            invalid |= d;
            n << 6 | u64::from(d)
        });
        six.copy_from_slice(&n.to_be_bytes()[2..]);
    }
    let out = sixes.into_remainder();
    // At most seven digits are left: four of them make three bytes, then two or three digits make
    // one or two bytes.
    let (quad, tail) = text.split_at(text.len() / 4 * 4);
    let (triple, rest) = out.split_at_mut(quad.len() / 4 * 3);
    let n = digits(quad, &mut invalid);
    triple.copy_from_slice(&n.to_be_bytes()[4 - triple.len()..]);
    let n = digits(tail, &mut invalid);
    let stray = match tail.len() {
        // Two digits, one byte: the last 4 bits must be zero.
        2 => {
            rest.copy_from_slice(&[(n >> 4) as u8]);
            n & 0xF
        }
        // Three digits, two bytes: the last 2 bits must be zero.
        3 => {
            rest.copy_from_slice(&(((n >> 2) as u16).to_be_bytes()));
            n & 0x3
        }
        _ => 0,
    };
    (invalid < 64 && stray == 0).then_some(())
}

/// Up to four digits as one number, noting any invalid one in `invalid`.
fn digits(text: &[u8], invalid: &mut u8) -> u32 {
    text.iter().fold(0, |n, b| {
        let d = DIGITS[usize::from(*b)];
        *invalid |= d;
        n << 6 | u32::from(d)
    })
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn ours(text: &[u8]) -> Option<Vec<u8>> {
        let mut out = vec![0; decoded_len(text.len())?];
        decode(text, &mut out).map(|()| out)
    }

    #[test]
    fn round_trips_every_length_and_byte() {
        let bytes: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for len in 0..bytes.len() {
            let text = URL_SAFE_NO_PAD.encode(&bytes[..len]);
            assert_eq!(ours(text.as_bytes()).as_deref(), Some(&bytes[..len]), "{text}");
        }
    }

    #[test]
    fn refuses_what_the_base64_crate_refuses() {
        // Every one- to four-character text over the alphabet and the usual intruders: the two
        // decoders must agree on every one of them.
        let chars = b"AQgw_-/+=. \x00\xff";
        let mut texts = vec![Vec::new()];
        let mut last = texts.clone();
        for _ in 0..4 {
            last =
                last.iter().flat_map(|t| chars.iter().map(move |c| [t.as_slice(), &[*c]].concat())).collect();
            texts.extend(last.iter().cloned());
        }
        // The prefixes put the intruders in each position of an eight-digit step and of the rest.
        for prefix in [&b""[..], b"eyJh", b"eyJhbGciOiJIUzI1NiJ9"] {
            for t in &texts {
                let text = [prefix, t].concat();
                assert_eq!(
                    ours(&text),
                    URL_SAFE_NO_PAD.decode(&text).ok(),
                    "{:?}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
    }

    #[test]
    fn refuses_a_mismatched_output() {
        assert_eq!(decode(b"AAAA", &mut [0; 2]), None);
        assert_eq!(decode(b"AAAA", &mut [0; 4]), None);
        assert_eq!(decode(b"", &mut []), Some(()));
    }
}
