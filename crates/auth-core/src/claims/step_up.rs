//! Step-up requirements (RFC 9470): which authentication context classes (`acr`) a route accepts
//! and how recent the user's authentication (`auth_time`) must be. Judged on verified claims at a
//! given time; the refusal names what failed, for the challenge's `acr_values` and `max_age`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{AuthError, ConfigError};

/// What a route requires of the user's authentication, beside scopes: an `acr` among accepted
/// values, and/or an `auth_time` no older than a maximum age.
///
/// Accepted values are a set (any one satisfies): [`StepUp::acr`]. Ordered levels, where a
/// stronger level satisfies a weaker requirement, reduce to the same set: [`AcrLevels::at_least`]
/// accepts the named level and every stronger one.
///
/// ```
/// use std::time::Duration;
/// use auth_core::StepUp;
///
/// let pay = StepUp::acr(["mfa", "hwk"]).max_age(Duration::from_secs(300));
/// assert_eq!(pay.acr_values(), Some("mfa hwk"));
/// assert_eq!(pay.max_age_secs(), Some(300));
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct StepUp {
    /// The accepted `acr` values, in order of preference; `None`: any `acr` (or none).
    acr: Option<Arc<[String]>>,
    /// `acr` space-separated, rendered once for the challenge.
    acr_param: Option<Arc<str>>,
    max_age: Option<u64>,
}

impl StepUp {
    /// Requires `acr` to be one of `values` (listed in order of preference; RFC 9470's
    /// `acr_values`). An empty list requires nothing of `acr`.
    pub fn acr<I: IntoIterator<Item = S>, S: Into<String>>(values: I) -> Self {
        StepUp::default().with_acr(values.into_iter().map(Into::into).collect())
    }

    /// Requires only a recent authentication: `auth_time` no older than `max_age`.
    pub fn recent(max_age: Duration) -> Self {
        StepUp::default().max_age(max_age)
    }

    /// Also requires `auth_time` no older than `max_age` (whole seconds; a token without
    /// `auth_time` fails: nothing proves a recent authentication).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age.as_secs());
        self
    }

    fn with_acr(mut self, values: Vec<String>) -> Self {
        let mut unique: Vec<String> = Vec::with_capacity(values.len());
        for v in values {
            if !v.is_empty() && !unique.contains(&v) {
                unique.push(v);
            }
        }
        if unique.is_empty() {
            self.acr = None;
            self.acr_param = None;
        } else {
            self.acr_param = Some(Arc::from(unique.join(" ")));
            self.acr = Some(unique.into());
        }
        self
    }

    /// The accepted `acr` values, when `acr` is required.
    pub fn acr_accepted(&self) -> Option<&[String]> {
        self.acr.as_deref()
    }

    /// The challenge's `acr_values`: the accepted values, space-separated.
    pub fn acr_values(&self) -> Option<&str> {
        self.acr_param.as_deref()
    }

    /// The maximum age of the authentication, in seconds.
    pub fn max_age_secs(&self) -> Option<u64> {
        self.max_age
    }

    /// Whether this requires nothing.
    pub fn is_empty(&self) -> bool {
        self.acr.is_none() && self.max_age.is_none()
    }

    /// Judges a token's `acr` and `auth_time` (`None` when absent or not of the right JSON type)
    /// at `now` (seconds since the epoch) with `leeway` seconds of clock skew:
    ///
    /// - `acr` must be one of the accepted values (exact, case-sensitive comparison);
    /// - `now - auth_time` may exceed the maximum age by at most `leeway` (the rule of the
    ///   token's own maximum age, `iat`), and `auth_time` may be at most `leeway` ahead of
    ///   `now`; a missing `auth_time` fails when a maximum age is required.
    ///
    /// Every failing part is named in the error, so the challenge carries `acr_values`,
    /// `max_age` or both.
    pub fn check_values(
        &self,
        acr: Option<&str>,
        auth_time: Option<i64>,
        now: i64,
        leeway: u64,
    ) -> Result<(), AuthError> {
        let acr_ok = match &self.acr {
            None => true,
            Some(accepted) => acr.is_some_and(|a| accepted.iter().any(|v| v == a)),
        };
        let age_ok = self.max_age.is_none_or(|max| recent_enough(max, auth_time, now, leeway));
        if acr_ok && age_ok {
            return Ok(());
        }
        Err(AuthError::InsufficientUserAuthentication(StepUpFailure {
            acr_values: if acr_ok { None } else { self.acr_param.clone() },
            max_age: if age_ok { None } else { self.max_age },
        }))
    }
}

