//! The verified payload: registered claims (type-checked) and scopes, read in one pass over the
//! JSON text, which is kept for the caller's own types.

mod audience;
pub(crate) mod json;
mod payload;
mod profile;
mod registered;
mod scope;
mod step_up;
mod time;

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;

pub(crate) use audience::{Audiences, check_audience};
pub(crate) use payload::{Field, Payload, Wanted};
pub use profile::Profile;
pub use registered::RegisteredClaims;
pub(crate) use registered::RegisteredSpans;
pub use scope::{ScopeRequirement, Scopes};
pub(crate) use step_up::recent_enough;
pub use step_up::{AcrLevels, StepUp, StepUpFailure};
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
    /// The payload as a JSON tree, built on first use: validation itself needs none.
    tree: OnceLock<serde_json::Value>,
    alg: Option<Algorithm>,
    kid: Option<Arc<str>>,
    /// The token's deny-list identities, hashed on first use: once per verified token, since
    /// cache hits share these claims.
    revocation_keys: OnceLock<crate::checks::revocation::TokenKeys>,
}

impl Claims {
    /// `registered` holds the payload text that it and `scopes` were read from.
    pub(crate) fn verified(
        registered: RegisteredClaims,
        scopes: Scopes,
        alg: Option<Algorithm>,
        kid: Option<Arc<str>>,
    ) -> Self {
        Claims(Arc::new(ClaimsInner {
            registered,
            scopes,
            tree: OnceLock::new(),
            alg,
            kid,
            revocation_keys: OnceLock::new(),
        }))
    }

    /// The token's deny-list identities, hashed once.
    pub(crate) fn revocation_keys(&self) -> &crate::checks::revocation::TokenKeys {
        self.0.revocation_keys.get_or_init(|| crate::checks::revocation::TokenKeys::of(self))
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
        self.payload().get(name)
    }

    /// The whole payload as a JSON object, built from the payload text on first use.
    pub fn payload(&self) -> &serde_json::Value {
        self.0.tree.get_or_init(|| {
            // The text was read as a JSON object with the same parser and nesting limit when the
            // token was verified, so this cannot fail; an empty object is only a safe default.
            serde_json::from_str(self.0.registered.text())
                .unwrap_or_else(|_| serde_json::Value::Object(serde_json::Map::new()))
        })
    }

    /// The payload as the caller's own type, read straight from the payload text (no JSON tree
    /// is built).
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.registered.text())
    }

    /// The algorithm of the signature the token was verified by; `None` for a token that was
    /// not verified by a signature (an introspected opaque token).
    pub fn algorithm(&self) -> Option<Algorithm> {
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
            .field("iss", &self.0.registered.iss())
            .field("sub", &self.0.registered.sub())
            .field("scopes", &self.0.scopes)
            .field("alg", &self.0.alg)
            .finish_non_exhaustive()
    }
}
