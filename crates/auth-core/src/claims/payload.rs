//! Reading the payload JSON once, borrowing from it: the members the validator needs are kept
//! (typed loosely, so a wrong type is reported by the check that reads it), every other member is
//! skipped, and a repeated top-level member is refused.
//!
//! No JSON tree is built: the caller's [`crate::Claims`] keeps the payload text and builds one
//! only if asked.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::TokenProblem;

/// A kept member's value, as much as the checks need to know.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field<'a> {
    Str(Cow<'a, str>),
    /// An array whose items are all strings.
    Strings(Vec<Cow<'a, str>>),
    Int(i64),
    UInt(u64),
    Float(f64),
    Null,
    /// Anything else: `true`, an object, an array holding a non-string.
    Other,
}

/// Which members to keep besides the registered claims: the scope claims and the claims the
/// operator requires.
#[derive(Clone, Copy)]
pub(crate) struct Wanted<'w> {
    pub(crate) scope_claims: &'w [String],
    pub(crate) required: &'w [std::sync::Arc<str>],
}

impl Wanted<'_> {
    fn keeps(&self, name: &str) -> bool {
        self.scope_claims.iter().any(|s| s == name) || self.required.iter().any(|s| &**s == name)
    }
}

/// The most names with a fixed slot (the registered claims).
const SLOTS: usize = 9;

/// The slot of a registered claim. Called for every member of every payload: the three-letter
/// names are told apart by one integer comparison each rather than a string comparison each.
#[inline]
fn registered_slot(name: &str) -> Option<usize> {
    const fn word(name: &[u8; 3]) -> u32 {
        u32::from_le_bytes([name[0], name[1], name[2], 0])
    }
    let &[a, b, c] = name.as_bytes() else {
        return (name == "client_id").then_some(7);
    };
    Some(match word(&[a, b, c]) {
        w if w == word(b"iss") => 0,
        w if w == word(b"sub") => 1,
        w if w == word(b"aud") => 2,
        w if w == word(b"exp") => 3,
        w if w == word(b"nbf") => 4,
        w if w == word(b"iat") => 5,
        w if w == word(b"jti") => 6,
        w if w == word(b"azp") => 8,
        _ => return None,
    })
}

/// The top-level members of a JSON object: the values of the names with a fixed slot (found
/// without a search), the other names in order (for the duplicate check) with the values of
/// those asked for.
#[derive(Debug)]
pub(crate) struct Payload<'a> {
    slot: fn(&str) -> Option<usize>,
    slots: [Option<Field<'a>>; SLOTS],
    others: Vec<(Cow<'a, str>, Option<Field<'a>>)>,
}

impl<'a> Payload<'a> {
    /// Reads a payload: the registered claims and the `wanted` ones are kept. Not an object,
    /// invalid JSON, or a repeated top-level member (which parsers disagree on, so an attacker
    /// could use it) is `Malformed`.
    pub(crate) fn parse(json: &'a str, wanted: Wanted<'_>) -> Result<Self, TokenProblem> {
        Payload::parse_with(json, registered_slot, |name| wanted.keeps(name))
    }

    /// The same for any JSON object (a JOSE header too): `slot` numbers the names that have one
    /// (below 9), `keeps` names the other members to keep.
    pub(crate) fn parse_with(
        json: &'a str,
        slot: fn(&str) -> Option<usize>,
        keeps: impl Fn(&str) -> bool,
    ) -> Result<Self, TokenProblem> {
        let mut payload = Payload { slot, slots: Default::default(), others: Vec::new() };
        let mut de = serde_json::Deserializer::from_str(json);
        // Filled in place: the payload is not moved through serde's layers.
        let visitor = PayloadVisitor { keeps, out: &mut payload };
        de.deserialize_map(visitor).map_err(|_| TokenProblem::Malformed)?;
        de.end().map_err(|_| TokenProblem::Malformed)?;
        Ok(payload)
    }

    /// The value of a kept member (`None` when absent, or not kept).
    pub(crate) fn get(&self, name: &str) -> Option<&Field<'a>> {
        match (self.slot)(name) {
            Some(i) => self.slots.get(i)?.as_ref(),
            None => self.others.iter().find(|(k, _)| k == name)?.1.as_ref(),
        }
    }

    /// Takes a kept member's value out.
    pub(crate) fn take(&mut self, name: &str) -> Option<Field<'a>> {
        match (self.slot)(name) {
            Some(i) => self.slots.get_mut(i)?.take(),
            None => self.others.iter_mut().find(|(k, _)| k == name)?.1.take(),
        }
    }

    /// A kept member that must be a string when present.
    pub(crate) fn string(&self, name: &'static str) -> Result<Option<&str>, TokenProblem> {
        match self.get(name) {
            None => Ok(None),
            Some(Field::Str(s)) => Ok(Some(s)),
            Some(_) => Err(TokenProblem::WrongClaimType(name)),
        }
    }
}

struct PayloadVisitor<'p, 'a, F> {
    keeps: F,
    out: &'p mut Payload<'a>,
}

