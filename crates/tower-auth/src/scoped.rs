//! [`Scoped<M>`]: a scope requirement as an extractor, named by a type. `#[requires_scopes]`
//! generates the marker type and adds `_: Scoped<Marker>` as the handler's first parameter, so
//! the handler's return type and other parameters stay as written.

use std::fmt;
use std::marker::PhantomData;

use auth_core::ScopeRequirement;

/// A scope requirement known at compile time, implemented by a zero-sized marker type.
///
/// `#[requires_scopes]` implements it for you; implement it by hand to share one requirement
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
pub trait ScopeSet: Send + Sync + 'static {
    /// The scopes.
    const SCOPES: &'static [&'static str];
    /// Whether one of [`SCOPES`](ScopeSet::SCOPES) suffices (any-of) rather than all of them.
    const ANY_OF: bool = false;

    /// The requirement as a value (for logs and challenges).
    fn requirement() -> ScopeRequirement {
        if Self::ANY_OF {
            ScopeRequirement::any(Self::SCOPES.iter().copied())
        } else {
            ScopeRequirement::all(Self::SCOPES.iter().copied())
        }
    }
}

/// An extractor that admits the request only when the verified token has the scopes of `M`:
/// 403 `insufficient_scope` naming them otherwise (gRPC: `PERMISSION_DENIED`), 401 for an
/// anonymous request, 500 without an [`AuthLayer`](crate::AuthLayer) in front. The same answers
/// as [`RequireScopesLayer`](crate::RequireScopesLayer), rendered by the same layer's settings.
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

/// Checks `granted` (`None`: anonymous) against a static list without allocating; the
/// requirement is built only for the rejection.
#[cfg(any(feature = "axum", feature = "tonic", test))]
pub(crate) fn check(
    granted: Option<&auth_core::Claims>,
    scopes: &'static [&'static str],
    any_of: bool,
) -> Result<(), auth_core::AuthError> {
    use auth_core::AuthError;

    let Some(claims) = granted else { return Err(AuthError::MissingToken) };
    let has = |s: &&str| claims.scopes().contains(s);
    let ok = if any_of { scopes.is_empty() || scopes.iter().any(has) } else { scopes.iter().all(has) };
    if ok {
        return Ok(());
    }
    let requirement = if any_of {
        ScopeRequirement::any(scopes.iter().copied())
    } else {
        ScopeRequirement::all(scopes.iter().copied())
    };
    Err(AuthError::InsufficientScope(requirement))
}

/// Compile-time check of a generated scope list (string literals and `#[derive(Scopes)]`
/// variants mixed, which the macro cannot compare itself): no empty scope, no space, no
/// duplicate. Evaluated in a `const`, so a mistake is a compile error, never a runtime panic.
#[doc(hidden)]
#[allow(clippy::panic)]
pub const fn validate_scopes(scopes: &[&str]) {
    if scopes.is_empty() {
        panic!("a scope requirement needs at least one scope");
    }
    let mut i = 0;
    while i < scopes.len() {
        let s = scopes[i].as_bytes();
        if s.is_empty() {
            panic!("a scope cannot be empty");
        }
        let mut k = 0;
        while k < s.len() {
            if s[k] == b' ' {
                panic!("a scope cannot contain a space: list each scope separately");
            }
            k += 1;
        }
        let mut j = 0;
        while j < i {
            if eq(scopes[j].as_bytes(), s) {
                panic!("duplicate scope in a scope requirement");
            }
            j += 1;
        }
        i += 1;
    }
}

const fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(feature = "axum")]
mod axum_impl {
    use axum_core::extract::FromRequestParts;
    use http::request::Parts;

    use super::{ScopeSet, Scoped, check};
    use crate::extract::{AuthRejection, lookup, rejection};

    impl<M: ScopeSet, S: Send + Sync> FromRequestParts<S> for Scoped<M> {
        type Rejection = AuthRejection;

        async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
            let (claims, context) = lookup(parts, "Scoped")?;
            match check(claims.as_ref(), M::SCOPES, M::ANY_OF) {
                Ok(()) => Ok(Scoped(std::marker::PhantomData)),
                Err(e) => Err(rejection(e, context)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use auth_core::AuthError;

    use super::*;

    #[test]
    fn static_lists_are_validated() {
        validate_scopes(&["a", "b:c"]);
        assert!(std::panic::catch_unwind(|| validate_scopes(&["a", "a"])).is_err());
        assert!(std::panic::catch_unwind(|| validate_scopes(&["a b"])).is_err());
        assert!(std::panic::catch_unwind(|| validate_scopes(&[""])).is_err());
        assert!(std::panic::catch_unwind(|| validate_scopes(&[])).is_err());
    }

    #[test]
    fn anonymous_is_missing_token() {
        assert_eq!(check(None, &["a"], false), Err(AuthError::MissingToken));
    }
}
