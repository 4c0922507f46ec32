//! [`Access`]: what a route enforces, and the OpenAPI security requirements that say it.
//!
//! OpenAPI reads a list of security requirement objects as OR, and the schemes (with their
//! scopes) inside one object as AND. So an all-of scope list is one object naming every scope, an
//! any-of list one object per scope; an optional route lists the empty object `{}` (anonymous)
//! first; a public route has no requirement at all.

use utoipa::openapi::security::SecurityRequirement;

use crate::{Authenticator, ScopeRequirement, StepUp};

/// Whether a route admits anonymous requests. Ordered: the stricter of two layers wins.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
enum Authentication {
    #[default]
    Public,
    Optional,
    Required,
}

/// What a route enforces: whether a token is needed, the scope requirements its token must
/// meet (every one of them: a route behind a scope layer whose handler has a scope attribute
/// enforces both), and the step-up requirements (RFC 9470) of the user's sign-in.
///
/// Build it from the value that enforces it: an `Authenticator` or an adapter's `AuthLayer`
/// (required or optional), a [`ScopeRequirement`] or an adapter's `RequireScopesLayer`, a
/// [`StepUp`] or an adapter's `RequireStepUpLayer`; combine with [`and`](Access::and).
///
/// ```
/// use auth_core::ScopeRequirement;
/// use auth_core::openapi::Access;
///
/// let write = ScopeRequirement::all(["pets:write"]);
/// let access = Access::optional().and(&write);
/// // A scope requirement refuses anonymous requests, even behind an optional layer.
/// assert!(!access.admits_anonymous());
/// assert_eq!(access.scopes(), [write]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    authentication: Authentication,
    scopes: Vec<ScopeRequirement>,
    step_up: Vec<StepUp>,
}

impl Access {
    /// No token needed, none looked at: the operation has no security requirement.
    pub fn public() -> Self {
        Access::default()
    }

    /// A token is looked at when sent (and refused when bad), anonymous requests pass:
    /// `[{}, {scheme: []}]`.
    pub fn optional() -> Self {
        Access { authentication: Authentication::Optional, ..Access::default() }
    }

    /// Any valid token: `{scheme: []}`.
    pub fn authenticated() -> Self {
        Access { authentication: Authentication::Required, ..Access::default() }
    }

    /// A valid token meeting `requirement`.
    pub fn scopes_of(requirement: ScopeRequirement) -> Self {
        Access { authentication: Authentication::Required, scopes: vec![requirement], step_up: Vec::new() }
    }

    /// A valid token from a sign-in meeting `requirement` (RFC 9470). OpenAPI has no word for it:
    /// the operation states it in its `x-step-up` extension.
    pub fn step_up(requirement: StepUp) -> Self {
        let step_up = if requirement.is_empty() { Vec::new() } else { vec![requirement] };
        Access { authentication: Authentication::Required, scopes: Vec::new(), step_up }
    }

    /// Both enforced: the stricter authentication, and every scope requirement of each.
    #[must_use]
    pub fn and(mut self, other: impl Into<Access>) -> Self {
        let other = other.into();
        self.authentication = self.authentication.max(other.authentication);
        for requirement in other.scopes {
            if !self.scopes.contains(&requirement) {
                self.scopes.push(requirement);
            }
        }
        for requirement in other.step_up {
            if !self.step_up.contains(&requirement) {
                self.step_up.push(requirement);
            }
        }
        self
    }

    /// Whether a request without a token gets through.
    pub fn admits_anonymous(&self) -> bool {
        self.authentication != Authentication::Required && self.scopes.is_empty() && self.step_up.is_empty()
    }

    /// Whether no token is ever looked at.
    pub fn is_public(&self) -> bool {
        self.authentication == Authentication::Public && self.admits_anonymous()
    }

    /// The scope requirements, each enforced.
    pub fn scopes(&self) -> &[ScopeRequirement] {
        &self.scopes
    }

    /// The step-up requirements, each enforced.
    pub fn step_ups(&self) -> &[StepUp] {
        &self.step_up
    }

