//! The user's check of the claims alone: the synchronous form of a request check.

use std::sync::Arc;

use super::{CheckInput, Checked, Passed, RequestCheck};
use crate::claims::Claims;
use crate::error::TokenProblem;

/// The function of [`ValidatorBuilder::custom_check`](crate::ValidatorBuilder::custom_check).
pub(crate) type ClaimsFn = dyn Fn(&Claims) -> Result<(), &'static str> + Send + Sync;

/// A claims check as a request check: `Err` carries the fixed `error_description` of a 401.
pub(crate) struct ClaimsCheck(pub(crate) Arc<ClaimsFn>);

impl RequestCheck for ClaimsCheck {
    fn reads_request(&self) -> bool {
        false
    }

    fn check<'a>(&'a self, input: &'a CheckInput<'a>) -> Checked<'a> {
        Checked::Ready(
            (self.0)(input.claims())
                .map(|()| Passed::default())
                .map_err(|why| TokenProblem::Rejected(why).into()),
        )
    }
}
