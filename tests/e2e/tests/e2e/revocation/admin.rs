//! The admin route on one instance (revocations in memory): who may call it, every class of bad
//! body, revoke and lift, the settings, and axum and actix answering byte for byte alike.

use auth_core::Algorithm;
use auth_core::dev_issuer::DevIssuer;
use petstore_e2e::{Implementation, start};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{ADMIN_SCOPES, Cred, USER_SCOPES, admin, get, revocation_state, send, token};

#[tokio::test]
async fn the_route_needs_pets_write_and_admin() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let user = idp.token().scope(USER_SCOPES).sign();
    let admin_only = idp.token().scope("admin").sign();
    let body = r#"{"sub": "someone"}"#;
    for implementation in Implementation::ALL {
        let store = start(implementation, &[("AUTH_ISSUER", idp.issuer())]).await;
        for method in [Method::POST, Method::DELETE] {
            let json = Some(("application/json", body));
            let anonymous = send(&store, method.clone(), "/admin/revocations", Cred::None, json).await;
            assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{implementation:?} {method}");
            assert_eq!(anonymous.challenge, Some(store.bare_challenge()));
            for token in [&user, &admin_only] {
                let a = admin(&store, method.clone(), token, body).await;
                assert_eq!(a.status, StatusCode::FORBIDDEN, "{implementation:?} {method}");
                let c = a.challenge.unwrap();
                assert!(
                    c.contains(r#"error="insufficient_scope""#) && c.contains(r#"scope="pets:write admin""#)
                );
            }
        }
    }
}

