//! What `#[derive(Claims)]` generates calls into: required claims, scope fields, and the same
//! rejections as [`Claims<T>`](struct@crate::Claims).

use std::sync::Arc;

use auth_core::{AuthError, TokenProblem};
use http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::extract::{AuthRejection, anonymous, lookup, rejection, unfit};

/// Implemented by `#[derive(Claims)]`: the claims a type requires and its scope fields.
#[doc(hidden)]
pub trait DeriveClaims: DeserializeOwned {
    /// Claims that must be present and not `null` (else 401 `invalid_token`).
    const REQUIRED: &'static [&'static str];
    /// (field name in the payload, claims its scopes come from; empty: the validator's).
    const SCOPE_FIELDS: &'static [(&'static str, &'static [&'static str])];
}

/// `T` from the verified claims; 401 for anonymous requests.
#[doc(hidden)]
pub fn derived_claims<T: DeriveClaims>(parts: &Parts) -> Result<T, AuthRejection> {
    match lookup(parts, std::any::type_name::<T>())? {
        (Some(claims), context) => from_claims(&claims).map_err(|e| rejection(e, context)),
        (None, context) => Err(anonymous(context)),
    }
}

/// `Option<T>`: `None` for anonymous requests, a rejection for claims that do not fit.
#[doc(hidden)]
pub fn derived_claims_optional<T: DeriveClaims>(parts: &Parts) -> Result<Option<T>, AuthRejection> {
    match lookup(parts, std::any::type_name::<T>())? {
        (Some(claims), context) => from_claims(&claims).map(Some).map_err(|e| rejection(e, context)),
        (None, _) => Ok(None),
    }
}

/// The framework-neutral part: required claims, then scope fields, then serde.
pub(crate) fn from_claims<T: DeriveClaims>(claims: &auth_core::Claims) -> Result<T, AuthError> {
    for name in T::REQUIRED {
        if claims.get(name).is_none_or(Value::is_null) {
            tracing::debug!(claim = name, target_type = std::any::type_name::<T>(), "required claim missing");
            return Err(AuthError::InvalidToken(TokenProblem::MissingCustomClaim(Arc::from(*name))));
        }
    }
    if T::SCOPE_FIELDS.is_empty() {
        return claims.deserialize().map_err(|e| unfit::<T>(&e));
    }
    let mut payload = claims.payload().clone();
    if let Value::Object(map) = &mut payload {
        for (field, sources) in T::SCOPE_FIELDS {
            let scopes = if sources.is_empty() {
                claims.scopes().iter().map(|s| Value::String(s.to_owned())).collect()
            } else {
                scopes_of(claims, sources)?
            };
            map.insert((*field).to_owned(), Value::Array(scopes));
        }
    }
    T::deserialize(payload).map_err(|e| unfit::<T>(&e))
}

/// Scopes read from the named claims with the validator's rules: a space-separated string or an
/// array of strings; anything else is a wrong claim type.
fn scopes_of(claims: &auth_core::Claims, sources: &[&str]) -> Result<Vec<Value>, AuthError> {
    let mut out: Vec<Value> = Vec::new();
    let mut push = |s: &str| {
        if !s.is_empty() && !out.iter().any(|v| v.as_str() == Some(s)) {
            out.push(Value::String(s.to_owned()));
        }
    };
    let wrong = || AuthError::InvalidToken(TokenProblem::WrongClaimType("scope"));
    for name in sources {
        match claims.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => s.split(' ').for_each(&mut push),
            Some(Value::Array(items)) => {
                for item in items {
                    push(item.as_str().ok_or_else(wrong)?);
                }
            }
            Some(_) => return Err(wrong()),
        }
    }
    Ok(out)
}
