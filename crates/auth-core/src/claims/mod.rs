//! The verified payload: registered claims (type-checked), scopes, and the raw JSON for the
//! caller's own types, all parsed once.

mod audience;
mod payload;
mod profile;
mod registered;
mod scope;
mod time;

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;

pub(crate) use audience::check_audience;
pub(crate) use payload::parse_payload;
pub use profile::Profile;
pub use registered::RegisteredClaims;
pub use scope::{ScopeRequirement, Scopes};
pub(crate) use time::{TimeRules, check_time};

use crate::algorithm::Algorithm;

/// The claims of a verified token. Cheap to clone (one `Arc`), `Send + Sync`, ready to be put
/// in request extensions.
///
/// ```
/// # fn demo(claims: auth_core::Claims) -> Result<(), serde_json::Error> {
/// #[derive(serde::Deserialize)]
/// struct Caller { sub: String, client_id: String }
///
/// let caller: Caller = claims.deserialize()?;
/// let can_write = claims.scopes().contains("pets:write");
/// # let _ = (caller.sub, caller.client_id, can_write); Ok(()) }
/// ```
#[derive(Clone)]
pub struct Claims(Arc<ClaimsInner>);

struct ClaimsInner {
    registered: RegisteredClaims,
    scopes: Scopes,
    payload: serde_json::Value,
    alg: Algorithm,
    kid: Option<String>,
}

impl Claims {
    pub(crate) fn new(
        registered: RegisteredClaims,
        scopes: Scopes,
        payload: serde_json::Value,
        alg: Algorithm,
        kid: Option<String>,
    ) -> Self {
        Claims(Arc::new(ClaimsInner { registered, scopes, payload, alg, kid }))
    }

    /// The registered claims (`iss`, `sub`, `aud`, `exp`, …), already type-checked.
    pub fn registered(&self) -> &RegisteredClaims {
        &self.0.registered
    }

    /// The token's scopes, from the configured scope claims.
    pub fn scopes(&self) -> &Scopes {
        &self.0.scopes
    }

    /// One claim as JSON.
    pub fn get(&self, name: &str) -> Option<&serde_json::Value> {
        self.0.payload.get(name)
    }

    /// The whole payload as a JSON object.
    pub fn payload(&self) -> &serde_json::Value {
        &self.0.payload
    }

    /// The payload as the caller's own type, read from the already-parsed JSON (no re-parse).
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.0.payload)
    }

    /// The algorithm the token was verified with.
    pub fn algorithm(&self) -> Algorithm {
        self.0.alg
    }

    /// The `kid` of the key that verified the token, if it had one.
    pub fn key_id(&self) -> Option<&str> {
        self.0.kid.as_deref()
    }
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The payload may hold personal data: show only what identifies the token's shape.
        f.debug_struct("Claims")
            .field("iss", &self.0.registered.iss)
            .field("sub", &self.0.registered.sub)
            .field("scopes", &self.0.scopes)
            .field("alg", &self.0.alg)
            .finish_non_exhaustive()
    }
}
