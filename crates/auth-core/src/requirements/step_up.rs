//! Step-up (RFC 9470) checked on verified claims: the token's `acr` and `auth_time` against a
//! [`StepUp`] requirement, with the validator's clock and leeway. The adapters check a route's
//! scopes first (a token lacking a scope is 403 whatever its `acr`), then this.
//!
//! Claims are claims: a JWT's payload and an introspection answer are read the same way. `acr` is
//! read as a string (anything else counts as absent), `auth_time` as a NumericDate (an integer, or
//! a number rounded down; anything else counts as absent, so a required maximum age fails closed).

use crate::claims::recent_enough;
use crate::{AuthError, Claims, StepUp, StepUpFailure, Validator};

/// Checks `requirement` against the verified claims (`None`: an anonymous request, which an
/// optional middleware let through) at `validator`'s clock, with its leeway:
/// [`AuthError::MissingToken`] for an anonymous request,
/// [`AuthError::InsufficientUserAuthentication`] naming what failed.
///
/// ```
/// # fn demo(claims: &auth_core::Claims, validator: &auth_core::Validator) {
/// use std::time::Duration;
/// use auth_core::StepUp;
/// use auth_core::requirements::check_step_up;
///
/// let pay = StepUp::acr(["mfa"]).max_age(Duration::from_secs(300));
/// if let Err(e) = check_step_up(Some(claims), &pay, validator) {
///     assert_eq!(e.reason(), "insufficient_user_authentication");
/// }
/// # }
/// ```
pub fn check_step_up(
    granted: Option<&Claims>,
    requirement: &StepUp,
    validator: &Validator,
) -> Result<(), AuthError> {
    let Some(claims) = granted else { return Err(AuthError::MissingToken) };
    let (now, leeway) = clock(validator);
    requirement.check_values(acr(claims), auth_time(claims), now, leeway)
}

/// A step-up requirement known at compile time, implemented by a zero-sized marker type. The
/// adapters' `SteppedUp<M>` extractors admit a request only when its token meets `M`;
/// `#[requires_step_up]` generates the marker and its implementation.
///
/// ```
/// use auth_core::StepUpSet;
///
/// struct Payment;
/// impl StepUpSet for Payment {
///     const ACR: &'static [&'static str] = &["mfa", "hwk"];
///     const MAX_AGE: Option<u64> = Some(300);
/// }
///
/// assert_eq!(Payment::requirement().acr_values(), Some("mfa hwk"));
/// ```
pub trait StepUpSet: Send + Sync + 'static {
    /// The accepted `acr` values, any one of them (empty: `acr` is not checked).
    const ACR: &'static [&'static str] = &[];
    /// The maximum age of the authentication in seconds (`None`: `auth_time` is not checked).
    const MAX_AGE: Option<u64> = None;

    /// The requirement as a value (for logs and challenges).
    fn requirement() -> StepUp {
        let r = StepUp::acr(Self::ACR.iter().copied());
        match Self::MAX_AGE {
            Some(secs) => r.max_age(std::time::Duration::from_secs(secs)),
            None => r,
        }
    }
}

/// [`check_step_up`] for a static requirement, without allocating when it passes.
pub fn check_static_step_up<M: StepUpSet>(
    granted: Option<&Claims>,
    validator: &Validator,
) -> Result<(), AuthError> {
    let Some(claims) = granted else { return Err(AuthError::MissingToken) };
    let (now, leeway) = clock(validator);
    let acr_ok = M::ACR.is_empty() || acr(claims).is_some_and(|a| M::ACR.contains(&a));
    let age_ok = M::MAX_AGE.is_none_or(|max| recent_enough(max, auth_time(claims), now, leeway));
    if acr_ok && age_ok {
        return Ok(());
    }
    let full = M::requirement();
    Err(AuthError::InsufficientUserAuthentication(StepUpFailure {
        acr_values: if acr_ok { None } else { full.acr_values().map(Into::into) },
        max_age: if age_ok { None } else { M::MAX_AGE },
    }))
}

/// Compile-time check of a generated step-up requirement: something required, no empty `acr`
/// value, no space in one, no duplicate. The macros evaluate it in a `const`.
///
/// ```
/// const _: () = auth_core::requirements::step_up::validate_step_up(&["mfa"], Some(300));
/// ```
///
/// ```compile_fail
/// const _: () = auth_core::requirements::step_up::validate_step_up(&[], None);
/// ```
#[allow(clippy::panic)]
pub const fn validate_step_up(acr: &[&str], max_age: Option<u64>) {
    if acr.is_empty() && max_age.is_none() {
        panic!("a step-up requirement needs `acr` values or a `max_age`");
    }
    let mut i = 0;
    while i < acr.len() {
        let s = acr[i].as_bytes();
        if s.is_empty() {
            panic!("an acr value cannot be empty");
        }
        let mut k = 0;
        while k < s.len() {
            if s[k] == b' ' {
                panic!("an acr value cannot contain a space: list each value separately");
            }
            k += 1;
        }
        let mut j = 0;
        while j < i {
            if super::bytes_eq(acr[j].as_bytes(), s) {
                panic!("duplicate acr value in a step-up requirement");
            }
            j += 1;
        }
        i += 1;
    }
}

fn clock(validator: &Validator) -> (i64, u64) {
    let jws = &validator.0.jws;
    (jws.clock.now_unix(), jws.time.leeway.as_secs())
}

fn acr(claims: &Claims) -> Option<&str> {
    claims.get("acr").and_then(serde_json::Value::as_str)
}

fn auth_time(claims: &Claims) -> Option<i64> {
    let value = claims.get("auth_time")?;
    value.as_i64().or_else(|| {
        // A NumericDate may carry a fraction (RFC 7519 §2); whole seconds suffice here.
        value.as_f64().filter(|f| f.is_finite()).map(|f| f.floor() as i64)
    })
}
