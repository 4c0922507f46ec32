//! [`Scoped<M>`]: a scope requirement as an extractor, named by a type. `#[requires_scopes]`
//! generates the marker type and adds `_: Scoped<Marker>` as the handler's first parameter, so
//! the handler's return type and other parameters stay as written. The marker implements
//! auth-core's [`ScopeSet`], and the check is auth-core's
//! [`check_static_scopes`](auth_core::requirements::check_static_scopes).

use std::fmt;
use std::marker::PhantomData;

pub use auth_core::requirements::ScopeSet;

/// An extractor that admits the request only when the verified token has the scopes of `M`:
/// 403 `insufficient_scope` naming them otherwise (gRPC: `PERMISSION_DENIED`), 401 for an
/// anonymous request, 500 without an [`AuthLayer`](crate::AuthLayer) in front. The same answers
/// as [`RequireScopesLayer`](crate::RequireScopesLayer), rendered by the same layer's settings.
///
/// `#[requires_scopes]` writes the marker for you; write one by hand to share one requirement
/// between handlers:
///
/// ```
/// use tower_auth::{ScopeSet, Scoped};
///
/// struct Admin;
/// impl ScopeSet for Admin {
///     const SCOPES: &'static [&'static str] = &["admin"];
/// }
///
/// async fn purge(_: Scoped<Admin>) -> &'static str {
///     "purged"
/// }
/// # let _ = purge;
/// ```
pub struct Scoped<M>(PhantomData<fn() -> M>);

impl<M> fmt::Debug for Scoped<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Scoped").field(&std::any::type_name::<M>()).finish()
    }
}

impl<M> Clone for Scoped<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for Scoped<M> {}

#[cfg(feature = "axum")]
mod axum_impl {
    use auth_core::requirements::check_static_scopes;
    use axum_core::extract::FromRequestParts;
    use http::request::Parts;

    use super::{ScopeSet, Scoped};
    use crate::extract::{AuthRejection, lookup, rejection};

    impl<M: ScopeSet, S: Send + Sync> FromRequestParts<S> for Scoped<M> {
        type Rejection = AuthRejection;

        async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
            let (claims, context) = lookup(parts, "Scoped")?;
            match check_static_scopes(claims.as_ref(), M::SCOPES, M::ANY_OF) {
                Ok(()) => Ok(Scoped(std::marker::PhantomData)),
                Err(e) => Err(rejection(e, context)),
            }
        }
    }
}