impl<'de, F: Fn(&str) -> bool> Visitor<'de> for PayloadVisitor<'_, 'de, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        let duplicate = || de::Error::custom("duplicate member");
        let Payload { slot, slots, others } = self.out;
        // A one-word Bloom filter of the other names seen: a name whose bit is clear is new, so
        // names are compared only on a (rare) collision.
        let mut seen = 0u64;
        while let Some(Name(name)) = access.next_key()? {
            if let Some(i) = slot(&name) {
                let slot = slots.get_mut(i).ok_or_else(duplicate)?;
                if slot.is_some() {
                    return Err(duplicate());
                }
                *slot = Some(access.next_value()?);
                continue;
            }
            let bit = 1u64 << name_hash(&name);
            if seen & bit != 0 && others.iter().any(|(k, _)| *k == name) {
                return Err(duplicate());
            }
            seen |= bit;
            let value = if (self.keeps)(&name) {
                Some(access.next_value::<Field<'de>>()?)
            } else {
                access.next_value::<Skip>()?;
                None
            };
            others.push((name, value));
        }
        Ok(())
    }
}

/// A name's bit in the filter of seen names (0..64): its length and last two bytes.
fn name_hash(name: &str) -> u32 {
    let b = name.as_bytes();
    let last = |i: usize| b.len().checked_sub(i).map_or(0, |i| u32::from(b[i]));
    (b.len() as u32).wrapping_mul(7).wrapping_add(last(1)).wrapping_add(last(2).wrapping_mul(3)) % 64
}

/// A member name, borrowed from the JSON text unless it holds an escape.
struct Name<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(StrVisitor).map(Name)
    }
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

impl<'de> Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FieldVisitor)
    }
}

struct FieldVisitor;

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = Field<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Field::Str(Cow::Owned(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Field::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Field::UInt(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Field::Float(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Field::Null)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Field::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        while access.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Field::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        let mut all_strings = true;
        while let Some(item) = access.next_element_seed(ItemSeed { keep: all_strings })? {
            match item {
                Some(s) => items.push(s),
                None => all_strings = false,
            }
        }
        Ok(if all_strings { Field::Strings(items) } else { Field::Other })
    }
}

/// One array item: the string, or `None` for any other value (skipped). Once a non-string was
/// seen (`keep: false`), the rest is only skipped.
struct ItemSeed {
    keep: bool,
}

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Option<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        if !self.keep {
            return Skip::deserialize(d).map(|_| None);
        }
        match Field::deserialize(d)? {
            Field::Str(s) => Ok(Some(s)),
            _ => Ok(None),
        }
    }
}

/// A value read and dropped. Unlike serde's `IgnoredAny` (which serde_json skips without a
/// nesting limit), it goes through `deserialize_any`, so the payload is held to serde_json's
/// nesting limit exactly as when the whole tree is built ([`crate::Claims::payload`]).
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Skip, A::Error> {
        while access.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Skip, A::Error> {
        while access.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Payload<'_>, TokenProblem> {
        Payload::parse(json, Wanted { scope_claims: &["scope".into()], required: &[] })
    }

    #[test]
    fn objects_only_no_duplicates() {
        assert!(parse(r#"{"a":1}"#).is_ok());
        assert!(parse(r#"{"exp":1,"exp":2}"#).is_err());
        assert!(parse(r#"{"a":{"x":1},"a":2}"#).is_err());
        assert!(parse(r#"{"exp":1,"ex\u0070":2}"#).is_err());
        assert!(parse(r#"[1]"#).is_err());
        assert!(parse(r#""x""#).is_err());
        assert!(parse(r#"{"a":1} x"#).is_err());
        assert!(parse(r#"{"a":[1,{"b":[]}]} "#).is_ok());
        // Nested deeper than serde_json's limit: refused, as when the whole tree is built.
        let deep = format!(r#"{{"a":{}1{}}}"#, "[".repeat(200), "]".repeat(200));
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn registered_names_have_their_slots() {
        let names = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "azp"];
        for (i, name) in names.iter().enumerate() {
            assert_eq!(registered_slot(name), Some(i), "{name}");
        }
        for other in ["", "is", "Iss", "issx", "iss\0", "client_i", "client_idx", "scope", "a\u{e9}"] {
            assert_eq!(registered_slot(other), None, "{other}");
        }
    }

    #[test]
    fn keeps_wanted_members_typed_loosely() {
        let json =
            r#"{"iss":"i","aud":["a","b"],"exp":5,"nbf":-1,"iat":1.5,"scope":["x",2],"x":"y","sub":null}"#;
        let p = parse(json).unwrap();
        assert_eq!(p.get("iss"), Some(&Field::Str("i".into())));
        assert_eq!(p.get("aud"), Some(&Field::Strings(vec!["a".into(), "b".into()])));
        assert_eq!(p.get("exp"), Some(&Field::UInt(5)));
        assert_eq!(p.get("nbf"), Some(&Field::Int(-1)));
        assert_eq!(p.get("iat"), Some(&Field::Float(1.5)));
        assert_eq!(p.get("scope"), Some(&Field::Other));
        assert_eq!(p.get("sub"), Some(&Field::Null));
        assert_eq!(p.get("x"), None);
        assert_eq!(p.get("jti"), None);
    }
}
