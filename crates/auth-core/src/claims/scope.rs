//! Scopes: read from `scope` (space-separated) and `scp` (array or string), or from the claims
//! the operator names (`roles`, `permissions`); checked as whole tokens, never substrings.

use std::fmt;
use std::sync::Arc;

#[cfg(test)]
use crate::claims::payload::Wanted;
use crate::claims::payload::{Field, Payload};
use crate::error::{AuthError, TokenProblem};

/// The scopes a token grants, in the order first seen, without duplicates.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Scopes {
    /// The scopes one after another, in one allocation rather than one per scope.
    text: String,
    /// Where each scope ends in `text`.
    ends: Vec<usize>,
}

impl Scopes {
    /// Reads scopes from the named claims of the payload. A scope claim of the wrong type
    /// (a number, an array holding non-strings) is an error.
    pub(crate) fn read(payload: &Payload<'_>, claims: &[String]) -> Result<Self, TokenProblem> {
        let mut out = Scopes::default();
        for name in claims {
            match payload.get(name) {
                None => {}
                Some(Field::Str(s)) => {
                    out.text.reserve(s.len());
                    s.split(' ').for_each(|s| out.push(s));
                }
                Some(Field::Strings(items)) => items.iter().for_each(|s| out.push(s)),
                Some(_) => return Err(TokenProblem::WrongClaimType("scope")),
            }
        }
        Ok(out)
    }

    /// The same from a JSON value, for tests.
    #[cfg(test)]
    pub(crate) fn from_payload(payload: &serde_json::Value, claims: &[String]) -> Result<Self, TokenProblem> {
        let json = payload.to_string();
        Scopes::read(&Payload::parse(&json, Wanted { scope_claims: claims, required: &[] })?, claims)
    }

    fn push(&mut self, s: &str) {
        if !s.is_empty() && !self.contains(s) {
            self.text.push_str(s);
            self.ends.push(self.text.len());
        }
    }

    /// Whether the token grants exactly this scope.
    pub fn contains(&self, scope: &str) -> bool {
        self.iter().any(|s| s == scope)
    }

    /// The scopes.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(start, end)| self.text.get(start..*end).unwrap_or_default())
    }

    /// The number of scopes.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether no scope is granted.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<S: AsRef<str>> FromIterator<S> for Scopes {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut out = Scopes::default();
        iter.into_iter().for_each(|s| out.push(s.as_ref()));
        out
    }
}

/// What a route requires: all of some scopes, or any one of them.
///
/// ```
/// use auth_core::{ScopeRequirement, Scopes};
///
/// let granted: Scopes = ["pets:read", "pets:write"].into_iter().collect();
/// assert!(ScopeRequirement::all(["pets:read"]).check(&granted).is_ok());
/// assert!(ScopeRequirement::all(["pets:write", "admin"]).check(&granted).is_err());
/// assert!(ScopeRequirement::any(["admin", "pets:write"]).check(&granted).is_ok());
/// // Whole scope tokens only: "pets" is not "pets:read".
/// assert!(ScopeRequirement::all(["pets"]).check(&granted).is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ScopeRequirement {
    mode: Mode,
    scopes: Arc<[String]>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Mode {
    All,
    Any,
}

impl ScopeRequirement {
    /// Requires every one of `scopes`.
    pub fn all<I: IntoIterator<Item = S>, S: Into<String>>(scopes: I) -> Self {
        ScopeRequirement { mode: Mode::All, scopes: scopes.into_iter().map(Into::into).collect() }
    }

    /// Requires at least one of `scopes`.
    pub fn any<I: IntoIterator<Item = S>, S: Into<String>>(scopes: I) -> Self {
        ScopeRequirement { mode: Mode::Any, scopes: scopes.into_iter().map(Into::into).collect() }
    }

    /// The scopes named by this requirement.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Whether any one scope suffices (any-of) rather than all of them.
    pub fn is_any_of(&self) -> bool {
        self.mode == Mode::Any
    }

    /// Whether `granted` satisfies this requirement. An empty requirement is always satisfied.
    pub fn is_satisfied_by(&self, granted: &Scopes) -> bool {
        match self.mode {
            Mode::All => self.scopes.iter().all(|s| granted.contains(s)),
            Mode::Any => self.scopes.is_empty() || self.scopes.iter().any(|s| granted.contains(s)),
        }
    }

    /// `Ok` when satisfied, else the `insufficient_scope` error carrying this requirement.
    pub fn check(&self, granted: &Scopes) -> Result<(), AuthError> {
        if self.is_satisfied_by(granted) { Ok(()) } else { Err(AuthError::InsufficientScope(self.clone())) }
    }

    /// The value of the challenge's `scope` parameter: the scopes, space-separated.
    pub fn scope_param(&self) -> String {
        self.scopes.join(" ")
    }
}

impl fmt::Debug for ScopeRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}{:?}", self.mode, self.scopes)
    }
}

impl fmt::Display for ScopeRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sep = if self.mode == Mode::All { " and " } else { " or " };
        f.write_str(&self.scopes.join(sep))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_scope_and_scp() {
        let p = json!({"scope": "a  b", "scp": ["b", "c"]});
        let s = Scopes::from_payload(&p, &names(&["scope", "scp"])).unwrap();
        assert_eq!(s.iter().collect::<Vec<_>>(), ["a", "b", "c"]);
        let p = json!({"scp": "x y"});
        assert_eq!(Scopes::from_payload(&p, &names(&["scope", "scp"])).unwrap().len(), 2);
    }

    #[test]
    fn custom_claim_names() {
        let p = json!({"roles": ["admin"], "scope": "a"});
        let s = Scopes::from_payload(&p, &names(&["roles"])).unwrap();
        assert!(s.contains("admin") && !s.contains("a"));
    }

    #[test]
    fn wrong_types_refused() {
        assert!(Scopes::from_payload(&json!({"scope": 1}), &names(&["scope"])).is_err());
        assert!(Scopes::from_payload(&json!({"scp": [1]}), &names(&["scp"])).is_err());
    }

    #[test]
    fn no_substring_matches() {
        let s: Scopes = ["pets:read"].into_iter().collect();
        assert!(!ScopeRequirement::all(["pets:rea"]).is_satisfied_by(&s));
        assert!(!ScopeRequirement::any(["read"]).is_satisfied_by(&s));
    }
}
