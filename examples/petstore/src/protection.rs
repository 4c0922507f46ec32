//! What the HTTP and gRPC Petstores are built from: the authenticator, and what
//! `POST /store/orders/{id}/payment` (`PayOrder`) requires of the user's authentication.

use auth_core::{Authenticator, StepUp, Validator};

use crate::auth::Auth;
use crate::metrics::Metrics;
use crate::settings::default_step_up;

/// The Petstore's protection: every route's authenticator, and the step-up requirement of the
/// payment route (RFC 9470; the only route that asks for one).
///
/// From an [`Auth`] it takes the settings' requirement (`AUTH_STEP_UP_ACR`,
/// `AUTH_STEP_UP_MAX_AGE`); from a bare [`Validator`] or [`Authenticator`], the defaults (`acr`
/// `mfa`, authenticated within 300 s).
#[derive(Debug, Clone)]
pub struct Protection {
    /// Authenticates every request.
    pub authenticator: Authenticator,
    /// What the payment route requires beyond the scope `pets:write`.
    pub step_up: StepUp,
    /// What `GET /metrics` renders; `None` (the route answers 404) unless `PETSTORE_METRICS=1`.
    pub metrics: Option<Metrics>,
}

impl From<Authenticator> for Protection {
    fn from(authenticator: Authenticator) -> Self {
        Protection { authenticator, step_up: default_step_up(), metrics: None }
    }
}

impl From<Validator> for Protection {
    fn from(validator: Validator) -> Self {
        Protection::from(Authenticator::new(validator))
    }
}

impl From<&Auth> for Protection {
    fn from(auth: &Auth) -> Self {
        Protection {
            authenticator: auth.authenticator.clone(),
            step_up: auth.step_up.clone(),
            metrics: auth.metrics.clone(),
        }
    }
}
