//! The registered claims (RFC 7519 §4.1, RFC 9068 §2.2), read with strict types.
//!
//! The string claims are not copied out of the payload: [`RegisteredClaims`] keeps the payload
//! text itself (the one copy [`crate::Claims`] serves from) and where each string lies in it. Only
//! a string written with a JSON escape (`\u0041`, `\/`) is kept apart, unescaped.

use std::fmt;

use crate::claims::payload::{Field, Payload};
use crate::error::TokenProblem;

/// Where a string claim's value is: in the payload text, or in the unescaped strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    Text(usize, usize),
    Unescaped(usize, usize),
}

/// The registered claims of a verified token, read from the payload text they keep.
///
/// ```
/// # fn demo(claims: auth_core::Claims) {
/// let r = claims.registered();
/// let caller = r.sub().unwrap_or("anonymous");
/// let for_us = r.aud().any(|a| a == "petstore");
/// let expires = r.exp();
/// # let _ = (caller, for_us, expires); }
/// ```
#[derive(Clone, Default)]
pub struct RegisteredClaims {
    /// The payload's JSON text: a verified JSON object without repeated members.
    text: Box<str>,
    /// Strings that held a JSON escape, unescaped, one after another (empty for most tokens).
    unescaped: String,
    strings: [Option<Span>; STRINGS],
    /// The first audience, then the others (most tokens name one: no allocation).
    aud: Option<Span>,
    more_aud: Vec<Span>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    /// Whether the payload has a `cnf` member (a key binding, RFC 7800).
    cnf: bool,
}

/// The string claims, in the order of `strings`.
const STRING_CLAIMS: [&str; STRINGS] = ["iss", "sub", "jti", "client_id", "azp"];
const STRINGS: usize = 5;
const ISS: usize = 0;
const SUB: usize = 1;
const JTI: usize = 2;
const CLIENT_ID: usize = 3;
const AZP: usize = 4;

/// The registered claims read from a payload, before they take its text.
#[derive(Debug)]
pub(crate) struct RegisteredSpans(RegisteredClaims);

impl RegisteredSpans {
    /// Reads the registered claims out of `payload`, which was parsed from `text`. A present claim
    /// of the wrong JSON type is an error (a string `exp`, an array `iss`, a number `aud`).
    pub(crate) fn read(payload: &Payload<'_>, text: &str) -> Result<Self, TokenProblem> {
        let mut r = RegisteredClaims::default();
        let date = |name: &'static str| match payload.get(name) {
            None => Ok(None),
            Some(Field::Int(i)) => Ok(Some(*i)),
            // Past `i64::MAX`: clamped.
            Some(Field::UInt(u)) => Ok(Some(i64::try_from(*u).unwrap_or(i64::MAX))),
            Some(Field::Float(f)) => numeric_date(*f).map(Some).ok_or(TokenProblem::WrongClaimType(name)),
            Some(_) => Err(TokenProblem::WrongClaimType(name)),
        };
        // `aud` first, then the others in order: a token with two wrong claims always names the
        // same one.
        match payload.get("aud") {
            None => {}
            Some(Field::Str(s)) => r.aud = Some(r.span(text, s)),
            Some(Field::Strings(items)) => {
                let mut items = items.iter();
                r.aud = items.next().map(|s| r.span(text, s));
                r.more_aud = items.map(|s| r.span(text, s)).collect();
            }
            Some(_) => return Err(TokenProblem::WrongClaimType("aud")),
        }
        r.strings[ISS] = payload.string("iss")?.map(|s| r.span(text, s));
        r.strings[SUB] = payload.string("sub")?.map(|s| r.span(text, s));
        r.exp = date("exp")?;
        r.nbf = date("nbf")?;
        r.iat = date("iat")?;
        for i in [JTI, CLIENT_ID, AZP] {
            r.strings[i] = payload.string(STRING_CLAIMS[i])?.map(|s| r.span(text, s));
        }
        r.cnf = payload.has_other("cnf");
        Ok(RegisteredSpans(r))
    }

    /// The claims, holding `text`: the text the spans were read from.
    pub(crate) fn with_text(self, text: Box<str>) -> RegisteredClaims {
        RegisteredClaims { text, ..self.0 }
    }
}

impl RegisteredClaims {
    /// Where `s` lies in `text`; a string that is not a slice of `text` (it held an escape) is
    /// copied to the unescaped strings.
    fn span(&mut self, text: &str, s: &str) -> Span {
        let start = s.as_ptr().addr().wrapping_sub(text.as_ptr().addr());
        if start <= text.len() && s.len() <= text.len() - start {
            return Span::Text(start, start + s.len());
        }
        let start = self.unescaped.len();
        self.unescaped.push_str(s);
        Span::Unescaped(start, self.unescaped.len())
    }

    fn resolve(&self, span: Span) -> &str {
        let found = match span {
            Span::Text(start, end) => self.text.get(start..end),
            Span::Unescaped(start, end) => self.unescaped.get(start..end),
        };
        found.unwrap_or_default()
    }

    fn string(&self, i: usize) -> Option<&str> {
        Some(self.resolve((*self.strings.get(i)?)?))
    }