/// Whether `auth_time` is at most `max` (+ `leeway`) seconds before `now` and at most `leeway`
/// after it. Saturating arithmetic: absurd dates never overflow.
pub(crate) fn recent_enough(max: u64, auth_time: Option<i64>, now: i64, leeway: u64) -> bool {
    let leeway = i64::try_from(leeway).unwrap_or(i64::MAX);
    let max = i64::try_from(max).unwrap_or(i64::MAX);
    auth_time.is_some_and(|t| {
        t <= now.saturating_add(leeway) && now.saturating_sub(t) <= max.saturating_add(leeway)
    })
}

impl fmt::Debug for StepUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StepUp").field("acr", &self.acr).field("max_age", &self.max_age).finish()
    }
}

impl fmt::Display for StepUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.acr_param, self.max_age) {
            (Some(acr), Some(age)) => write!(f, "acr in [{acr}], authenticated within {age}s"),
            (Some(acr), None) => write!(f, "acr in [{acr}]"),
            (None, Some(age)) => write!(f, "authenticated within {age}s"),
            (None, None) => f.write_str("nothing"),
        }
    }
}

/// `acr` values ordered from the weakest to the strongest: a requirement of one level is met by
/// that level and every stronger one.
///
/// ```
/// use auth_core::AcrLevels;
///
/// let levels = AcrLevels::new(["pwd", "mfa", "phr"])?;
/// let step_up = levels.at_least("mfa")?;
/// assert_eq!(step_up.acr_values(), Some("mfa phr"));
/// assert!(levels.at_least("otp").is_err());
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcrLevels(Arc<[String]>);

impl AcrLevels {
    /// The levels, weakest first; an empty list, an empty value or a repeated one is an error
    /// naming `acr_levels`.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(levels: I) -> Result<Self, ConfigError> {
        let levels: Vec<String> = levels.into_iter().map(Into::into).collect();
        if levels.is_empty() {
            return Err(ConfigError::new("acr_levels", "at least one level is needed"));
        }
        for (i, level) in levels.iter().enumerate() {
            if level.is_empty() || level.contains(' ') {
                return Err(ConfigError::new("acr_levels", "a level is a non-empty value without spaces"));
            }
            if levels[..i].contains(level) {
                return Err(ConfigError::new("acr_levels", format!("`{level}` is listed twice")));
            }
        }
        Ok(AcrLevels(levels.into()))
    }

    /// The levels, weakest first.
    pub fn levels(&self) -> &[String] {
        &self.0
    }

    /// Requires `minimum` or a stronger level; `minimum` not among the levels is an error naming
    /// `acr_levels`.
    pub fn at_least(&self, minimum: &str) -> Result<StepUp, ConfigError> {
        match self.0.iter().position(|l| l == minimum) {
            Some(i) => Ok(StepUp::acr(self.0.iter().skip(i).cloned())),
            None => Err(ConfigError::new("acr_levels", format!("`{minimum}` is not one of the levels"))),
        }
    }
}

/// What a token lacked of a [`StepUp`] requirement: the parameters of its
/// `insufficient_user_authentication` challenge (RFC 9470 §3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct StepUpFailure {
    /// The accepted `acr` values, space-separated, when `acr` was missing or not accepted.
    pub acr_values: Option<Arc<str>>,
    /// The maximum age in seconds, when `auth_time` was missing or too old.
    pub max_age: Option<u64>,
}

