//! The little DER this crate needs: an RSA public key (PKCS#1 `RSAPublicKey`) read and written.
#![cfg_attr(not(feature = "aws-lc-rs"), allow(dead_code))] // encoding is only needed by the aws-lc-rs backend

/// Reads `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
pub(crate) fn parse_rsa_public_key(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (tag, body, rest) = read_tlv(der)?;
    if tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let (t1, n, body) = read_tlv(body)?;
    let (t2, e, body) = read_tlv(body)?;
    if t1 != 0x02 || t2 != 0x02 || !body.is_empty() {
        return None;
    }
    Some((strip_leading_zeros(n).to_vec(), strip_leading_zeros(e).to_vec()))
}

/// Writes the PKCS#1 `RSAPublicKey` for unsigned big-endian `n` and `e`.
pub(crate) fn encode_rsa_public_key(n: &[u8], e: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(n.len() + e.len() + 16);
    write_unsigned_integer(&mut body, n);
    write_unsigned_integer(&mut body, e);
    let mut out = Vec::with_capacity(body.len() + 6);
    out.push(0x30);
    write_len(&mut out, body.len());
    out.extend_from_slice(&body);
    out
}

pub(crate) fn strip_leading_zeros(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    &v[start..]
}

fn write_unsigned_integer(out: &mut Vec<u8>, v: &[u8]) {
    let v = strip_leading_zeros(v);
    let pad = v.first().is_none_or(|&b| b & 0x80 != 0);
    out.push(0x02);
    write_len(out, v.len() + usize::from(pad));
    if pad {
        out.push(0);
    }
    out.extend_from_slice(v);
}

fn write_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let bytes = strip_leading_zeros(&bytes);
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(bytes);
    }
}

fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | usize::from(b);
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let n: Vec<u8> = (0..256).map(|i| (i as u8) | 0x80).collect();
        let e = [1, 0, 1];
        let der = encode_rsa_public_key(&n, &e);
        assert_eq!(parse_rsa_public_key(&der), Some((n, e.to_vec())));
    }

    #[test]
    fn refuses_garbage() {
        for g in
            [&[][..], &[0x30], &[0x30, 0x85, 1, 1, 1, 1, 1], &[0x30, 0x02, 0x02, 0x00], &[0x02, 0x01, 0x01]]
        {
            assert_eq!(parse_rsa_public_key(g), None);
        }
    }
}
