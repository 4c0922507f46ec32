//! [`Scoped<M>`]: a scope requirement as an actix-web extractor, named by a type. The
//! `#[requires_scopes]` attribute generates the marker type and adds `_: Scoped<Marker>` as the
//! handler's first parameter, so the handler's return type and other parameters stay as written.

use std::fmt;
use std::future::{Ready, ready};
use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use auth_core::{AuthError, ScopeRequirement};

use crate::extract::{AuthRejection, lookup};

/// A scope requirement known at compile time, implemented by a zero-sized marker type.
///
/// `#[requires_scopes]` implements it for you; implement it by hand to share one requirement:
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
pub trait ScopeSet: 'static {
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
/// the answers of [`RequireScopes`](crate::RequireScopes) — 403 `insufficient_scope` naming
/// them, 401 for an anonymous request, 500 without the [`Auth`](crate::Auth) middleware.
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
            check(claims.as_ref(), M::SCOPES, M::ANY_OF)
                .map(|()| Scoped(PhantomData))
                .map_err(|e| AuthRejection::auth(e, context))
        }))
    }
}

/// Checks `granted` (`None`: anonymous) against a static list; the requirement is built only for
/// the rejection.
fn check(
    granted: Option<&auth_core::Claims>,
    scopes: &'static [&'static str],
    any_of: bool,
) -> Result<(), AuthError> {
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

/// Compile-time check of a generated scope list (literals and `#[derive(Scopes)]` variants
/// mixed): no empty scope, no space, no duplicate. Evaluated in a `const`: a compile error.
#[doc(hidden)]
#[cfg(feature = "macros")]
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
            let t = scopes[j].as_bytes();
            let mut same = t.len() == s.len();
            let mut k = 0;
            while same && k < s.len() {
                same = t[k] == s[k];
                k += 1;
            }
            if same {
                panic!("duplicate scope in a scope requirement");
            }
            j += 1;
        }
        i += 1;
    }
}
