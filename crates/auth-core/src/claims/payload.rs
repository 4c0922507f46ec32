//! Parsing the payload JSON once, refusing duplicate members.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::TokenProblem;

struct StrictObject(Map<String, Value>);

impl<'de> Deserialize<'de> for StrictObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StrictObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut map = Map::new();
                while let Some((k, v)) = access.next_entry::<String, Value>()? {
                    // One map search per member, not a lookup and then an insert.
                    match map.entry(k) {
                        serde_json::map::Entry::Vacant(slot) => {
                            slot.insert(v);
                        }
                        serde_json::map::Entry::Occupied(_) => {
                            return Err(serde::de::Error::custom("duplicate claim"));
                        }
                    }
                }
                Ok(StrictObject(map))
            }
        }
        d.deserialize_map(V)
    }
}

/// The payload as a JSON object. Not an object, invalid JSON, or a repeated top-level member
/// (which parsers disagree on, so an attacker could use it) is `Malformed`.
pub(crate) fn parse_payload(bytes: &[u8]) -> Result<Value, TokenProblem> {
    serde_json::from_slice::<StrictObject>(bytes)
        .map(|o| Value::Object(o.0))
        .map_err(|_| TokenProblem::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_only_no_duplicates() {
        assert!(parse_payload(br#"{"a":1}"#).is_ok());
        assert!(parse_payload(br#"{"exp":1,"exp":2}"#).is_err());
        assert!(parse_payload(br#"[1]"#).is_err());
        assert!(parse_payload(br#""x""#).is_err());
        assert!(parse_payload(br#"{"a":1} x"#).is_err());
    }
}
