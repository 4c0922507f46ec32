//! What `#[derive(Claims)]` generates calls into: the rejections of
//! [`Claims<T>`](struct@crate::Claims) around auth-core's
//! `auth_core::__private::derive_claims` (required claims, scope fields, serde).

use actix_web::{HttpMessage, HttpRequest};
use auth_core::__private::{DeriveClaims, derive_claims};
use auth_core::AuthError;

use crate::extract::{AuthRejection, lookup};

/// `T` from the verified claims; 401 for anonymous requests.
#[doc(hidden)]
pub fn derived_claims<T: DeriveClaims>(req: &HttpRequest) -> Result<T, AuthRejection> {
    match lookup(&req.extensions(), "#[derive(Claims)]")? {
        (Some(claims), context) => derive_claims(&claims).map_err(|e| AuthRejection::auth(e, context)),
        (None, context) => Err(AuthRejection::auth(AuthError::MissingToken, context)),
    }
}
