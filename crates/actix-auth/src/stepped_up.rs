//! [`SteppedUp<M>`]: a step-up requirement (RFC 9470) as an actix-web extractor, named by a type.
//! `#[requires_step_up]` generates the marker type and adds `_: SteppedUp<Marker>` to the
//! handler's parameters, after any `Scoped<_>` one, so scopes are checked first.

use std::fmt;
use std::future::{Ready, ready};
use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
pub use auth_core::requirements::StepUpSet;
use auth_core::requirements::check_static_step_up;

use crate::extract::{AuthRejection, lookup};

/// An extractor that admits the request only when the verified token meets the step-up
/// requirement of `M`: the answers of [`RequireStepUpLayer`](crate::RequireStepUpLayer) — 401
/// `insufficient_user_authentication` with `acr_values` and/or `max_age`, 401 for an anonymous
/// request, 500 without the [`AuthLayer`](crate::AuthLayer) middleware.
///
/// ```
/// use actix_auth::{StepUpSet, SteppedUp};
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
/// # let _ = actix_web::web::post().to(pay);
/// ```
pub struct SteppedUp<M>(PhantomData<fn() -> M>);

impl<M> fmt::Debug for SteppedUp<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SteppedUp").field(&std::any::type_name::<M>()).finish()
    }
}

impl<M: StepUpSet> FromRequest for SteppedUp<M> {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(lookup(&req.extensions(), "SteppedUp").and_then(|(claims, context)| {
            check_static_step_up::<M>(claims.as_ref(), context.validator())
                .map(|()| SteppedUp(PhantomData))
                .map_err(|e| AuthRejection::auth(e, context))
        }))
    }
}
