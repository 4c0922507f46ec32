//! [`SteppedUp<M>`]: a step-up requirement (RFC 9470) as an extractor, named by a type.
//! `#[requires_step_up]` generates the marker type and adds `_: SteppedUp<Marker>` to the
//! handler's parameters, after any `Scoped<_>` one, so scopes are checked first. The marker
//! implements auth-core's [`StepUpSet`], and the check is auth-core's
//! [`check_static_step_up`](auth_core::requirements::check_static_step_up).

use std::fmt;
use std::marker::PhantomData;

pub use auth_core::requirements::StepUpSet;

/// An extractor that admits the request only when the verified token meets the step-up
/// requirement of `M`: 401 `insufficient_user_authentication` with `acr_values` and/or `max_age`
/// otherwise (gRPC: `UNAUTHENTICATED`), 401 for an anonymous request, 500 without an
/// [`AuthLayer`](crate::AuthLayer) in front. The answers of
/// [`RequireStepUpLayer`](crate::RequireStepUpLayer).
///
/// ```
/// use tower_auth::{StepUpSet, SteppedUp};
///
/// struct Payment;
/// impl StepUpSet for Payment {
///     const ACR: &'static [&'static str] = &["mfa"];
///     const MAX_AGE: Option<u64> = Some(300);
/// }
///
/// async fn pay(_: SteppedUp<Payment>) -> &'static str {
///     "paid"
/// }
/// # let _ = pay;
/// ```
pub struct SteppedUp<M>(PhantomData<fn() -> M>);

impl<M> fmt::Debug for SteppedUp<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SteppedUp").field(&std::any::type_name::<M>()).finish()
    }
}

impl<M> Clone for SteppedUp<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for SteppedUp<M> {}

#[cfg(feature = "axum")]
mod axum_impl {
    use auth_core::requirements::check_static_step_up;
    use axum_core::extract::FromRequestParts;
    use http::request::Parts;

    use super::{StepUpSet, SteppedUp};
    use crate::extract::{AuthRejection, lookup, rejection};

    impl<M: StepUpSet, S: Send + Sync> FromRequestParts<S> for SteppedUp<M> {
        type Rejection = AuthRejection;

        async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
            let (claims, context) = lookup(parts, "SteppedUp")?;
            match check_static_step_up::<M>(claims.as_ref(), context.authenticator.validator()) {
                Ok(()) => Ok(SteppedUp(std::marker::PhantomData)),
                Err(e) => Err(rejection(e, context)),
            }
        }
    }
}