    /// The payload's JSON text.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The same claims from a JSON value, for tests.
    #[cfg(test)]
    pub(crate) fn from_payload(payload: &serde_json::Value) -> Result<Self, TokenProblem> {
        use crate::claims::payload::Wanted;
        let json = payload.to_string();
        let spans = RegisteredSpans::read(
            &Payload::parse(&json, Wanted { scope_claims: &[], required: &[] })?,
            &json,
        )?;
        Ok(spans.with_text(json.into_boxed_str()))
    }

    /// Only time claims, for tests.
    #[cfg(test)]
    pub(crate) fn with_times(exp: Option<i64>, nbf: Option<i64>, iat: Option<i64>) -> Self {
        RegisteredClaims { exp, nbf, iat, ..Default::default() }
    }

    /// `iss`.
    pub fn iss(&self) -> Option<&str> {
        self.string(ISS)
    }

    /// `sub`.
    pub fn sub(&self) -> Option<&str> {
        self.string(SUB)
    }

    /// `aud`, normalised to a list (a single string is one audience), in the token's order.
    pub fn aud(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        AudIter { claims: self, first: self.aud.into_iter(), rest: self.more_aud.iter() }
    }

    /// `exp`, seconds since the epoch.
    pub fn exp(&self) -> Option<i64> {
        self.exp
    }

    /// `nbf`, seconds since the epoch.
    pub fn nbf(&self) -> Option<i64> {
        self.nbf
    }

    /// `iat`, seconds since the epoch.
    pub fn iat(&self) -> Option<i64> {
        self.iat
    }

    /// `jti`.
    pub fn jti(&self) -> Option<&str> {
        self.string(JTI)
    }

    /// `client_id` (RFC 9068, RFC 8693).
    pub fn client_id(&self) -> Option<&str> {
        self.string(CLIENT_ID)
    }

    /// `azp` (OpenID Connect).
    pub fn azp(&self) -> Option<&str> {
        self.string(AZP)
    }

    /// Whether the registered claim `name` is present.
    /// Whether the token has a `cnf` (confirmation) claim: a key binding such as DPoP's `jkt`.
    pub fn has_confirmation(&self) -> bool {
        self.cnf
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        match name {
            "aud" => self.aud.is_some(),
            "exp" => self.exp.is_some(),
            "nbf" => self.nbf.is_some(),
            "iat" => self.iat.is_some(),
            _ => STRING_CLAIMS.iter().position(|n| *n == name).is_some_and(|i| self.strings[i].is_some()),
        }
    }
}

/// The audiences, first then the others.
#[derive(Clone)]
struct AudIter<'a> {
    claims: &'a RegisteredClaims,
    first: std::option::IntoIter<Span>,
    rest: std::slice::Iter<'a, Span>,
}

impl<'a> Iterator for AudIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let span = self.first.next().or_else(|| self.rest.next().copied())?;
        Some(self.claims.resolve(span))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.first.len() + self.rest.len();
        (n, Some(n))
    }
}

impl ExactSizeIterator for AudIter<'_> {}

/// Equal when every registered claim is equal, wherever its text is kept.
impl PartialEq for RegisteredClaims {
    fn eq(&self, other: &Self) -> bool {
        (self.iss(), self.sub(), self.jti(), self.client_id(), self.azp())
            == (other.iss(), other.sub(), other.jti(), other.client_id(), other.azp())
            && (self.exp, self.nbf, self.iat) == (other.exp, other.nbf, other.iat)
            && self.aud().eq(other.aud())
    }
}

impl Eq for RegisteredClaims {}

/// The claims, not the payload text around them.
impl fmt::Debug for RegisteredClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisteredClaims")
            .field("iss", &self.iss())
            .field("sub", &self.sub())
            .field("aud", &self.aud().collect::<Vec<_>>())
            .field("exp", &self.exp)
            .field("nbf", &self.nbf)
            .field("iat", &self.iat)
            .field("jti", &self.jti())
            .field("client_id", &self.client_id())
            .field("azp", &self.azp())
            .finish()
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
        assert_eq!(r.exp(), Some(10));
        assert!(r.aud().eq(["a"]));
        let r = RegisteredClaims::from_payload(&json!({"aud": ["a", "b"], "exp": 1e300})).unwrap();
        assert!(r.aud().eq(["a", "b"]));
        assert_eq!(r.exp(), Some(i64::MAX));
    }

    #[test]
    fn strings_with_escapes_are_unescaped() {
        let json = r#"{"iss":"https:\/\/idp","sub":"plain","aud":["x","\u0070et"],"azp":"\"q\""}"#;
        let spans = RegisteredSpans::read(
            &Payload::parse(json, crate::claims::payload::Wanted { scope_claims: &[], required: &[] })
                .unwrap(),
            json,
        )
        .unwrap();
        let r = spans.with_text(json.into());
        assert_eq!(
            (r.iss(), r.sub(), r.azp(), r.jti()),
            (Some("https://idp"), Some("plain"), Some("\"q\""), None)
        );
        assert!(r.aud().eq(["x", "pet"]));
        assert!(r.has("azp") && r.has("aud") && !r.has("client_id") && !r.has("exp"));
        assert_eq!(r, RegisteredClaims::from_payload(&serde_json::from_str(json).unwrap()).unwrap());
    }
}
