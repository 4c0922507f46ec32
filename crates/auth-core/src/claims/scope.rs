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
    ends: Ends,
}

/// Where each scope ends: inline for the few scopes a token usually grants, on the heap beyond.
#[derive(Clone)]
enum Ends {
    Inline(u8, [usize; INLINE_ENDS]),
    Heap(Vec<usize>),
}

const INLINE_ENDS: usize = 6;

impl Default for Ends {
    fn default() -> Self {
        Ends::Inline(0, [0; INLINE_ENDS])
    }
}

impl Ends {
    fn as_slice(&self) -> &[usize] {
        match self {
            Ends::Inline(len, ends) => ends.get(..usize::from(*len)).unwrap_or_default(),
            Ends::Heap(ends) => ends,
        }
    }

    fn push(&mut self, end: usize) {
        match self {
            Ends::Inline(len, ends) => match ends.get_mut(usize::from(*len)) {
                Some(slot) => {
                    *slot = end;
                    *len += 1;
                }
                None => {
                    let mut heap = ends.to_vec();
                    heap.push(end);
                    *self = Ends::Heap(heap);
                }
            },
            Ends::Heap(ends) => ends.push(end),
        }
    }
}

impl PartialEq for Ends {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Ends {}

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
        let ends = self.ends.as_slice();
        let starts = std::iter::once(0).chain(ends.iter().copied());
        starts.zip(ends).map(|(start, end)| self.text.get(start..*end).unwrap_or_default())
    }

    /// The number of scopes.
    pub fn len(&self) -> usize {
        self.ends.as_slice().len()
    }

    /// Whether no scope is granted.
    pub fn is_empty(&self) -> bool {
        self.ends.as_slice().is_empty()
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
    fn many_scopes_keep_their_order_past_the_inline_ends() {
        let many: Vec<String> = (0..20).map(|i| format!("s{i}")).collect();
        let p = json!({"scope": many.join(" "), "scp": ["s3", "t"]});
        let s = Scopes::from_payload(&p, &names(&["scope", "scp"])).unwrap();
        let expected: Vec<&str> = many.iter().map(String::as_str).chain(["t"]).collect();
        assert_eq!(s.iter().collect::<Vec<_>>(), expected);
        assert_eq!(s.len(), 21);
        assert!(s.contains("s19") && s.contains("t") && !s.contains("s20"));
        // Equal whatever the storage.
        let few: Scopes = ["a", "b"].into_iter().collect();
        assert_eq!(few, Scopes::from_payload(&json!({"scope": "a b a"}), &names(&["scope"])).unwrap());
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
