//! The JOSE header: which algorithm, which key, which type, which critical extensions.
//!
//! Only `alg`, `kid`, `typ` and `crit` are read. `jku`, `x5u`, `x5c` and `jwk` are never used to
//! find a key: a token cannot bring its own trust.

use std::borrow::Cow;

use serde::Deserialize;

use crate::algorithm::Algorithm;
use crate::error::TokenProblem;

#[derive(Deserialize)]
struct RawHeader<'a> {
    #[serde(borrow)]
    alg: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    typ: Option<Cow<'a, str>>,
    // Present-but-null must stay distinguishable from absent: `"crit": null` is malformed.
    #[serde(default, deserialize_with = "present")]
    crit: Option<serde_json::Value>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

/// The parts of a JOSE header that matter for validation, borrowed from the decoded header
/// where no JSON escape had to be undone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JoseHeader<'h> {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<Cow<'h, str>>,
    pub(crate) typ: Option<Cow<'h, str>>,
}

impl<'h> JoseHeader<'h> {
    /// Parses the decoded header JSON. A header that is not a JSON object, repeats a member, lacks
    /// `alg`, names an unknown algorithm or `none`, or carries any `crit` entry is refused: this
    /// validator understands no JWS extension, so by RFC 7515 §4.1.11 it must reject them all.
    pub(crate) fn parse(bytes: &'h [u8]) -> Result<Self, TokenProblem> {
        // serde would also read a struct from a JSON array; a JOSE header is an object.
        if bytes.trim_ascii_start().first() != Some(&b'{') {
            return Err(TokenProblem::Malformed);
        }
        let raw: RawHeader<'h> = serde_json::from_slice(bytes).map_err(|_| TokenProblem::Malformed)?;
        match raw.crit {
            None => {}
            Some(serde_json::Value::Array(ref a)) if !a.is_empty() && a.iter().all(|v| v.is_string()) => {
                return Err(TokenProblem::UnsupportedCritical);
            }
            // Empty or ill-typed `crit` is malformed per RFC 7515 §4.1.11.
            Some(_) => return Err(TokenProblem::Malformed),
        }
        let alg = raw.alg.ok_or(TokenProblem::Malformed)?;
        let alg = Algorithm::from_header(&alg).ok_or(TokenProblem::AlgorithmNotAllowed)?;
        Ok(JoseHeader { alg, kid: raw.kid, typ: raw.typ })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_alg_kid_typ() {
        let h = JoseHeader::parse(br#"{"alg":"ES256","kid":"k1","typ":"at+jwt"}"#).unwrap();
        assert_eq!(h.alg, Algorithm::ES256);
        assert_eq!(h.kid.as_deref(), Some("k1"));
        assert_eq!(h.typ.as_deref(), Some("at+jwt"));
    }

    #[test]
    fn refuses_none_and_unknown() {
        for alg in ["none", "NONE", "None", "HS1", "", "RSA-OAEP"] {
            let json = format!(r#"{{"alg":"{alg}"}}"#);
            assert_eq!(JoseHeader::parse(json.as_bytes()), Err(TokenProblem::AlgorithmNotAllowed));
        }
    }

    #[test]
    fn refuses_crit_duplicates_and_non_objects() {
        assert_eq!(
            JoseHeader::parse(br#"{"alg":"RS256","crit":["b64"],"b64":false}"#),
            Err(TokenProblem::UnsupportedCritical)
        );
        assert_eq!(JoseHeader::parse(br#"{"alg":"RS256","crit":[]}"#), Err(TokenProblem::Malformed));
        assert_eq!(JoseHeader::parse(br#"{"alg":"RS256","crit":null}"#), Err(TokenProblem::Malformed));
        assert_eq!(JoseHeader::parse(br#"{"alg":"RS256","alg":"HS256"}"#), Err(TokenProblem::Malformed));
        assert_eq!(JoseHeader::parse(br#"["alg"]"#), Err(TokenProblem::Malformed));
        assert_eq!(JoseHeader::parse(br#"{"alg":5}"#), Err(TokenProblem::Malformed));
        assert_eq!(JoseHeader::parse(br#"{"kid":"x"}"#), Err(TokenProblem::Malformed));
    }
}
