//! [`Scoped<M>`]: a scope requirement as an actix-web extractor, named by a type. The
//! `#[requires_scopes]` attribute generates the marker type and adds `_: Scoped<Marker>` as the
//! handler's first parameter, so the handler's return type and other parameters stay as written.
//! The marker implements auth-core's [`ScopeSet`], and the check is auth-core's
//! [`check_static_scopes`].

use std::fmt;
use std::future::{Ready, ready};
use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
pub use auth_core::requirements::ScopeSet;
use auth_core::requirements::check_static_scopes;

use crate::extract::{AuthRejection, lookup};

/// An extractor that admits the request only when the verified token has the scopes of `M`:
/// the answers of [`RequireScopesLayer`](crate::RequireScopesLayer) — 403 `insufficient_scope` naming
/// them, 401 for an anonymous request, 500 without the [`AuthLayer`](crate::AuthLayer) middleware.
///
/// `#[requires_scopes]` writes the marker for you; write one by hand to share one requirement:
///
/// ```
/// use actix_auth::{ScopeSet, Scoped};
///
/// struct Admin;
/// impl ScopeSet for Admin {
///     const SCOPES: &'static [&'static str] = &["admin"];
/// }
///
/// async fn purge(_: Scoped<Admin>) -> &'static str {
///     "purged"
/// }
/// # let _ = actix_web::web::get().to(purge);
/// ```
pub struct Scoped<M>(PhantomData<fn() -> M>);

impl<M> fmt::Debug for Scoped<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Scoped").field(&std::any::type_name::<M>()).finish()
    }
}

impl<M: ScopeSet> FromRequest for Scoped<M> {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(lookup(&req.extensions(), "Scoped").and_then(|(claims, context)| {
            check_static_scopes(claims.as_ref(), M::SCOPES, M::ANY_OF)
                .map(|()| Scoped(PhantomData))
                .map_err(|e| AuthRejection::auth(e, context))
        }))
    }
}
