//! The JOSE header: which algorithm, which key, which type, which critical extensions.
//!
//! Only `alg`, `kid`, `typ` and `crit` are read. `jku`, `x5u`, `x5c` and `jwk` are never used to
//! find a key: a token cannot bring its own trust.

use std::borrow::Cow;

use crate::algorithm::Algorithm;
use crate::claims::{Field, Payload};
use crate::error::TokenProblem;

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
    ///
    /// One pass over the JSON, read as every top-level object is ([`Payload::parse_with`]:
    /// the same duplicate check): the four members are kept, any other is skipped.
    pub(crate) fn parse(bytes: &'h [u8]) -> Result<Self, TokenProblem> {
        let json = std::str::from_utf8(bytes).map_err(|_| TokenProblem::Malformed)?;
        let members = Payload::parse_with(json, |name| matches!(name, "alg" | "kid" | "typ" | "crit"))?;
        match members.get("crit") {
            None => {}
            Some(Field::Strings(names)) if !names.is_empty() => {
                return Err(TokenProblem::UnsupportedCritical);
            }
            // Empty, null or ill-typed `crit` is malformed per RFC 7515 §4.1.11.
            Some(_) => return Err(TokenProblem::Malformed),
        }
        let string = |name| match members.get(name) {
            None => Ok(None),
            Some(Field::Str(s)) => Ok(Some(s.clone())),
            Some(_) => Err(TokenProblem::Malformed),
        };
        let alg = string("alg")?.ok_or(TokenProblem::Malformed)?;
        let (kid, typ) = (string("kid")?, string("typ")?);
        let alg = Algorithm::from_header(&alg).ok_or(TokenProblem::AlgorithmNotAllowed)?;
        Ok(JoseHeader { alg, kid, typ })
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
        // Names compare unescaped; other members may not repeat either.
        assert_eq!(JoseHeader::parse(br#"{"alg":"RS256","al\u0067":"HS256"}"#), Err(TokenProblem::Malformed));
        assert_eq!(
            JoseHeader::parse(br#"{"alg":"RS256","x5t":"a","x5\u0074":"b"}"#),
            Err(TokenProblem::Malformed)
        );
        // Other members are skipped, but must be JSON; nothing may follow the object.
        assert!(JoseHeader::parse(br#"{"x5t":"a","jwk":{"k":[1,{}]},"alg":"RS256","cty":null}"#).is_ok());
        assert_eq!(JoseHeader::parse(br#"{"alg":"RS256","x":tru}"#), Err(TokenProblem::Malformed));
        assert_eq!(JoseHeader::parse(br#"{"alg":"RS256"}x"#), Err(TokenProblem::Malformed));
        assert_eq!(JoseHeader::parse(br#"["alg"]"#), Err(TokenProblem::Malformed));
        assert_eq!(JoseHeader::parse(br#"{"alg":5}"#), Err(TokenProblem::Malformed));
        assert_eq!(JoseHeader::parse(br#"{"kid":"x"}"#), Err(TokenProblem::Malformed));
    }
}