impl fmt::Display for StepUpFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.acr_values, self.max_age) {
            (Some(acr), Some(age)) => write!(f, "acr in [{acr}] and authentication within {age}s"),
            (Some(acr), None) => write!(f, "acr in [{acr}]"),
            (None, Some(age)) => write!(f, "authentication within {age}s"),
            (None, None) => f.write_str("a stronger authentication"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn fails(e: Result<(), AuthError>) -> (Option<String>, Option<u64>) {
        match e {
            Err(AuthError::InsufficientUserAuthentication(f)) => {
                (f.acr_values.map(|s| s.to_string()), f.max_age)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn acr_set() {
        let r = StepUp::acr(["mfa", "hwk"]);
        assert_eq!(r.check_values(Some("mfa"), None, NOW, 0), Ok(()));
        assert_eq!(r.check_values(Some("hwk"), None, NOW, 0), Ok(()));
        assert_eq!(fails(r.check_values(Some("pwd"), None, NOW, 0)), (Some("mfa hwk".into()), None));
        assert_eq!(fails(r.check_values(None, None, NOW, 0)), (Some("mfa hwk".into()), None));
        // Exact comparison: no case folding, no substrings.
        assert!(r.check_values(Some("MFA"), None, NOW, 0).is_err());
        assert!(r.check_values(Some("mf"), None, NOW, 0).is_err());
    }

    #[test]
    fn levels() {
        let levels = AcrLevels::new(["pwd", "mfa", "phr"]).unwrap();
        let r = levels.at_least("mfa").unwrap();
        assert!(r.check_values(Some("pwd"), None, NOW, 0).is_err());
        assert_eq!(r.check_values(Some("mfa"), None, NOW, 0), Ok(()));
        assert_eq!(r.check_values(Some("phr"), None, NOW, 0), Ok(()));
        assert!(AcrLevels::new(Vec::<String>::new()).is_err());
        assert_eq!(AcrLevels::new(["a", "a"]).unwrap_err().setting(), "acr_levels");
        assert!(AcrLevels::new(["a b"]).is_err());
        assert_eq!(levels.at_least("x").unwrap_err().setting(), "acr_levels");
    }

    #[test]
    fn max_age_boundaries_with_leeway() {
        let r = StepUp::recent(Duration::from_secs(300));
        assert_eq!(r.check_values(None, Some(NOW - 300), NOW, 0), Ok(()));
        assert_eq!(fails(r.check_values(None, Some(NOW - 301), NOW, 0)), (None, Some(300)));
        assert_eq!(r.check_values(None, Some(NOW - 360), NOW, 60), Ok(()));
        assert!(r.check_values(None, Some(NOW - 361), NOW, 60).is_err());
        // Missing auth_time fails closed.
        assert_eq!(fails(r.check_values(None, None, NOW, 60)), (None, Some(300)));
        // In the future beyond the leeway: not a trustworthy time.
        assert_eq!(r.check_values(None, Some(NOW + 60), NOW, 60), Ok(()));
        assert!(r.check_values(None, Some(NOW + 61), NOW, 60).is_err());
        // Absurd values never overflow.
        assert!(r.check_values(None, Some(i64::MIN), NOW, u64::MAX).is_ok());
        assert!(r.check_values(None, Some(i64::MIN), NOW, 0).is_err());
    }

    #[test]
    fn both_failing_names_both() {
        let r = StepUp::acr(["mfa"]).max_age(Duration::from_secs(300));
        assert_eq!(
            fails(r.check_values(Some("pwd"), Some(NOW - 1000), NOW, 0)),
            (Some("mfa".into()), Some(300))
        );
        assert_eq!(fails(r.check_values(Some("mfa"), None, NOW, 0)), (None, Some(300)));
        assert_eq!(r.check_values(Some("mfa"), Some(NOW), NOW, 0), Ok(()));
    }

    #[test]
    fn empty_requirement_admits_everything() {
        let r = StepUp::acr(Vec::<String>::new());
        assert!(r.is_empty());
        assert_eq!(r.check_values(None, None, NOW, 0), Ok(()));
    }
}
