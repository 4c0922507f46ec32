//! The revocation request check: a replica lookup, and the staleness policy.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{RevocationState, Revocations, StalePolicy};
use crate::checks::{CheckInput, Checked, Passed, RequestCheck};
use crate::error::{AuthError, TokenProblem};

/// Refuses revoked tokens; answers "cannot decide" while a shared replica is stale (unless the
/// operator chose to fail open).
pub(crate) struct RevocationCheck {
    pub(crate) revocations: Revocations,
    pub(crate) retry_after: Duration,
}

impl RevocationCheck {
    pub(crate) fn new(revocations: Revocations) -> Self {
        // A client retrying sooner than the replica can recover only adds load.
        let retry_after =
            (revocations.0.options.max_stale / 6).clamp(Duration::from_secs(1), Duration::from_secs(5));
        RevocationCheck { revocations, retry_after }
    }
}

impl RequestCheck for RevocationCheck {
    fn reads_request(&self) -> bool {
        false
    }

    fn check<'a>(&'a self, input: &'a CheckInput<'a>) -> Checked<'a> {
        let shared = &self.revocations.0;
        if shared.freshness.state() == RevocationState::Stale {
            match shared.options.stale {
                StalePolicy::FailClosed => {
                    shared.stale_refusals.fetch_add(1, Ordering::Relaxed);
                    return Checked::Ready(Err(AuthError::Unavailable { retry_after: self.retry_after }));
                }
                StalePolicy::FailOpen => {
                    shared.stale_passes.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!("revocation replica is stale: request let through (fail-open)");
                }
            }
        }
        let revoked = shared.replica.refuses(input.claims(), || self.revocations.now());
        Checked::Ready(if revoked { Err(TokenProblem::Revoked.into()) } else { Ok(Passed::default()) })
    }
}
