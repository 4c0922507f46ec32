//! The `aud` check: accepted when any configured audience is in the token's `aud`.

use crate::claims::RegisteredClaims;
use crate::error::TokenProblem;

/// `expected` empty means the operator turned the audience check off explicitly.
pub(crate) fn check_audience(claims: &RegisteredClaims, expected: &[String]) -> Result<(), TokenProblem> {
    if expected.is_empty() {
        return Ok(());
    }
    let mut aud = claims.aud();
    if aud.len() == 0 {
        return Err(TokenProblem::MissingClaim("aud"));
    }
    if aud.any(|a| expected.iter().any(|e| e == a)) { Ok(()) } else { Err(TokenProblem::WrongAudience) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_configured_audience_matches_exactly() {
        let c = RegisteredClaims::from_payload(&serde_json::json!({"aud": ["x", "petstore"]})).unwrap();
        assert_eq!(check_audience(&c, &["petstore".into()]), Ok(()));
        assert_eq!(check_audience(&c, &["pet".into()]), Err(TokenProblem::WrongAudience));
        let none = RegisteredClaims::default();
        assert_eq!(check_audience(&none, &["petstore".into()]), Err(TokenProblem::MissingClaim("aud")));
    }
}
