//! What `#[derive(Claims)]` generates calls into: required claims, scope fields, and the
//! rejections of [`Claims<T>`](struct@crate::Claims).

use std::sync::Arc;

use actix_web::{HttpMessage, HttpRequest};
use auth_core::{AuthError, TokenProblem};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::extract::{AuthRejection, lookup};

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
pub fn derived_claims<T: DeriveClaims>(req: &HttpRequest) -> Result<T, AuthRejection> {
    match lookup(&req.extensions(), "#[derive(Claims)]")? {
        (Some(claims), context) => from_claims(&claims).map_err(|e| AuthRejection::auth(e, context)),
        (None, context) => Err(AuthRejection::auth(AuthError::MissingToken, context)),
    }
}

fn from_claims<T: DeriveClaims>(claims: &auth_core::Claims) -> Result<T, AuthError> {
    for name in T::REQUIRED {
        if claims.get(name).is_none_or(Value::is_null) {
            tracing::debug!(claim = name, target_type = std::any::type_name::<T>(), "required claim missing");
            return Err(AuthError::InvalidToken(TokenProblem::MissingCustomClaim(Arc::from(*name))));
        }
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
    T::deserialize(payload).map_err(|e| {
        let target = std::any::type_name::<T>();
        tracing::warn!(target_type = target, "verified token claims do not fit the handler's claims type");
        // The serde message may quote claim values: keep it out of the default log level.
        tracing::debug!(target_type = target, error = %e, "claims deserialization error");
        AuthError::InvalidToken(TokenProblem::Rejected(
            "the token's claims are not what this resource expects",
        ))
    })
}

/// Scopes read from the named claims: a space-separated string or an array of strings.
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
