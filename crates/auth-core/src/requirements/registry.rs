//! The scopes this program's routes require, collected in one place so that descriptions of the
//! API (the RFC 9728 metadata's `scopes_supported`, an OpenAPI document) list what actually runs.
//!
//! Two feeds: `#[requires_scopes]` / `#[requires_any_scope]` register their lists at link time
//! (through [`inventory`]: a proc macro cannot reach a runtime object), and the adapters'
//! `RequireScopesLayer` constructors register theirs with [`register_scopes`] when they are
//! built. [`registered_scopes`] reads both. The registry is the process's: two APIs served by one
//! process share it (list their scopes on the metadata instead, and turn the registry off there).
//!
//! The attributes also record which handler they guard (its module path and fn name), so an
//! OpenAPI document can state each operation's requirement from the attribute that enforces it
//! ([`handler_requirements`]; the `openapi` module with the `utoipa` feature).

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

use crate::{ScopeRequirement, StepUp};

/// One scope list stated by an attribute on a handler; the macros submit these. Not a public
/// API: reach it through `__private`.
#[doc(hidden)]
#[derive(Debug)]
pub struct ScopeRegistration {
    scopes: &'static [&'static str],
    any_of: bool,
    /// `(module_path!(), fn name)` of the guarded handler.
    handler: Option<(&'static str, &'static str)>,
}

impl ScopeRegistration {
    /// A registration of `scopes` (all of them), for no particular handler.
    pub const fn new(scopes: &'static [&'static str]) -> Self {
        ScopeRegistration { scopes, any_of: false, handler: None }
    }

    /// The registration of the attribute on the handler `name` in `module` (`module_path!()`):
    /// `scopes`, all of them or (`any_of`) one of them.
    pub const fn handler(
        scopes: &'static [&'static str],
        any_of: bool,
        module: &'static str,
        name: &'static str,
    ) -> Self {
        ScopeRegistration { scopes, any_of, handler: Some((module, name)) }
    }

    fn requirement(&self) -> ScopeRequirement {
        let scopes = self.scopes.iter().copied();
        if self.any_of { ScopeRequirement::any(scopes) } else { ScopeRequirement::all(scopes) }
    }
}

inventory::collect!(ScopeRegistration);

/// The step-up requirement stated by `#[requires_step_up]` on a handler; the macro submits
/// these. Not a public API: reach it through `__private`.
#[doc(hidden)]
#[derive(Debug)]
pub struct StepUpRegistration {
    acr: &'static [&'static str],
    max_age: Option<u64>,
    /// `(module_path!(), fn name)` of the guarded handler.
    handler: (&'static str, &'static str),
}

impl StepUpRegistration {
    /// The registration of the attribute on the handler `name` in `module` (`module_path!()`).
    pub const fn handler(
        acr: &'static [&'static str],
        max_age: Option<u64>,
        module: &'static str,
        name: &'static str,
    ) -> Self {
        StepUpRegistration { acr, max_age, handler: (module, name) }
    }

    fn requirement(&self) -> StepUp {
        let r = StepUp::acr(self.acr.iter().copied());
        match self.max_age {
            Some(secs) => r.max_age(std::time::Duration::from_secs(secs)),
            None => r,
        }
    }
}

inventory::collect!(StepUpRegistration);

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

/// The scope requirements the attributes state on handlers named `name` in the module `module`
/// or its submodules (`"my_api"` covers `my_api::pets`, not `my_api_v2`; `""` covers every
/// module), each with the module path of its handler. A handler with two attributes has two
/// entries (both are enforced); handlers of the same name in different modules are told apart by
/// their module path.
///
/// ```
/// use auth_core::requirements::registry::handler_requirements;
///
/// // No attribute in this doctest guards a handler named `list_pets`.
/// assert!(handler_requirements("", "list_pets").is_empty());
/// ```
pub fn handler_requirements(module: &str, name: &str) -> Vec<(&'static str, ScopeRequirement)> {
    inventory::iter::<ScopeRegistration>
        .into_iter()
        .filter_map(|r| {
            let (m, n) = r.handler?;
            (n == name && within(m, module)).then(|| (m, r.requirement()))
        })
        .collect()
}

/// The step-up requirements `#[requires_step_up]` states on handlers named `name` in `module` or
/// its submodules, as [`handler_requirements`] finds scope requirements.
///
/// ```
/// use auth_core::requirements::registry::handler_step_ups;
///
/// assert!(handler_step_ups("", "pay_order").is_empty());
/// ```
pub fn handler_step_ups(module: &str, name: &str) -> Vec<(&'static str, StepUp)> {
    inventory::iter::<StepUpRegistration>
        .into_iter()
        .filter(|r| r.handler.1 == name && within(r.handler.0, module))
        .map(|r| (r.handler.0, r.requirement()))
        .collect()
}

/// Whether `module` is `prefix` or one of its submodules.
fn within(module: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || module.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

#[cfg(test)]
mod tests {
    use super::*;

    inventory::submit! { ScopeRegistration::new(&["registry:linked"]) }
    inventory::submit! { ScopeRegistration::handler(&["registry:h"], true, "app::pets", "registry_handler") }
    inventory::submit! { ScopeRegistration::handler(&["registry:v2"], false, "app_v2", "registry_handler") }

    inventory::submit! { StepUpRegistration::handler(&["mfa"], Some(60), "app::pay", "registry_pay") }

    #[test]
    fn step_ups_are_found_by_name_within_a_module() {
        let found = handler_step_ups("app", "registry_pay");
        let expected = StepUp::acr(["mfa"]).max_age(std::time::Duration::from_secs(60));
        assert_eq!(found, [("app::pay", expected)]);
        assert!(handler_step_ups("app_v2", "registry_pay").is_empty());
    }

    #[test]
    fn handlers_are_found_by_name_within_a_module() {
        let pets = handler_requirements("app", "registry_handler");
        assert_eq!(pets, [("app::pets", ScopeRequirement::any(["registry:h"]))]);
        assert_eq!(handler_requirements("app::pets", "registry_handler").len(), 1);
        assert!(handler_requirements("app::pet", "registry_handler").is_empty());
        assert!(handler_requirements("app", "other").is_empty());
        assert_eq!(handler_requirements("", "registry_handler").len(), 2);
        assert!(registered_scopes().iter().any(|s| s == "registry:v2"));
    }

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
