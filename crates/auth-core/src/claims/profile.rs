//! Token profiles: which `typ` values are accepted and which claims are required.

use serde::Deserialize;

use crate::error::TokenProblem;

/// The token profile a validator enforces.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Profile {
    /// Any JWT access token: `typ` absent, `JWT`, `at+jwt` or `application/at+jwt`; only `exp`
    /// required.
    #[default]
    Generic,
    /// RFC 9068 JWT access tokens: `typ` must be `at+jwt` (or `application/at+jwt`), and
    /// `iss exp aud sub client_id iat jti` are required.
    Rfc9068,
}

impl Profile {
    /// The claims this profile requires.
    pub fn required_claims(self) -> &'static [&'static str] {
        match self {
            Profile::Generic => &["exp"],
            Profile::Rfc9068 => &["iss", "exp", "aud", "sub", "client_id", "iat", "jti"],
        }
    }

    /// Checks the `typ` header. Media types compare case-insensitively (RFC 7515 §4.1.9).
    pub(crate) fn check_typ(self, typ: Option<&str>) -> Result<(), TokenProblem> {
        let is = |v: &str| typ.is_some_and(|t| t.eq_ignore_ascii_case(v));
        let at_jwt = is("at+jwt") || is("application/at+jwt");
        let ok = match self {
            Profile::Generic => typ.is_none() || at_jwt || is("JWT") || is("application/jwt"),
            Profile::Rfc9068 => at_jwt,
        };
        if ok { Ok(()) } else { Err(TokenProblem::TypeNotAccepted) }
    }
}

impl std::str::FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "generic" => Ok(Profile::Generic),
            "rfc9068" => Ok(Profile::Rfc9068),
            other => Err(format!("unknown profile `{other}` (expected `generic` or `rfc9068`)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typ_rules() {
        for t in [None, Some("JWT"), Some("jwt"), Some("at+jwt"), Some("application/at+jwt")] {
            assert_eq!(Profile::Generic.check_typ(t), Ok(()), "{t:?}");
        }
        for t in [Some("dpop+jwt"), Some("secevent+jwt"), Some("")] {
            assert_eq!(Profile::Generic.check_typ(t), Err(TokenProblem::TypeNotAccepted), "{t:?}");
        }
        assert_eq!(Profile::Rfc9068.check_typ(Some("at+jwt")), Ok(()));
        for t in [None, Some("JWT")] {
            assert_eq!(Profile::Rfc9068.check_typ(t), Err(TokenProblem::TypeNotAccepted));
        }
    }
}
