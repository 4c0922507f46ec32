//! The scopes this program's routes require, collected in one place so that descriptions of the
//! API (the RFC 9728 metadata's `scopes_supported`, an OpenAPI document) list what actually runs.
//!
//! Two feeds: `#[requires_scopes]` / `#[requires_any_scope]` register their lists at link time
//! (through [`inventory`]: a proc macro cannot reach a runtime object), and the adapters'
//! `RequireScopesLayer` constructors register theirs with [`register_scopes`] when they are
//! built. [`registered_scopes`] reads both. The registry is the process's: two APIs served by one
//! process share it (list their scopes on the metadata instead, and turn the registry off there).

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

/// One scope list stated by an attribute on a handler; the macros submit these. Not a public
/// API: reach it through `__private`.
#[doc(hidden)]
#[derive(Debug)]
pub struct ScopeRegistration {
    scopes: &'static [&'static str],
}

impl ScopeRegistration {
    /// A registration of `scopes`.
    pub const fn new(scopes: &'static [&'static str]) -> Self {
        ScopeRegistration { scopes }
    }
}

inventory::collect!(ScopeRegistration);

/// Scopes registered while the program runs (layers are built at startup).
static RUNTIME: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Records scopes a route requires (the adapters' `RequireScopesLayer` calls this when built).
/// Empty strings are ignored; registering a scope twice changes nothing.
///
/// ```
/// use auth_core::requirements::{register_scopes, registered_scopes};
///
/// register_scopes(["reports:export"]);
/// assert!(registered_scopes().iter().any(|s| s == "reports:export"));
/// ```
pub fn register_scopes<I, S>(scopes: I)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut runtime = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    for scope in scopes {
        let scope = scope.as_ref();
        if !scope.is_empty() && !runtime.contains(scope) {
            runtime.insert(scope.to_owned());
        }
    }
}

/// Every scope a route of this program requires: those of the scope attributes compiled into it
/// and those of the scope layers built so far, sorted, each once.
///
/// ```
/// let scopes = auth_core::requirements::registered_scopes();
/// assert!(scopes.windows(2).all(|w| w[0] < w[1]));
/// ```
pub fn registered_scopes() -> Vec<String> {
    let mut all: BTreeSet<String> = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner).clone();
    for registration in inventory::iter::<ScopeRegistration> {
        all.extend(registration.scopes.iter().filter(|s| !s.is_empty()).map(|s| (*s).to_owned()));
    }
    all.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    inventory::submit! { ScopeRegistration::new(&["registry:linked"]) }

    #[test]
    fn both_feeds_are_read_sorted_and_once() {
        register_scopes(["registry:b", "registry:a", "registry:a", ""]);
        let scopes = registered_scopes();
        for s in ["registry:a", "registry:b", "registry:linked"] {
            assert_eq!(scopes.iter().filter(|x| *x == s).count(), 1, "{s} in {scopes:?}");
        }
        assert!(!scopes.iter().any(String::is_empty));
        assert!(scopes.windows(2).all(|w| w[0] < w[1]));
    }
}
