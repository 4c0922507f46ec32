//! Reading the payload JSON once, borrowing from it: the members the validator needs are kept
//! (typed loosely, so a wrong type is reported by the check that reads it), every other member is
//! skipped, and a repeated top-level member is refused.
//!
//! No JSON tree is built: the caller's [`crate::Claims`] keeps the payload text and builds one
//! only if asked.

use std::borrow::Cow;

use super::json::{Invalid, Scanner};
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
    slots: [Option<Field<'a>>; SLOTS],
    others: Vec<(Cow<'a, str>, Option<Field<'a>>)>,
}

impl<'a> Payload<'a> {
    /// Reads a payload: the registered claims and the `wanted` ones are kept. Not an object,
    /// invalid JSON, or a repeated top-level member (which parsers disagree on, so an attacker
    /// could use it) is `Malformed`.
    pub(crate) fn parse(json: &'a str, wanted: Wanted<'_>) -> Result<Self, TokenProblem> {
        Payload::parse_with(json, |name| wanted.keeps(name))
    }

    /// The same, `keeps` naming the members to keep besides the registered claims. The JOSE
    /// header is read through it too, so both objects refuse a repeated member alike.
    pub(crate) fn parse_with(json: &'a str, keeps: impl Fn(&str) -> bool) -> Result<Self, TokenProblem> {
        let mut payload = Payload { slots: Default::default(), others: Vec::new() };
        payload.read(json, keeps).map_err(|Invalid| TokenProblem::Malformed)?;
        Ok(payload)
    }

    /// One pass over the text: each member's name, then its value kept or skipped.
    fn read(&mut self, json: &'a str, keeps: impl Fn(&str) -> bool) -> Result<(), Invalid> {
        let Payload { slots, others } = self;
        let mut scan = Scanner::new(json);
        // A one-word Bloom filter of the other names seen: a name whose bit is clear is new, so
        // names are compared only on a (rare) collision.
        let mut seen = 0u64;
        let mut more = scan.open_object()?;
        while more {
            let name = scan.name()?;
            if let Some(i) = registered_slot(&name) {
                let slot = slots.get_mut(i).ok_or(Invalid)?;
                if slot.is_some() {
                    return Err(Invalid);
                }
                *slot = Some(scan.field()?);
            } else {
                let bit = 1u64 << name_hash(&name);
                if seen & bit != 0 && others.iter().any(|(k, _)| *k == name) {
                    return Err(Invalid);
                }
                seen |= bit;
                let value = if keeps(&name) {
                    Some(scan.field()?)
                } else {
                    scan.skip()?;
                    None
                };
                others.push((name, value));
            }
            more = scan.next_member()?;
        }
        scan.end()
    }

    /// The value of a kept member (`None` when absent, or not kept).
    /// Whether the object has a member `name` that is not a registered claim (kept or not).
    pub(crate) fn has_other(&self, name: &str) -> bool {
        self.others.iter().any(|(k, _)| k == name)
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Field<'a>> {
        match registered_slot(name) {
            Some(i) => self.slots.get(i)?.as_ref(),
            None => self.others.iter().find(|(k, _)| k == name)?.1.as_ref(),
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

/// A name's bit in the filter of seen names (0..64): its length and last two bytes.
fn name_hash(name: &str) -> u32 {
    let b = name.as_bytes();
    let last = |i: usize| b.len().checked_sub(i).map_or(0, |i| u32::from(b[i]));
    (b.len() as u32).wrapping_mul(7).wrapping_add(last(1)).wrapping_add(last(2).wrapping_mul(3)) % 64
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;
    use serde::de::{Deserializer as _, IgnoredAny, MapAccess, Visitor};
    use serde_json::Value;

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

    /// serde_json's reading of a payload: the object, unless the text is not one or repeats a
    /// top-level name (after unescaping).
    fn serde_json_reading(json: &str) -> Option<serde_json::Map<String, Value>> {
        struct Names;
        impl<'de> Visitor<'de> for Names {
            type Value = Vec<String>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Vec<String>, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = access.next_key::<String>()? {
                    access.next_value::<IgnoredAny>()?;
                    names.push(name);
                }
                Ok(names)
            }
        }
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(json) else { return None };
        let names = serde_json::Deserializer::from_str(json).deserialize_map(Names).unwrap();
        (names.iter().collect::<HashSet<_>>().len() == names.len()).then_some(map)
    }

    /// A JSON value as the payload reader keeps it.
    fn as_field(value: &Value) -> Field<'static> {
        match value {
            Value::String(s) => Field::Str(Cow::Owned(s.clone())),
            Value::Array(items) => items
                .iter()
                .map(|item| item.as_str().map(|s| Cow::Owned(s.to_owned())))
                .collect::<Option<Vec<_>>>()
                .map_or(Field::Other, Field::Strings),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => Field::UInt(u),
                (None, Some(i), _) => Field::Int(i),
                (None, None, Some(f)) => Field::Float(f),
                _ => unreachable!("{n}"),
            },
            Value::Null => Field::Null,
            Value::Bool(_) | Value::Object(_) => Field::Other,
        }
    }