#[tokio::test]
async fn bad_bodies_are_400_invalid_revocation() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let root = idp.token().scope(ADMIN_SCOPES).sign();
    let long = format!(r#"{{"sub": "{}"}}"#, "x".repeat(1025));
    let bodies = [
        ("not JSON", "sub=someone"),
        ("empty", ""),
        ("not an object", r#"["sub"]"#),
        ("no form", "{}"),
        ("two forms", r#"{"sub": "a", "client_id": "b"}"#),
        ("unknown member", r#"{"sub": "a", "reason": "leaked"}"#),
        ("a member twice", r#"{"jti": "a", "jti": "b"}"#),
        ("wrong type", r#"{"sub": 42}"#),
        ("empty string", r#"{"jkt": ""}"#),
        ("too long", long.as_str()),
        ("negative before", r#"{"sub": "a", "before": -5}"#),
        ("fractional before", r#"{"client_id": "a", "before": 1700000000.5}"#),
        ("before as text", r#"{"sub": "a", "before": "yesterday"}"#),
        ("before with jti", r#"{"jti": "a", "before": 1700000000}"#),
        ("before with jkt", r#"{"jkt": "a", "before": 1700000000}"#),
    ];
    for implementation in Implementation::ALL {
        let store = start(implementation, &[("AUTH_ISSUER", idp.issuer())]).await;
        for method in [Method::POST, Method::DELETE] {
            for (what, body) in bodies {
                let a = admin(&store, method.clone(), &root, body).await;
                let label = format!("{implementation:?} {method} {what}");
                assert_eq!(a.status, StatusCode::BAD_REQUEST, "{label}: {a:?}");
                assert_eq!(a.body["error"], "invalid_revocation", "{label}");
                let message = a.body["message"].as_str().unwrap();
                assert!(!message.contains("leaked") && !message.contains("yesterday"), "{label}: {message}");
            }
        }
        let text = Some(("text/plain", "{}"));
        let plain = send(&store, Method::POST, "/admin/revocations", Cred::Bearer(&root), text).await;
        assert_eq!(
            (plain.status, &plain.body["error"]),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, &json!("invalid_revocation"))
        );
        let big = format!(r#"{{"sub": "a", "pad": "{}"}}"#, " ".repeat(9 * 1024));
        let big = admin(&store, Method::POST, &root, &big).await;
        assert_eq!(
            (big.status, &big.body["error"]),
            (StatusCode::PAYLOAD_TOO_LARGE, &json!("invalid_revocation"))
        );
    }
    // A jti belongs to the configured issuer: with keys from a JWKS alone there is none.
    let jwks_only = start(Implementation::Axum, &[("AUTH_JWKS_URL", &idp.jwks_uri())]).await;
    let a = admin(&jwks_only, Method::POST, &root, r#"{"jti": "a"}"#).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body["message"].as_str().unwrap().contains("AUTH_ISSUER"), "{a:?}");
    assert_eq!(
        admin(&jwks_only, Method::POST, &root, r#"{"sub": "a"}"#).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn in_memory_revoke_and_lift_on_one_instance() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let root = idp.token().scope(ADMIN_SCOPES).subject("admin").client_id("admin-console").sign();
    for implementation in Implementation::ALL {
        let store = start(implementation, &[("AUTH_ISSUER", idp.issuer())]).await;
        assert_eq!(revocation_state(&store).await, "local", "{implementation:?}");
        let victim = token(&idp, "s-mem", "c-mem").sign();
        assert_eq!(get(&store, "/pets", Cred::Bearer(&victim)).await.status, StatusCode::OK);
        let done = admin(&store, Method::POST, &root, r#"{"sub": "s-mem"}"#).await;
        assert_eq!(
            (done.status, &done.body, &done.content_type),
            (StatusCode::NO_CONTENT, &json!(null), &None)
        );
        get(&store, "/pets", Cred::Bearer(&victim)).await.assert_revoked("at once, a cache hit");
        get(&store, "/store/inventory", Cred::Bearer(&victim)).await.assert_revoked("the optional route");
        assert_eq!(
            admin(&store, Method::DELETE, &root, r#"{"sub": "s-mem", "before": 1}"#).await.status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(get(&store, "/pets", Cred::Bearer(&victim)).await.status, StatusCode::OK, "lifted");
        // Lifting what is not there is no error.
        assert_eq!(
            admin(&store, Method::DELETE, &root, r#"{"jkt": "nothing"}"#).await.status,
            StatusCode::NO_CONTENT
        );
    }
}

/// One request of the comparison: method, credentials, `(content-type, body)`.
type Probe<'a> = (Method, Cred<'a>, Option<(&'a str, &'a str)>);

#[tokio::test]
async fn axum_and_actix_answer_the_admin_route_identically() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    // One AUTH_RESOURCE for both, so their challenges name the same document.
    let vars = [("AUTH_ISSUER", idp.issuer()), ("AUTH_RESOURCE", "https://pets.example.com")];
    let (axum, actix) = (start(Implementation::Axum, &vars).await, start(Implementation::Actix, &vars).await);
    let root = idp.token().scope(ADMIN_SCOPES).subject("admin").client_id("admin-console").sign();
    let user = idp.token().scope(USER_SCOPES).sign();
    let big = format!(r#"{{"sub": "a", "pad": "{}"}}"#, " ".repeat(9 * 1024));
    let json = "application/json";
    let probes: Vec<Probe<'_>> = vec![
        (Method::POST, Cred::None, Some((json, r#"{"sub": "a"}"#))),
        (Method::POST, Cred::Bearer(&user), Some((json, r#"{"sub": "a"}"#))),
        (Method::POST, Cred::Bearer("not.a.token"), Some((json, r#"{"sub": "a"}"#))),
        (Method::POST, Cred::Bearer(&root), Some((json, r#"{"sub": "s-same", "before": 1700000000}"#))),
        (Method::DELETE, Cred::Bearer(&root), Some((json, r#"{"sub": "s-same"}"#))),
        (Method::POST, Cred::Bearer(&root), Some((json, r#"{"client_id": "c-same"}"#))),
        (Method::POST, Cred::Bearer(&root), Some((json, r#"{"jti": "j-same"}"#))),
        (Method::POST, Cred::Bearer(&root), Some((json, r#"{"jkt": "k-same"}"#))),
        (Method::POST, Cred::Bearer(&root), Some((json, "{"))),
        (Method::POST, Cred::Bearer(&root), Some((json, r#"{"sub": "a", "jkt": "b"}"#))),
        (Method::POST, Cred::Bearer(&root), Some((json, r#"{"x": 1}"#))),
        (Method::POST, Cred::Bearer(&root), Some(("application/json; charset=utf-8", r#"{"sub": 1}"#))),
        (Method::POST, Cred::Bearer(&root), Some(("text/plain", r#"{"sub": "a"}"#))),
        (Method::POST, Cred::Bearer(&root), Some(("application/x-www-form-urlencoded", "sub=a"))),
        (Method::POST, Cred::Bearer(&root), None),
        (Method::POST, Cred::Bearer(&root), Some((json, big.as_str()))),
    ];
    let mut statuses = std::collections::BTreeSet::new();
    for (i, (method, cred, body)) in probes.into_iter().enumerate() {
        let a = send(&axum, method.clone(), "/admin/revocations", cred, body).await;
        let b = send(&actix, method.clone(), "/admin/revocations", cred, body).await;
        assert_eq!(a, b, "probe {i}: {method} {body:?} (left: axum, right: actix)");
        statuses.insert(a.status.as_u16());
    }
    assert_eq!(statuses.into_iter().collect::<Vec<_>>(), [204, 400, 401, 403, 413, 415]);
}

#[test]
fn revocation_settings_fail_at_startup_naming_the_variable() {
    for (name, value) in [
        ("AUTH_REDIS_URL", "http://127.0.0.1:6379"),
        ("AUTH_REDIS_URL", "127.0.0.1:6379"),
        ("AUTH_REVOCATION_MAX_STALE", "0"),
        ("AUTH_REVOCATION_MAX_STALE", "thirty"),
        ("AUTH_REVOCATION_FAIL", "sometimes"),
        ("AUTH_REVOCATION_RETENTION", "-1"),
    ] {
        let err = petstore_e2e::settings(&[(name, value)]).expect_err(name);
        assert!(err.to_string().contains(name), "{name}={value:?}: {err}");
    }
    let ok = [
        ("AUTH_REVOCATION_MAX_STALE", "1"),
        ("AUTH_REVOCATION_FAIL", "open"),
        ("AUTH_REDIS_URL", "redis://127.0.0.1:6379/0"),
    ];
    assert!(petstore_e2e::settings(&ok).is_ok());
}
