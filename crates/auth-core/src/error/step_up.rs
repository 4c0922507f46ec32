//! The parameters of an `insufficient_user_authentication` challenge (RFC 9470 §3): `acr_values`
//! when `acr` failed, `max_age` when `auth_time` failed, each only when it did.

use super::challenge::Challenge;
use crate::claims::StepUpFailure;

/// `challenge` with the step-up parameters of `failed`.
pub(super) fn with_step_up_params(mut challenge: Challenge, failed: &StepUpFailure) -> Challenge {
    if let Some(acr) = &failed.acr_values {
        challenge = challenge.with("acr_values", acr.to_string());
    }
    if let Some(max_age) = failed.max_age {
        challenge = challenge.with("max_age", max_age.to_string());
    }
    challenge
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::{AuthError, StepUp};

    #[test]
    fn the_challenge_names_what_failed() {
        let r = StepUp::acr(["mfa", "hwk"]).max_age(Duration::from_secs(300));
        let e = r.check_values(Some("pwd"), None, 1000, 0).unwrap_err();
        assert_eq!(e.reason(), "insufficient_user_authentication");
        let rej = e.rejection(Some("petstore"));
        assert_eq!(rej.status(), 401);
        assert_eq!(
            rej.challenges()[0].to_string(),
            "Bearer realm=\"petstore\", error=\"insufficient_user_authentication\", \
             error_description=\"a stronger or more recent user authentication is required\", \
             acr_values=\"mfa hwk\", max_age=\"300\""
        );
        let body: serde_json::Value = serde_json::from_str(rej.body()).unwrap();
        assert_eq!(body["error"], "insufficient_user_authentication");

        let only_acr = r.check_values(Some("pwd"), Some(1000), 1000, 0).unwrap_err().rejection(None);
        assert_eq!(only_acr.challenges()[0].param("acr_values"), Some("mfa hwk"));
        assert_eq!(only_acr.challenges()[0].param("max_age"), None);
        let only_age = r.check_values(Some("mfa"), Some(1), 1000, 0).unwrap_err().rejection(None);
        assert_eq!(only_age.challenges()[0].param("acr_values"), None);
        assert_eq!(only_age.challenges()[0].param("max_age"), Some("300"));
        assert!(matches!(
            r.check_values(None, None, 0, 0),
            Err(AuthError::InsufficientUserAuthentication(_))
        ));
    }
}