    /// Equal, floats to the bit (`-0.0` is not `0.0`).
    fn same(ours: &Field<'_>, theirs: &Field<'_>) -> bool {
        match (ours, theirs) {
            (Field::Float(a), Field::Float(b)) => a.to_bits() == b.to_bits(),
            _ => ours == theirs,
        }
    }

    #[allow(clippy::ptr_arg, reason = "whether it borrows is the point")]
    fn assert_borrows_from(json: &str, s: &Cow<'_, str>) {
        if let Cow::Borrowed(s) = s {
            let (start, end) = (json.as_ptr() as usize, json.as_ptr() as usize + json.len());
            let at = s.as_ptr() as usize;
            assert!(start <= at && at + s.len() <= end, "{json:?}: {s:?} is not a slice of the text");
        }
    }

    /// Asserts that the payload reader agrees with serde_json on `json` (accepted or not, and every
    /// member's value), whether members are kept or skipped. Returns whether it was accepted.
    pub(in crate::claims) fn agrees_with_serde_json(json: &str) -> bool {
        let ours = Payload::parse_with(json, |_| true);
        let accepted = match (ours, serde_json_reading(json)) {
            (Err(_), None) => false,
            (Ok(p), Some(map)) => {
                for (name, value) in &map {
                    let got = p.get(name);
                    assert!(
                        got.is_some_and(|got| same(got, &as_field(value))),
                        "{json:?}: {name:?} is {got:?}, serde_json reads {value:?}"
                    );
                }
                assert_eq!(p.others.len() + p.slots.iter().flatten().count(), map.len(), "{json:?}");
                let fields = p.slots.iter().flatten().chain(p.others.iter().filter_map(|(_, v)| v.as_ref()));
                for field in fields {
                    match field {
                        Field::Str(s) => assert_borrows_from(json, s),
                        Field::Strings(items) => items.iter().for_each(|s| assert_borrows_from(json, s)),
                        _ => {}
                    }
                }
                p.others.iter().for_each(|(name, _)| assert_borrows_from(json, name));
                true
            }
            (ours, theirs) => {
                panic!("{json:?}: accepted here: {}, by serde_json: {}", ours.is_ok(), theirs.is_some())
            }
        };
        // Values skipped rather than kept are held to the same rules.
        assert_eq!(Payload::parse_with(json, |_| false).is_ok(), accepted, "{json:?}");
        accepted
    }

