use auth_core::checks::revocation::{Revocation, RevocationError};

use super::*;

const ISS: Option<&str> = Some("https://idp.example.com");

fn message(body: &str) -> String {
    parse(body.as_bytes(), ISS).expect_err(body)
}

#[test]
fn the_four_forms() {
    let cases = [
        (r#"{"jti": "t-1"}"#, Revocation::token("https://idp.example.com", "t-1")),
        (r#"{"sub": "u", "before": 1700000000}"#, Revocation::subject("u", Some(1_700_000_000))),
        (r#"{"sub": "u"}"#, Revocation::subject("u", None)),
        (r#"{"client_id": "c", "before": 0}"#, Revocation::client("c", Some(0))),
        (r#" {"client_id": "c"} "#, Revocation::client("c", None)),
        (
            r#"{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}"#,
            Revocation::key("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"),
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(parse(body.as_bytes(), ISS), Ok(expected), "{body}");
    }
}

#[test]
fn bad_bodies_say_why_without_echoing() {
    let long = "x".repeat(1025);
    let cases = [
        ("", "JSON object"),
        ("sub=u", "JSON object"),
        (r#"["sub"]"#, "JSON object"),
        (r#""sub""#, "JSON object"),
        (r#"{"sub": "u"} x"#, "JSON object"),
        ("{}", "exactly one"),
        (r#"{"before": 5}"#, "exactly one"),
        (r#"{"sub": "u", "jkt": "k"}"#, "exactly one"),
        (r#"{"jti": "t", "sub": "u", "client_id": "c", "jkt": "k"}"#, "exactly one"),
        (r#"{"sub": "u", "secret-ish": 1}"#, "unknown member"),
        (r#"{"sub": "u", "sub": "v"}"#, "twice"),
        (r#"{"sub": 7}"#, "`sub` must be a string"),
        (r#"{"jti": null}"#, "`jti` must be a string"),
        (r#"{"jkt": ["k"]}"#, "`jkt` must be a string"),
        (r#"{"client_id": ""}"#, "`client_id` must not be empty"),
        (r#"{"sub": "u", "before": -1}"#, "NumericDate"),
        (r#"{"sub": "u", "before": 1.5}"#, "NumericDate"),
        (r#"{"sub": "u", "before": "1700000000"}"#, "NumericDate"),
        (r#"{"sub": "u", "before": null}"#, "NumericDate"),
        (r#"{"sub": "u", "before": 1e400}"#, "JSON object"),
        (r#"{"sub": "u", "before": 18446744073709551615}"#, "NumericDate"),
        (r#"{"jti": "t", "before": 5}"#, "sub or client_id only"),
        (r#"{"jkt": "k", "before": 5}"#, "sub or client_id only"),
    ];
    for (body, expected) in cases {
        let m = message(body);
        assert!(m.contains(expected), "{body}: {m}");
        assert!(!m.contains("secret-ish"), "{m}");
    }
    let m = message(&format!(r#"{{"sub": "{long}"}}"#));
    assert!(m.contains("at most 1024 bytes"), "{m}");
    assert!(parse(format!(r#"{{"sub": "{}"}}"#, &long[1..]).as_bytes(), ISS).is_ok());
}

#[test]
fn jti_needs_the_issuer() {
    let m = parse(br#"{"jti": "t"}"#, None).unwrap_err();
    assert!(m.contains("AUTH_ISSUER"), "{m}");
    assert!(parse(br#"{"sub": "u"}"#, None).is_ok(), "the other forms need none");
}

#[test]
fn json_content_types() {
    for yes in [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/merge-patch+json",
    ] {
        assert!(is_json(Some(yes)), "{yes}");
    }
    for no in ["text/json", "application/x-www-form-urlencoded", "text/plain", "json", ""] {
        assert!(!is_json(Some(no)), "{no}");
    }
    assert!(!is_json(None));
}

#[test]
fn outcomes_map_to_statuses() {
    let done = AdminAnswer::outcome(Ok(()));
    assert_eq!((done.status, done.retry_after, done.body), (204, None, None));
    let down = AdminAnswer::outcome(Err(RevocationError::Unavailable {
        reason: "redis failed",
        retry_after: Duration::from_millis(1500),
    }));
    assert_eq!((down.status, down.retry_after), (503, Some(2)));
    assert_eq!(down.body.unwrap().error, "revocations_unavailable");
    let full = AdminAnswer::outcome(Err(RevocationError::Full));
    assert_eq!((full.status, full.retry_after), (503, None));
    assert_eq!(full.body.unwrap().error, "revocations_full");
    let invalid = AdminAnswer::outcome(Err(RevocationError::Invalid("values must be 1 to 1024 bytes")));
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.body.unwrap().error, "invalid_revocation");
    assert_eq!(whole_seconds(Duration::ZERO), 1);
    assert_eq!(whole_seconds(Duration::from_secs(3)), 3);
}

#[tokio::test]
async fn answers_on_an_in_memory_list() {
    let settings = crate::Settings::default();
    let auth = crate::Auth::from_settings(&settings).await.unwrap();
    let v = &auth.validator;
    let json = Some("application/json");
    let token = &auth.dev.as_ref().unwrap().token;
    let jti = v.validate(token).await.unwrap().registered().jti().unwrap().to_owned();
    let body = format!(r#"{{"jti": "{jti}"}}"#);
    assert_eq!(answer(v, Action::Revoke, json, body.as_bytes()).await.status, 204);
    assert!(v.validate(token).await.is_err());
    assert_eq!(answer(v, Action::Lift, json, body.as_bytes()).await.status, 204);
    v.validate(token).await.unwrap();
    assert_eq!(answer(v, Action::Revoke, Some("text/plain"), body.as_bytes()).await.status, 415);
    assert_eq!(answer(v, Action::Revoke, json, &[b' '; MAX_BODY_BYTES + 1]).await.status, 413);
    let bad = answer(v, Action::Revoke, json, b"{}").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body.unwrap().error, "invalid_revocation");
}
