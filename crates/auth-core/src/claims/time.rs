//! Lifetime checks: `exp`, `nbf`, `iat` and the maximum token age, with leeway.

use std::time::Duration;

use crate::claims::RegisteredClaims;
use crate::error::TokenProblem;

/// The time rules of a validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimeRules {
    pub(crate) leeway: Duration,
    pub(crate) require_exp: bool,
    pub(crate) max_age: Option<Duration>,
}

/// Checks the lifetime claims at `now` (seconds since the epoch). Saturating arithmetic: absurd
/// dates never overflow.
pub(crate) fn check_time(claims: &RegisteredClaims, now: i64, rules: &TimeRules) -> Result<(), TokenProblem> {
    let leeway = i64::try_from(rules.leeway.as_secs()).unwrap_or(i64::MAX);
    match claims.exp() {
        Some(exp) if now >= exp.saturating_add(leeway) => return Err(TokenProblem::Expired),
        None if rules.require_exp => return Err(TokenProblem::MissingClaim("exp")),
        _ => {}
    }
    if let Some(nbf) = claims.nbf()
        && now.saturating_add(leeway) < nbf
    {
        return Err(TokenProblem::NotYetValid);
    }
    if let Some(iat) = claims.iat()
        && iat > now.saturating_add(leeway)
    {
        return Err(TokenProblem::IssuedInFuture);
    }
    if let Some(max_age) = rules.max_age {
        let iat = claims.iat().ok_or(TokenProblem::MissingClaim("iat"))?;
        let max_age = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
        if now.saturating_sub(iat) > max_age.saturating_add(leeway) {
            return Err(TokenProblem::TooOld);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(leeway: u64) -> TimeRules {
        TimeRules { leeway: Duration::from_secs(leeway), require_exp: true, max_age: None }
    }

    fn claims(exp: Option<i64>, nbf: Option<i64>, iat: Option<i64>) -> RegisteredClaims {
        RegisteredClaims::with_times(exp, nbf, iat)
    }

    #[test]
    fn exp_with_leeway() {
        let c = claims(Some(1000), None, None);
        assert_eq!(check_time(&c, 999, &rules(0)), Ok(()));
        assert_eq!(check_time(&c, 1000, &rules(0)), Err(TokenProblem::Expired));
        assert_eq!(check_time(&c, 1059, &rules(60)), Ok(()));
        assert_eq!(check_time(&c, 1060, &rules(60)), Err(TokenProblem::Expired));
    }

    #[test]
    fn exp_required_by_default() {
        assert_eq!(
            check_time(&claims(None, None, None), 0, &rules(0)),
            Err(TokenProblem::MissingClaim("exp"))
        );
    }

    #[test]
    fn nbf_and_iat_in_future() {
        assert_eq!(
            check_time(&claims(Some(i64::MAX), Some(1061), None), 1000, &rules(60)),
            Err(TokenProblem::NotYetValid)
        );
        assert_eq!(check_time(&claims(Some(i64::MAX), Some(1060), None), 1000, &rules(60)), Ok(()));
        assert_eq!(
            check_time(&claims(Some(i64::MAX), None, Some(1061)), 1000, &rules(60)),
            Err(TokenProblem::IssuedInFuture)
        );
    }

    #[test]
    fn max_age() {
        let r = TimeRules { max_age: Some(Duration::from_secs(300)), ..rules(0) };
        assert_eq!(check_time(&claims(Some(i64::MAX), None, Some(1000)), 1300, &r), Ok(()));
        assert_eq!(
            check_time(&claims(Some(i64::MAX), None, Some(1000)), 1301, &r),
            Err(TokenProblem::TooOld)
        );
        assert_eq!(
            check_time(&claims(Some(i64::MAX), None, None), 1000, &r),
            Err(TokenProblem::MissingClaim("iat"))
        );
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        assert_eq!(
            check_time(&claims(Some(i64::MIN), None, None), i64::MAX, &rules(u64::MAX)),
            Err(TokenProblem::Expired)
        );
        assert_eq!(check_time(&claims(Some(i64::MAX), None, None), i64::MAX - 1, &rules(u64::MAX)), Ok(()));
        assert!(
            check_time(&claims(Some(i64::MAX), Some(i64::MAX), Some(i64::MIN)), i64::MIN, &rules(0)).is_err()
        );
    }
}
