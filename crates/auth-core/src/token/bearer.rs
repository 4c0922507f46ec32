//! The `Authorization: Bearer` header (RFC 6750 §2.1).

use crate::error::{AuthError, RequestProblem, Scheme};

/// Takes the token out of one `Authorization` header value.
///
/// - `Bearer <token>` (scheme case-insensitive, one or more spaces) gives the token;
/// - another scheme (`Basic …`) gives [`AuthError::MissingToken`]: no bearer credentials were sent;
/// - `Bearer` with nothing after it gives `invalid_request` (empty credentials);
/// - anything that is not RFC 6750 `b64token` syntax gives `invalid_request`.
///
/// ```
/// use auth_core::{bearer_token, AuthError};
///
/// assert_eq!(bearer_token(b"bearer abc.def.ghi").unwrap(), "abc.def.ghi");
/// assert_eq!(bearer_token(b"Basic dXNlcjpwYXNz"), Err(AuthError::MissingToken));
/// assert!(bearer_token(b"Bearer ").is_err());
/// ```
pub fn bearer_token(value: &[u8]) -> Result<&str, AuthError> {
    checked_b64token(bearer_credentials(value)?)
}

/// The credentials of a `Bearer` header value, their syntax not yet checked: what
/// [`bearer_token`] checks with [`checked_b64token`].
pub(crate) fn bearer_credentials(value: &[u8]) -> Result<&[u8], AuthError> {
    match authorization_credentials(value, true, false)? {
        Some((Scheme::Bearer, token)) => Ok(token),
        _ => Err(AuthError::MissingToken),
    }
}

/// The scheme and credentials of an `Authorization` value whose scheme is `Bearer` or `DPoP`
/// (case-insensitive), their syntax not yet checked; `None` for another well-formed scheme, and
/// for `DPoP` unless `dpop` (a resource that does not take DPoP sees no credentials there).
pub(crate) fn authorization_credentials(
    value: &[u8],
    bearer: bool,
    dpop: bool,
) -> Result<Option<(Scheme, &[u8])>, AuthError> {
    let value = trim_ows(value);
    let (scheme, rest) = match value.iter().position(|&b| b == b' ') {
        Some(i) => (&value[..i], &value[i..]),
        None => (value, &value[value.len()..]),
    };
    let scheme = if bearer && scheme.eq_ignore_ascii_case(b"bearer") {
        Scheme::Bearer
    } else if dpop && scheme.eq_ignore_ascii_case(b"dpop") {
        Scheme::DPoP
    } else {
        if scheme.is_empty() || !scheme.iter().all(|&b| is_tchar(b)) {
            return Err(RequestProblem::MalformedAuthorization.into());
        }
        return Ok(None);
    };
    let token = trim_ows(rest);
    if token.is_empty() {
        return Err(RequestProblem::EmptyCredentials.into());
    }
    Ok(Some((scheme, token)))
}

/// The token when it is RFC 6750 `b64token` syntax, else `invalid_request`.
pub(crate) fn checked_b64token(token: &[u8]) -> Result<&str, AuthError> {
    if !is_b64token(token) {
        return Err(RequestProblem::MalformedAuthorization.into());
    }
    // b64token is ASCII by construction.
    std::str::from_utf8(token).map_err(|_| RequestProblem::MalformedAuthorization.into())
}

/// RFC 6750 §2.1: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
///
/// Runs on every request over the whole token (near a kilobyte for an RSA-signed JWT): each
/// byte's test is branch-free and a block of 32 bytes is judged at once, so the compiler checks
/// them with vector instructions instead of branching on each byte.
fn is_b64token(token: &[u8]) -> bool {
    let body_end = token.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    let body = &token[..body_end];
    let blocks = body.chunks_exact(32);
    let rest = blocks.remainder();
    let block_ok = |block: &[u8]| block.iter().fold(0u8, |bad, &b| bad | u8::from(!is_b64token_char(b))) == 0;
    !body.is_empty() && blocks.fold(true, |ok, block| ok & block_ok(block)) && block_ok(rest)
}

/// `ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/"`, as arithmetic rather than branches.
#[inline(always)]
fn is_b64token_char(b: u8) -> bool {
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    let digit = b.wrapping_sub(b'0') < 10;
    // `+`, `-`, `.` and `/` are 0x2B and 0x2D..=0x2F; `_` and `~` stand alone.
    let mark = (b.wrapping_sub(b'-') < 3) | (b == b'+') | (b == b'_') | (b == b'~');
    letter | digit | mark
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_any_scheme_casing_and_extra_spaces() {
        for v in ["Bearer a.b.c", "BEARER a.b.c", "bEaReR   a.b.c", " Bearer a.b.c "] {
            assert_eq!(bearer_token(v.as_bytes()), Ok("a.b.c"), "{v}");
        }
    }

    #[test]
    fn empty_credentials_are_invalid_request() {
        for v in ["Bearer", "Bearer ", "bearer    "] {
            assert_eq!(
                bearer_token(v.as_bytes()),
                Err(AuthError::InvalidRequest(RequestProblem::EmptyCredentials)),
                "{v}"
            );
        }
    }

    #[test]
    fn bad_syntax_is_invalid_request() {
        for v in ["Bearer a b", "Bearer a,b", "Bearer ===", "Bearer a\"b", "", "Bearer\ta.b"] {
            assert!(matches!(bearer_token(v.as_bytes()), Err(AuthError::InvalidRequest(_))), "{v:?}");
        }
        assert!(matches!(bearer_token(b"Bearer \xff"), Err(AuthError::InvalidRequest(_))));
    }

    #[test]
    fn other_schemes_are_no_credentials() {
        assert_eq!(bearer_token(b"Basic Zm9vOmJhcg=="), Err(AuthError::MissingToken));
        assert_eq!(bearer_token(b"DPoP abc"), Err(AuthError::MissingToken));
    }

    #[test]
    fn b64token_characters_are_exactly_the_rfc_set() {
        for b in 0..=255u8 {
            let expected = b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
            assert_eq!(is_b64token_char(b), expected, "{b:#04x}");
            // In any position of a token long enough to be checked many bytes at a time.
            let mut token = vec![b'a'; 100];
            token[b as usize % 100] = b;
            assert_eq!(is_b64token(&token), expected || b == b'=' && b as usize % 100 == 99, "{b:#04x}");
        }
    }

    #[test]
    fn dpop_is_a_scheme_of_its_own() {
        assert_eq!(
            authorization_credentials(b"DPoP a.b.c", true, true),
            Ok(Some((Scheme::DPoP, &b"a.b.c"[..])))
        );
        assert_eq!(authorization_credentials(b"dpop  x", true, true), Ok(Some((Scheme::DPoP, &b"x"[..]))));
        assert_eq!(authorization_credentials(b"Basic x", true, true), Ok(None));
        assert!(authorization_credentials(b"DPoP ", true, true).is_err());
        // Not accepted: no credentials, as any other scheme.
        assert_eq!(authorization_credentials(b"DPoP ", true, false), Ok(None));
        assert_eq!(authorization_credentials(b"DPoP a.b.c", true, false), Ok(None));
    }

    #[test]
    fn padding_is_allowed_only_at_the_end() {
        assert_eq!(bearer_token(b"Bearer abc=="), Ok("abc=="));
        assert!(bearer_token(b"Bearer a=bc").is_err());
    }
}