    /// The `x-step-up` extension's value: one object per requirement, with `acr_values` (the
    /// accepted `acr`, any one) and `max_age` (seconds since the sign-in) when required. `None`
    /// without step-up.
    pub fn step_up_extension(&self) -> Option<serde_json::Value> {
        if self.step_up.is_empty() {
            return None;
        }
        let each = self.step_up.iter().map(|s| {
            let mut object = serde_json::Map::new();
            if let Some(acr) = s.acr_accepted() {
                object.insert("acr_values".into(), acr.into());
            }
            if let Some(max_age) = s.max_age_secs() {
                object.insert("max_age".into(), max_age.into());
            }
            serde_json::Value::Object(object)
        });
        Some(serde_json::Value::Array(each.collect()))
    }

    /// The OpenAPI security requirements, alternatives in order, for tokens of any of `schemes`
    /// (the names of security schemes): `None` for a public route.
    ///
    /// ```
    /// use auth_core::ScopeRequirement;
    /// use auth_core::openapi::Access;
    ///
    /// let json = |access: Access| {
    ///     serde_json::to_string(&access.security_requirements(&["openid"])).unwrap()
    /// };
    /// assert_eq!(json(Access::scopes_of(ScopeRequirement::all(["a", "b"]))), r#"[{"openid":["a","b"]}]"#);
    /// assert_eq!(json(Access::scopes_of(ScopeRequirement::any(["a", "b"]))), r#"[{"openid":["a"]},{"openid":["b"]}]"#);
    /// assert_eq!(json(Access::authenticated()), r#"[{"openid":[]}]"#);
    /// assert_eq!(json(Access::optional()), r#"[{},{"openid":[]}]"#);
    /// assert_eq!(json(Access::public()), "null");
    /// ```
    pub fn security_requirements(&self, schemes: &[&str]) -> Option<Vec<SecurityRequirement>> {
        if self.is_public() {
            return None;
        }
        let mut out = Vec::new();
        if self.admits_anonymous() {
            out.push(SecurityRequirement::default());
        }
        for alternative in self.alternatives() {
            for scheme in schemes {
                out.push(SecurityRequirement::new(*scheme, alternative.iter().copied()));
            }
        }
        Some(out)
    }

    /// The scope sets, any one of which admits a token: the product of every requirement's
    /// alternatives (all-of: one set; any-of: one set per scope; an empty any-of list admits
    /// every token, one empty set).
    fn alternatives(&self) -> Vec<Vec<&str>> {
        let mut sets: Vec<Vec<&str>> = vec![Vec::new()];
        for requirement in &self.scopes {
            let scopes = requirement.scopes().iter().map(String::as_str);
            let options: Vec<Vec<&str>> = if requirement.is_any_of() && !requirement.scopes().is_empty() {
                scopes.map(|s| vec![s]).collect()
            } else if requirement.is_any_of() {
                vec![Vec::new()]
            } else {
                vec![scopes.collect()]
            };
            let mut next = Vec::with_capacity(sets.len() * options.len());
            for set in &sets {
                for option in &options {
                    let mut joined = set.clone();
                    for scope in option {
                        if !joined.contains(scope) {
                            joined.push(scope);
                        }
                    }
                    if !next.contains(&joined) {
                        next.push(joined);
                    }
                }
            }
            sets = next;
        }
        sets
    }
}

impl From<ScopeRequirement> for Access {
    fn from(requirement: ScopeRequirement) -> Self {
        Access::scopes_of(requirement)
    }
}

impl From<&ScopeRequirement> for Access {
    fn from(requirement: &ScopeRequirement) -> Self {
        Access::scopes_of(requirement.clone())
    }
}

impl From<StepUp> for Access {
    fn from(requirement: StepUp) -> Self {
        Access::step_up(requirement)
    }
}

impl From<&StepUp> for Access {
    fn from(requirement: &StepUp) -> Self {
        Access::step_up(requirement.clone())
    }
}