    fn ws() -> impl Strategy<Value = &'static str> {
        // Mostly none, sometimes JSON whitespace, rarely whitespace JSON does not allow.
        prop::sample::select(vec!["", "", "", "", " ", "\n", "\t", "\r\n  ", "\u{c}", "\u{a0}"])
    }

    fn string() -> impl Strategy<Value = String> {
        let part = prop_oneof![
            6 => "[a-zA-Z0-9 _:/.+-]{1,6}",
            1 => "[\u{80}-\u{10ffff}]{1,2}",
            3 => prop::sample::select(vec![
                r#"\""#, r"\\", r"\/", r"\b", r"\f", r"\n", r"\r", r"\t", r"\u0041", r"\u00E9", r"\u20ac",
                r"\uD83D\uDE00", r"\ud83d\ude00", r"\u0000", r"\u001f", r"\uDBFF\uDFFF", r"\uFFFF",
            ])
            .prop_map(String::from),
            1 => prop::sample::select(vec![
                r"\x", r"\u12", r"\u12G4", r"\uD800", r"\uDC00", r"\uD800\u0041", r"\uD800x", r"\uD800\n",
                r"\uD800\uD800", r"\U0041", "\u{0}", "\u{1f}", "\t", "\n", "\u{7f}", r"\", "\"",
            ])
            .prop_map(String::from),
        ];
        prop::collection::vec(part, 0..4).prop_map(|parts| format!("\"{}\"", parts.concat()))
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => prop::sample::select(vec![
                "exp", r"ex\u0070", "iss", "aud", "sub", "scope", "client_id", "a", r"\u0061", "b", "kid",
                "", r#"\""#, "\u{e9}", r"\u00e9",
            ])
            .prop_map(|n| format!("\"{n}\"")),
            1 => string(),
        ]
    }

    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "0",
                "-0",
                "-0.0",
                "0.0",
                "1",
                "-1",
                "01",
                "-01",
                "00",
                "1.",
                "-",
                "+1",
                ".5",
                "1.5",
                "-1.5",
                "1e5",
                "1E+5",
                "1e-5",
                "1e",
                "1e+",
                "1.e1",
                "1e400",
                "-1e400",
                "1e-400",
                "1e308",
                "1e309",
                "1.7976931348623157e308",
                "1.7976931348623159e308",
                "2.2250738585072014e-308",
                "5e-324",
                "18446744073709551615",
                "18446744073709551616",
                "184467440737095516199.5",
                "-9223372036854775808",
                "-9223372036854775809",
                "9223372036854775807",
                "9223372036854775808",
                "0e99999999999",
                "1e99999999999",
                "1e-99999999999",
                "123456789012345678901234567890",
                "0.1",
                "NaN",
                "Infinity",
                "-Infinity",
                "0x10",
                "1_0",
                "12345678901234567890.5e-3",
                "100000000000000000000000e-5",
                "-18446744073709551615",
            ])
            .prop_map(String::from),
            "-?(0|[1-9][0-9]{0,24})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?",
            // Long significands: serde_json's default float reading is not always correctly
            // rounded (`6426390213569717667e-3`), and floats must come out to the same bit.
            "-?[1-9][0-9]{15,24}(\\.[0-9]{1,8})?[eE]-?[0-9]{1,2}",
            "-?0\\.[0-9]{16,26}",
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        let scalar = prop_oneof![
            3 => number(),
            3 => string(),
            1 => prop::sample::select(vec!["true", "false", "null", "tru", "nul", "True", "nulll"])
                .prop_map(String::from),
        ];
        scalar.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec((ws(), inner.clone(), ws()), 0..5).prop_map(|items| {
                    let items: Vec<_> = items.into_iter().map(|(a, v, b)| format!("{a}{v}{b}")).collect();
                    format!("[{}]", items.join(","))
                }),
                prop::collection::vec((name(), ws(), inner), 0..5).prop_map(|members| {
                    let members: Vec<_> =
                        members.into_iter().map(|(n, w, v)| format!("{n}:{w}{v}")).collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    /// Containers nested around the limit (`[` or `{"k":`), inside the top-level object.
    fn deep() -> impl Strategy<Value = String> {
        prop::collection::vec(any::<bool>(), 120..132).prop_map(|objects| {
            let open: String = objects.iter().map(|&o| if o { r#"{"k":"# } else { "[" }).collect();
            let close: String = objects.iter().rev().map(|&o| if o { "}" } else { "]" }).collect();
            format!(r#"{{"a":{open}1{close}}}"#)
        })
    }

    fn document() -> impl Strategy<Value = String> {
        let member = (ws(), name(), ws(), ws(), value(), ws());
        prop_oneof![
            12 => (prop::collection::vec(member, 0..8), ws(), ws()).prop_map(|(members, a, b)| {
                let members: Vec<_> =
                    members.into_iter().map(|(a, n, b, c, v, d)| format!("{a}{n}{b}:{c}{v}{d}")).collect();
                format!("{a}{{{}}}{b}", members.join(","))
            }),
            1 => value(),
            1 => deep(),
        ]
    }

    /// A document changed in one place: cut short, or a character removed, added or replaced.
    fn mutated() -> impl Strategy<Value = String> {
        let byte = prop::sample::select(b"{}[]:,\"\\ 0123456789-+.eEtrufalsn/\x01\x7f".to_vec());
        (document(), any::<prop::sample::Index>(), 0..4u8, byte).prop_map(|(doc, at, how, byte)| {
            let boundaries: Vec<usize> = (0..=doc.len()).filter(|&i| doc.is_char_boundary(i)).collect();
            let at = *at.get(&boundaries);
            let next = boundaries.iter().copied().find(|&i| i > at).unwrap_or(at);
            let (head, tail) = (&doc[..at], &doc[next..]);
            let byte = char::from(byte);
            match how {
                0 => doc[..at].to_owned(),
                1 => format!("{head}{tail}"),
                2 => format!("{head}{byte}{}", &doc[at..]),
                _ => format!("{head}{byte}{tail}"),
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn agrees_with_serde_json_on_random_text(
            json in prop_oneof![any::<String>(), "\\{[ -~\t\n]{0,30}\\}?", "[{}\\[\\]:,\" 0-9a-z\\\\-]{0,30}"],
        ) {
            agrees_with_serde_json(&json);
        }

        #[test]
        fn agrees_with_serde_json_on_generated_documents(json in document()) {
            agrees_with_serde_json(&json);
        }

        #[test]
        fn agrees_with_serde_json_on_damaged_documents(json in mutated()) {
            agrees_with_serde_json(&json);
        }
    }
}
