//! The scanner against serde_json: targeted cases and differential properties.

use std::borrow::Cow;

use super::super::payload::tests::agrees_with_serde_json;
use super::super::payload::{Field, Payload};

/// The value of member `v` in `{"v":<value>}`, kept, once checked against serde_json.
fn value(json: &str) -> Option<Field<'static>> {
    // Leaked so that borrowed strings can outlive the test's own text.
    let doc: &'static str = Box::leak(format!(r#"{{"v":{json}}}"#).into_boxed_str());
    let accepted = agrees_with_serde_json(doc);
    let field = Payload::parse_with(doc, |_| true).ok().and_then(|p| p.get("v").cloned());
    assert_eq!(accepted, field.is_some(), "{json:?}");
    field
}

fn accepted(json: &str) -> bool {
    agrees_with_serde_json(json)
}

#[test]
fn every_escape_is_undone() {
    let s = r#""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00 x""#;
    assert_eq!(value(s), Some(Field::Str(Cow::Owned("\"\\/\u{8}\u{c}\n\r\t\u{41}é€😀 x".into()))));
    // Names are unescaped before the duplicate check.
    assert!(!accepted(r#"{"exp":1,"ex\u0070":2}"#));
    assert!(!accepted(r#"{"a\/b":1,"a/b":2}"#));
    assert!(accepted(r#"{"a\/b":1,"a\\/b":2}"#));
    for bad in [r#""\x""#, r#""\U0041""#, r#""\u12""#, r#""\u12G4""#, r#""\'""#, r#""\"#, r#""\ ""#] {
        assert_eq!(value(bad), None, "{bad}");
    }
}

#[test]
fn surrogates_must_pair() {
    assert_eq!(value(r#""\uD83D\uDE00""#), Some(Field::Str("😀".into())));
    assert_eq!(value(r#""\uDBFF\uDFFF""#), Some(Field::Str("\u{10ffff}".into())));
    assert_eq!(value(r#""\uFFFF""#), Some(Field::Str("\u{ffff}".into())));
    for lone in [
        r#""\uD800""#,
        r#""\uD800x""#,
        r#""\uD800\n""#,
        r#""\uD800\u0041""#,
        r#""\uD800\uD800""#,
        r#""\uDC00""#,
        r#""\uDE00\uD83D""#,
        r#""\uD83D\uDE0""#,
    ] {
        assert_eq!(value(lone), None, "{lone}");
    }
}

#[test]
fn raw_control_characters_are_refused_in_strings() {
    for c in '\0'..' ' {
        assert_eq!(value(&format!("\"a{c}b\"")), None, "{:?}", c);
        assert!(!accepted(&format!("{{\"a{c}\":1}}")), "{:?}", c);
    }
    assert_eq!(value("\"a\u{7f}\u{80}é\""), Some(Field::Str("a\u{7f}\u{80}é".into())));
}

#[test]
fn numbers_read_as_serde_json_reads_them() {
    let float = |f: f64| Some(Field::Float(f));
    for (json, expected) in [
        ("0", Some(Field::UInt(0))),
        ("18446744073709551615", Some(Field::UInt(u64::MAX))),
        ("18446744073709551616", float(18446744073709551616.0)),
        ("-1", Some(Field::Int(-1))),
        ("-9223372036854775808", Some(Field::Int(i64::MIN))),
        ("-9223372036854775809", float(-9223372036854775809.0)),
        ("-18446744073709551615", float(-18446744073709551615.0)),
        ("1.5", float(1.5)),
        ("-2.5E+2", float(-250.0)),
        ("1e-400", float(0.0)),
        ("0e99999999999", float(0.0)),
        ("1e400", None),
        ("-1e400", None),
        ("1e99999999999", None),
        ("1.7976931348623159e308", None),
    ] {
        let got = value(json);
        let same = match (&got, &expected) {
            (Some(Field::Float(a)), Some(Field::Float(b))) => a.to_bits() == b.to_bits(),
            _ => got == expected,
        };
        assert!(same, "{json}: {got:?}");
    }
    // `-0` is the float -0.0, as serde_json reads it.
    assert!(matches!(value("-0"), Some(Field::Float(f)) if f == 0.0 && f.is_sign_negative()));
    // serde_json's own rounding, which is not always the nearest float.
    for json in [
        "6426390213569717667e-3",
        "2033678481061223021e-7",
        "1.00000000000000011102230246251565404236316680908203125",
    ] {
        let ours = value(json);
        let theirs: f64 = serde_json::from_str(json).unwrap();
        assert!(matches!(ours, Some(Field::Float(f)) if f.to_bits() == theirs.to_bits()), "{json}");
    }
    for bad in [
        "01",
        "-01",
        "00",
        "1.",
        "1.e5",
        ".5",
        "+1",
        "-",
        "1e",
        "1e+",
        "1E-",
        "0x10",
        "1_0",
        "NaN",
        "Infinity",
        "-Infinity",
        "--1",
        "1.5.5",
    ] {
        assert_eq!(value(bad), None, "{bad}");
    }
}

#[test]
fn nesting_stops_where_serde_json_stops() {
    // The top-level object and 126 containers inside it are accepted, 127 are not.
    for inner in 120..=135 {
        let arrays = format!(r#"{{"a":{}1{}}}"#, "[".repeat(inner), "]".repeat(inner));
        let objects = format!(r#"{{"a":{}1{}}}"#, r#"{"b":"#.repeat(inner), "}".repeat(inner));
        let strings = format!(r#"{{"a":["x",{}"y"{}]}}"#, "[".repeat(inner - 1), "]".repeat(inner - 1));
        for json in [arrays, objects, strings] {
            assert_eq!(accepted(&json), inner <= 126, "{inner} deep: {json}");
        }
    }
    // Far deeper input fails without recursing.
    let deep = format!(r#"{{"a":{}"#, "[".repeat(1_000_000));
    assert!(!accepted(&deep));
}

#[test]
fn one_object_and_whitespace_only() {
    for ok in ["{}", " \t\r\n{ \t\r\n} \t\r\n", r#"{"a" : 1 , "b":[ ] ,"c":{ }}"#, r#"{"a":[1,{"b":[]}]}"#] {
        assert!(accepted(ok), "{ok}");
    }
    for bad in [
        "",
        " ",
        "{",
        "}",
        "{}}",
        "{} {}",
        "{}x",
        "{}\u{c}",
        "\u{a0}{}",
        "{,}",
        r#"{"a":1,}"#,
        r#"{"a":1,,"b":2}"#,
        r#"{"a" 1}"#,
        r#"{"a":}"#,
        r#"{"a":1 "b":2}"#,
        r#"{'a':1}"#,
        r#"{a:1}"#,
        r#"{"a":[1,]}"#,
        r#"{"a":[,1]}"#,
        r#"{"a":[1 2]}"#,
        r#"{"a":{"b"}}"#,
        r#"{"a":{"b":1,}}"#,
        r#"{"a":tru}"#,
        r#"{"a":nulll}"#,
        r#"{"a":True}"#,
        "[]",
        "1",
        r#""x""#,
        "null",
    ] {
        assert!(!accepted(bad), "{bad}");
    }
    // Duplicates are allowed inside nested objects, as serde_json allows them.
    assert!(accepted(r#"{"a":{"x":1,"x":2}}"#));
    assert!(!accepted(r#"{"a":{"x":1},"a":2}"#));
}

#[test]
fn strings_without_escapes_borrow_from_the_text() {
    let json = r#"{"plain":"a b","esc\u0061ped":"x\ny","list":["p","q\/r"]}"#;
    let p = Payload::parse_with(json, |_| true).unwrap();
    let Some(Field::Str(Cow::Borrowed(plain))) = p.get("plain") else { panic!("{:?}", p.get("plain")) };
    assert_eq!(json.find("a b"), Some(plain.as_ptr() as usize - json.as_ptr() as usize));
    assert_eq!(p.get("escaped"), Some(&Field::Str(Cow::Owned("x\ny".into()))));
    let Some(Field::Strings(list)) = p.get("list") else { panic!() };
    assert!(matches!(&list[..], [Cow::Borrowed("p"), Cow::Owned(s)] if s == "q/r"));
}