impl From<&Authenticator> for Access {
    /// A token required, or optional when the authenticator is.
    fn from(authenticator: &Authenticator) -> Self {
        if authenticator.is_optional() { Access::optional() } else { Access::authenticated() }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn doc(access: &Access, schemes: &[&str]) -> Value {
        serde_json::to_value(access.security_requirements(schemes)).unwrap()
    }

    #[test]
    fn all_of_is_one_object_any_of_one_per_scope() {
        let all = Access::scopes_of(ScopeRequirement::all(["pets:write", "admin"]));
        assert_eq!(doc(&all, &["openid"]), json!([{"openid": ["pets:write", "admin"]}]));
        let any = Access::scopes_of(ScopeRequirement::any(["pets:read", "admin"]));
        assert_eq!(doc(&any, &["openid"]), json!([{"openid": ["pets:read"]}, {"openid": ["admin"]}]));
        // An empty any-of list admits every token.
        let empty = Access::scopes_of(ScopeRequirement::any(Vec::<String>::new()));
        assert_eq!(doc(&empty, &["openid"]), json!([{"openid": []}]));
    }

    #[test]
    fn optional_authenticated_and_public() {
        assert_eq!(doc(&Access::optional(), &["openid"]), json!([{}, {"openid": []}]));
        assert_eq!(doc(&Access::authenticated(), &["openid"]), json!([{"openid": []}]));
        assert_eq!(doc(&Access::public(), &["openid"]), Value::Null);
        assert!(Access::public().admits_anonymous() && Access::optional().admits_anonymous());
        assert!(!Access::authenticated().admits_anonymous());
    }

    #[test]
    fn requirements_enforced_together_multiply_out() {
        let access = Access::optional()
            .and(ScopeRequirement::all(["pets:write"]))
            .and(ScopeRequirement::any(["admin", "pets:write"]));
        // Scopes make the optional route's anonymous alternative go away.
        assert_eq!(
            doc(&access, &["openid"]),
            json!([{"openid": ["pets:write", "admin"]}, {"openid": ["pets:write"]}])
        );
        // The same requirement twice is stated once.
        let twice =
            Access::authenticated().and(ScopeRequirement::all(["a"])).and(ScopeRequirement::all(["a"]));
        assert_eq!(twice.scopes().len(), 1);
        assert_eq!(Access::optional().and(Access::authenticated()), Access::authenticated());
        assert_eq!(Access::public().and(Access::optional()), Access::optional());
    }

    #[test]
    fn step_up_needs_a_token_and_is_stated_apart() {
        let pay = StepUp::acr(["mfa", "hwk"]).max_age(std::time::Duration::from_secs(300));
        let access = Access::optional().and(&pay).and(ScopeRequirement::all(["pets:write"]));
        assert!(!access.admits_anonymous());
        assert_eq!(doc(&access, &["openid"]), json!([{"openid": ["pets:write"]}]));
        assert_eq!(access.step_up_extension(), Some(json!([{"acr_values": ["mfa", "hwk"], "max_age": 300}])));
        assert_eq!(
            doc(&Access::step_up(StepUp::recent(std::time::Duration::from_secs(9))), &["o"]),
            json!([{"o": []}])
        );
        // An empty requirement asks nothing of the sign-in.
        assert_eq!(Access::step_up(StepUp::default()).step_up_extension(), None);
        assert_eq!(Access::scopes_of(ScopeRequirement::all(["a"])).step_up_extension(), None);
    }

    #[test]
    fn each_scheme_is_an_alternative() {
        let any = Access::scopes_of(ScopeRequirement::any(["a", "b"]));
        assert_eq!(
            doc(&any, &["openid", "openid-2"]),
            json!([{"openid": ["a"]}, {"openid-2": ["a"]}, {"openid": ["b"]}, {"openid-2": ["b"]}])
        );
        assert_eq!(doc(&Access::optional(), &["x", "y"]), json!([{}, {"x": []}, {"y": []}]));
    }
}
