//! The introspection target: a provider's answer (RFC 7662 §2.2) through the reader a call
//! uses: the `active` member, then on an active answer the payload scanner and the claim rules.

use std::sync::Arc;

use super::{AUDIENCE, ISSUER, NOW, assert_acceptable, assert_no_echo};
use crate::claims::{Audiences, TimeRules};
use crate::error::AuthError;
use crate::verify::introspection::{ClaimRules, judge_answer};

/// Judges `data` as the body of an `application/json` answer, under the rules a validator for
/// [`ISSUER`] and [`AUDIENCE`] gives introspection (`scope` and `scp` read, `client_id`
/// required), at [`NOW`]. Returns whether the answer was accepted.
///
/// # Panics
///
/// When an accepted answer breaks a rule, or a rejection echoes the input.
pub fn introspection_answer(data: &[u8]) -> bool {
    let rules = ClaimRules {
        issuers: vec![ISSUER.to_owned()],
        audiences: Audiences { exact: vec![AUDIENCE.to_owned()], resource: None },
        time: TimeRules { leeway: crate::DEFAULT_LEEWAY, require_exp: false, max_age: None },
        scope_claims: vec!["scope".to_owned(), "scp".to_owned()],
        required_claims: vec![Arc::from("client_id")],
        allowed_clients: None,
    };
    match judge_answer(Some("application/json"), data, &rules, NOW) {
        Ok(Ok(claims)) => {
            assert_acceptable(&claims);
            assert!(claims.get("client_id").is_some_and(|c| !c.is_null()), "accepted without client_id");
            true
        }
        Ok(Err(problem)) => {
            assert_no_echo(&AuthError::InvalidToken(problem).rejection(None), data);
            false
        }
        // A provider fault: answered 503 with fixed text, the details only logged.
        Err(_) => false,
    }
}
