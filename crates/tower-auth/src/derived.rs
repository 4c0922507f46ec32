//! What `#[derive(Claims)]` generates calls into: the rejections of
//! [`Claims<T>`](struct@crate::Claims) around auth-core's
//! `auth_core::__private::derive_claims` (required claims, scope fields, serde).

use auth_core::__private::{DeriveClaims, derive_claims};
use http::request::Parts;

use crate::extract::{AuthRejection, anonymous, lookup, rejection};

/// `T` from the verified claims; 401 for anonymous requests.
#[doc(hidden)]
pub fn derived_claims<T: DeriveClaims>(parts: &Parts) -> Result<T, AuthRejection> {
    match lookup(parts, std::any::type_name::<T>())? {
        (Some(claims), context) => derive_claims(&claims).map_err(|e| rejection(e, context)),
        (None, context) => Err(anonymous(context)),
    }
}

/// `Option<T>`: `None` for anonymous requests, a rejection for claims that do not fit.
#[doc(hidden)]
pub fn derived_claims_optional<T: DeriveClaims>(parts: &Parts) -> Result<Option<T>, AuthRejection> {
    match lookup(parts, std::any::type_name::<T>())? {
        (Some(claims), context) => derive_claims(&claims).map(Some).map_err(|e| rejection(e, context)),
        (None, _) => Ok(None),
    }
}
