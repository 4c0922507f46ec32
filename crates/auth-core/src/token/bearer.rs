//! The `Authorization: Bearer` header (RFC 6750 §2.1).

use crate::error::{AuthError, RequestProblem};

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
    let value = trim_ows(value);
    let (scheme, rest) = match value.iter().position(|&b| b == b' ') {
        Some(i) => (&value[..i], &value[i..]),
        None => (value, &value[value.len()..]),
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        if scheme.is_empty() || !scheme.iter().all(|&b| is_tchar(b)) {
            return Err(RequestProblem::MalformedAuthorization.into());
        }
        return Err(AuthError::MissingToken);
    }
    let token = trim_ows(rest);
    if token.is_empty() {
        return Err(RequestProblem::EmptyCredentials.into());
    }
    if !is_b64token(token) {
        return Err(RequestProblem::MalformedAuthorization.into());
    }
    // b64token is ASCII by construction.
    std::str::from_utf8(token).map_err(|_| RequestProblem::MalformedAuthorization.into())
}

/// RFC 6750 §2.1: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
pub(crate) fn is_b64token(token: &[u8]) -> bool {
    let body_end = token.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    body_end > 0
        && token[..body_end]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
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
    fn padding_is_allowed_only_at_the_end() {
        assert_eq!(bearer_token(b"Bearer abc=="), Ok("abc=="));
        assert!(bearer_token(b"Bearer a=bc").is_err());
    }
}
