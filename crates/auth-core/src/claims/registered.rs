//! The registered claims (RFC 7519 §4.1, RFC 9068 §2.2), read with strict types.

#[cfg(test)]
use crate::claims::payload::Wanted;
use crate::claims::payload::{Field, Payload};
use crate::error::TokenProblem;

/// The registered claims of a verified token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegisteredClaims {
    /// `iss`.
    pub iss: Option<String>,
    /// `sub`.
    pub sub: Option<String>,
    /// `aud`, normalised to a list (a single string becomes one element).
    pub aud: Vec<String>,
    /// `exp`, seconds since the epoch.
    pub exp: Option<i64>,
    /// `nbf`, seconds since the epoch.
    pub nbf: Option<i64>,
    /// `iat`, seconds since the epoch.
    pub iat: Option<i64>,
    /// `jti`.
    pub jti: Option<String>,
    /// `client_id` (RFC 9068, RFC 8693).
    pub client_id: Option<String>,
    /// `azp` (OpenID Connect).
    pub azp: Option<String>,
}

impl RegisteredClaims {
    /// Reads the registered claims out of the payload. A present claim of the wrong JSON type is
    /// an error (a string `exp`, an array `iss`, a number `aud`).
    pub(crate) fn read(payload: &Payload<'_>) -> Result<Self, TokenProblem> {
        let string = |name: &'static str| payload.string(name).map(|s| s.map(str::to_owned));
        let date = |name: &'static str| match payload.get(name) {
            None => Ok(None),
            Some(Field::Int(i)) => Ok(Some(*i)),
            // Past `i64::MAX`: clamped.
            Some(Field::UInt(u)) => Ok(Some(i64::try_from(*u).unwrap_or(i64::MAX))),
            Some(Field::Float(f)) => numeric_date(*f).map(Some).ok_or(TokenProblem::WrongClaimType(name)),
            Some(_) => Err(TokenProblem::WrongClaimType(name)),
        };
        let aud = match payload.get("aud") {
            None => Vec::new(),
            Some(Field::Str(s)) => vec![s.to_string()],
            Some(Field::Strings(items)) => items.iter().map(|s| s.to_string()).collect(),
            Some(_) => return Err(TokenProblem::WrongClaimType("aud")),
        };
        Ok(RegisteredClaims {
            iss: string("iss")?,
            sub: string("sub")?,
            aud,
            exp: date("exp")?,
            nbf: date("nbf")?,
            iat: date("iat")?,
            jti: string("jti")?,
            client_id: string("client_id")?,
            azp: string("azp")?,
        })
    }

    /// The same from a JSON value, for tests.
    #[cfg(test)]
    pub(crate) fn from_payload(payload: &serde_json::Value) -> Result<Self, TokenProblem> {
        let json = payload.to_string();
        RegisteredClaims::read(&Payload::parse(&json, Wanted { scope_claims: &[], required: &[] })?)
    }

    /// Whether the registered claim `name` is present.
    pub(crate) fn has(&self, name: &str) -> bool {
        match name {
            "iss" => self.iss.is_some(),
            "sub" => self.sub.is_some(),
            "aud" => !self.aud.is_empty(),
            "exp" => self.exp.is_some(),
            "nbf" => self.nbf.is_some(),
            "iat" => self.iat.is_some(),
            "jti" => self.jti.is_some(),
            "client_id" => self.client_id.is_some(),
            "azp" => self.azp.is_some(),
            _ => false,
        }
    }
}

/// A fractional NumericDate (RFC 7519 §2): floored, clamped to `i64`.
fn numeric_date(f: f64) -> Option<i64> {
    f.is_finite().then(|| f.floor().clamp(i64::MIN as f64, i64::MAX as f64) as i64)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn wrong_types_are_refused() {
        for (claim, value) in [
            ("exp", json!("1700000000")),
            ("iss", json!(["a"])),
            ("aud", json!(5)),
            ("aud", json!(["a", 1])),
            ("sub", json!(1)),
            ("nbf", json!(true)),
            ("iat", json!(null)),
        ] {
            let payload = json!({ claim: value });
            assert!(
                matches!(RegisteredClaims::from_payload(&payload), Err(TokenProblem::WrongClaimType(c)) if c == claim),
                "{payload}"
            );
        }
    }

    #[test]
    fn reads_fractional_dates_and_audience_forms() {
        let r = RegisteredClaims::from_payload(&json!({"exp": 10.9, "aud": "a"})).unwrap();
        assert_eq!(r.exp, Some(10));
        assert_eq!(r.aud, vec!["a"]);
        let r = RegisteredClaims::from_payload(&json!({"aud": ["a", "b"], "exp": 1e300})).unwrap();
        assert_eq!(r.aud, vec!["a", "b"]);
        assert_eq!(r.exp, Some(i64::MAX));
    }
}
