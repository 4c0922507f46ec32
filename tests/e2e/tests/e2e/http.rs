//! The HTTP contract of the Petstore, against a real issuer (discovery + JWKS over HTTP) and a
//! real client, for every implementation.

use auth_core::Algorithm;
use auth_core::dev_issuer::DevIssuer;
use petstore_e2e::{Implementation, Petstore, start};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    retry_after: Option<String>,
    body: Value,
}

async fn call(
    store: &Petstore,
    method: Method,
    path: &str,
    auth: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", store.base));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    // Every field of a header, in order: each challenge is a field of its own.
    let header = |name: &str| {
        let values: Vec<_> =
            resp.headers().get_all(name).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        (!values.is_empty()).then(|| values.join(" | "))
    };
    let (challenge, retry_after) = (header("www-authenticate"), header("retry-after"));
    let status = resp.status();
    let text = resp.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Answer { status, challenge, retry_after, body }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn assert_invalid_token(a: &Answer, what: &str) {
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{what}");
    let c = a.challenge.as_deref().unwrap_or_default();
    assert!(c.starts_with(r#"Bearer realm="petstore", error="invalid_token""#), "{what}: {c}");
    assert_eq!(a.body["error"], "invalid_token", "{what}");
    assert!(a.body["error_description"].is_string(), "{what}");
}

/// The issuer the Petstore trusts, and a foreign one it must not.
async fn setup(implementation: Implementation) -> (Petstore, DevIssuer, DevIssuer) {
    let issuer = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let foreign = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let store = start(implementation, &[("AUTH_ISSUER", issuer.issuer())]).await;
    (store, issuer, foreign)
}

#[tokio::test]
async fn every_route_with_valid_tokens() {
    for implementation in Implementation::ALL {
        let (store, issuer, _) = setup(implementation).await;
        let rw = bearer(&issuer.token().scope("pets:read pets:write").sign());
        let admin = bearer(&issuer.token().scope("pets:read pets:write admin").sign());

        let health = call(&store, Method::GET, "/health", None, None).await;
        assert_eq!(health.status, StatusCode::OK);

        let list = call(&store, Method::GET, "/pets", Some(&rw), None).await;
        assert_eq!(list.status, StatusCode::OK, "{implementation:?}");
        assert!(list.body.as_array().is_some_and(|a| !a.is_empty()));
        let id = list.body[0]["id"].as_u64().unwrap();

        assert_eq!(
            call(&store, Method::GET, &format!("/pets/{id}"), Some(&rw), None).await.status,
            StatusCode::OK
        );
        assert_eq!(
            call(&store, Method::GET, "/pets/987654", Some(&rw), None).await.status,
            StatusCode::NOT_FOUND
        );

        let created =
            call(&store, Method::POST, "/pets", Some(&rw), Some(json!({"name": "Rex", "tag": "dog"}))).await;
        assert_eq!(created.status, StatusCode::CREATED);
        assert_eq!(created.body["name"], "Rex");

        let me = call(&store, Method::GET, "/me", Some(&rw), None).await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.body["sub"], "dev-user");
        assert_eq!(me.body["client_id"], "dev-client");
        assert_eq!(me.body["scopes"], json!(["pets:read", "pets:write"]));

        let deleted = call(&store, Method::DELETE, &format!("/pets/{id}"), Some(&admin), None).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);

        assert_eq!(
            call(&store, Method::GET, "/no-such-route", None, None).await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn bad_tokens_are_401_invalid_token_on_every_protected_route() {
    for implementation in Implementation::ALL {
        let (store, issuer, foreign) = setup(implementation).await;
        let good = issuer.token().scope("pets:read pets:write admin").sign();
        let mut tampered = good.clone().into_bytes();
        let dot = tampered.iter().position(|b| *b == b'.').unwrap();
        tampered[dot + 3] = if tampered[dot + 3] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let cases = [
            (
                "expired",
                issuer
                    .token()
                    .scope("pets:read")
                    .claim("exp", json!(now - 3600))
                    .issued_at(now - 7200)
                    .sign(),
            ),
            ("wrong audience", issuer.token().scope("pets:read").audience("another-api").sign()),
            ("wrong issuer", foreign.token().scope("pets:read").sign()),
            ("tampered", tampered),
            ("not a JWT", "abc.def.ghi".to_owned()),
        ];
        let routes = [
            (Method::GET, "/pets"),
            (Method::GET, "/pets/1"),
            (Method::POST, "/pets"),
            (Method::DELETE, "/pets/1"),
            (Method::GET, "/me"),
            (Method::GET, "/store/inventory"),
        ];
        for (what, token) in &cases {
            for (method, path) in &routes {
                let body = (*method == Method::POST).then(|| json!({"name": "x"}));
                let a = call(&store, method.clone(), path, Some(&bearer(token)), body).await;
                assert_invalid_token(&a, &format!("{implementation:?} {what} {method} {path}"));
                let text = a.body.to_string() + a.challenge.as_deref().unwrap_or_default();
                assert!(!text.contains(token.split('.').nth(1).unwrap_or("~")), "token echoed: {what}");
            }
        }
    }
}

#[tokio::test]
async fn missing_credentials_get_a_bare_challenge() {
    for implementation in Implementation::ALL {
        let (store, _, _) = setup(implementation).await;
        for (method, path) in [
            (Method::GET, "/pets"),
            (Method::GET, "/pets/1"),
            (Method::DELETE, "/pets/1"),
            (Method::GET, "/me"),
        ] {
            let a = call(&store, method.clone(), path, None, None).await;
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{method} {path}");
            assert_eq!(a.challenge, Some(store.bare_challenge()), "{method} {path}");
            assert!(a.body["error"].is_string() && a.body["error_description"].is_string());
        }
        // Another scheme is no bearer credentials at all.
        let a = call(&store, Method::GET, "/pets", Some("Basic dXNlcjpwYXNz"), None).await;
        assert_eq!(a.challenge, Some(store.bare_challenge()));
    }
}

#[tokio::test]
async fn insufficient_scope_is_403_naming_the_scopes() {
    for implementation in Implementation::ALL {
        let (store, issuer, _) = setup(implementation).await;
        let read = bearer(&issuer.token().scope("pets:read").sign());
        let write = bearer(&issuer.token().scope("pets:read pets:write").sign());
        let none = bearer(&issuer.token().sign());
        let cases = [
            (Method::POST, "/pets", &read, "pets:write"),
            (Method::DELETE, "/pets/1", &write, "pets:write admin"),
            (Method::GET, "/pets", &none, "pets:read"),
            (Method::GET, "/pets/1", &none, "pets:read"),
        ];
        for (method, path, token, scope) in cases {
            let body = (method == Method::POST).then(|| json!({"name": "x"}));
            let a = call(&store, method.clone(), path, Some(token), body).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{method} {path}");
            let c = a.challenge.unwrap();
            assert!(c.contains(r#"error="insufficient_scope""#), "{c}");
            assert!(c.contains(&format!(r#"scope="{scope}""#)), "{c}");
            assert_eq!(a.body["error"], "insufficient_scope");
        }
        // Any valid token may read /me, whatever its scopes.
        assert_eq!(call(&store, Method::GET, "/me", Some(&none), None).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn malformed_requests_are_400_invalid_request() {
    for implementation in Implementation::ALL {
        let (store, issuer, _) = setup(implementation).await;
        let token = issuer.token().scope("pets:read").sign();
        for header in ["Bearer", "Bearer ", "Bearer a b", "Bearer a,b"] {
            let a = call(&store, Method::GET, "/pets", Some(header), None).await;
            assert_eq!(a.status, StatusCode::BAD_REQUEST, "{header:?}");
            assert!(a.challenge.unwrap().contains(r#"error="invalid_request""#));
            assert_eq!(a.body["error"], "invalid_request");
        }
        let a =
            call(&store, Method::GET, &format!("/pets?access_token={token}"), Some(&bearer(&token)), None)
                .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "header and query together");
        let a = reqwest::Client::new()
            .post(format!("{}/pets", store.base))
            .header("authorization", bearer(&token))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("name=Rex&access_token={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(a.status(), StatusCode::BAD_REQUEST, "header and form field together");
        let twice = reqwest::Client::new()
            .get(format!("{}/pets", store.base))
            .header("authorization", bearer(&token))
            .header("authorization", bearer(&token))
            .send()
            .await
            .unwrap();
        assert_eq!(twice.status(), StatusCode::BAD_REQUEST, "two Authorization fields");
        let body: serde_json::Value = twice.json().await.unwrap();
        assert_eq!(body["error_description"], "the request has more than one Authorization header");
        // The query form alone is off: no credentials.
        let a = call(&store, Method::GET, &format!("/pets?access_token={token}"), None, None).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn optional_route_serves_anonymous_and_refuses_bad_tokens() {
    for implementation in Implementation::ALL {
        let (store, issuer, _) = setup(implementation).await;
        let anonymous = call(&store, Method::GET, "/store/inventory", None, None).await;
        assert_eq!(anonymous.status, StatusCode::OK);
        assert_eq!(anonymous.body, json!({"visibility": "public"}));
        let full =
            call(&store, Method::GET, "/store/inventory", Some(&bearer(&issuer.token().sign())), None).await;
        assert_eq!(full.status, StatusCode::OK);
        assert_eq!(full.body["visibility"], "full");
        assert_eq!(full.body["sub"], "dev-user");
        let bad = call(&store, Method::GET, "/store/inventory", Some("Bearer abc.def.ghi"), None).await;
        assert_invalid_token(&bad, "optional route, bad token");
    }
}

#[tokio::test]
async fn unreachable_provider_is_503_with_retry_after_and_health_stays_up() {
    // A port that was just free: nothing listens there.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let jwks = format!("http://{closed}/jwks");
    for implementation in Implementation::ALL {
        let store = start(implementation, &[("AUTH_JWKS_URL", &jwks)]).await;
        assert_eq!(call(&store, Method::GET, "/health", None, None).await.status, StatusCode::OK);
        let a = call(&store, Method::GET, "/pets", Some("Bearer a.b.c"), None).await;
        // A malformed token is refused without keys; a well-formed one needs them.
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        let issuer = DevIssuer::start(Algorithm::ES256).await.unwrap();
        let token = issuer.token().scope("pets:read").sign();
        let a = call(&store, Method::GET, "/pets", Some(&bearer(&token)), None).await;
        assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{implementation:?}");
        let secs: u64 = a.retry_after.expect("Retry-After").parse().unwrap();
        assert!((1..=30).contains(&secs));
        assert!(a.body["error"].is_string());
    }
}

#[tokio::test]
async fn ready_answers_503_until_keys_load_and_while_revocations_are_stale() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let jwks = format!("http://{closed}/jwks");
    let redis = format!("redis://{closed}");
    for implementation in Implementation::ALL {
        // Keys loaded (warmed up here, not waited for): ready.
        let store = start(implementation, &[]).await;
        assert!(store.auth.validator.warm_up().await);
        let a = call(&store, Method::GET, "/ready", None, None).await;
        assert_eq!(a.status, StatusCode::OK, "{implementation:?}");
        assert_eq!(a.body, json!({"status": "ready", "keys_loaded": true, "revocations": "local"}));

        // The provider down: not ready, while /health stays 200.
        let down = start(implementation, &[("AUTH_JWKS_URL", &jwks)]).await;
        assert!(!down.auth.validator.warm_up().await);
        let a = call(&down, Method::GET, "/ready", None, None).await;
        assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{implementation:?}");
        assert_eq!(a.body["status"], "not_ready");
        assert_eq!(a.body["keys_loaded"], false);
        assert_eq!(call(&down, Method::GET, "/health", None, None).await.status, StatusCode::OK);

        // Keys loaded but the shared revocation list unconfirmed (Redis unreachable): not ready.
        let stale = start(implementation, &[("AUTH_REDIS_URL", &redis)]).await;
        assert!(stale.auth.validator.warm_up().await);
        let a = call(&stale, Method::GET, "/ready", None, None).await;
        assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{implementation:?}");
        assert_eq!(a.body, json!({"status": "not_ready", "keys_loaded": true, "revocations": "stale"}));
    }
}

#[tokio::test]
async fn embedded_dev_issuer_tokens_work_out_of_the_box() {
    for implementation in Implementation::ALL {
        let store = start(implementation, &[]).await;
        let dev = store.dev.clone().expect("dev issuer without a provider");
        let user = bearer(&dev.token);
        let admin = bearer(&dev.admin_token);
        assert_eq!(call(&store, Method::GET, "/pets", Some(&user), None).await.status, StatusCode::OK);
        let created = call(&store, Method::POST, "/pets", Some(&user), Some(json!({"name": "Kit"}))).await;
        assert_eq!(created.status, StatusCode::CREATED);
        assert_eq!(
            call(&store, Method::DELETE, "/pets/1", Some(&user), None).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            call(&store, Method::DELETE, "/pets/1", Some(&admin), None).await.status,
            StatusCode::NO_CONTENT
        );
    }
}

#[test]
fn bad_settings_fail_at_startup_naming_the_variable() {
    for (name, value) in [
        ("AUTH_PROFILE", "strict"),
        ("AUTH_ALGORITHMS", "RS256,none"),
        ("PETSTORE_ADDR", "not-an-address"),
        ("AUTH_JWKS_URL", "ftp://example.com/jwks"),
        ("AUTH_TOKEN_CACHE", "-1"),
        ("AUTH_INTROSPECTION_CACHE_TTL", "soon"),
        ("AUTH_INTROSPECTION_CLIENT_SECRET", "a secret without its client"),
    ] {
        let err = petstore_e2e::settings(&[(name, value)])
            .err()
            .or_else(|| petstore::build_validator(&petstore_e2e::settings(&[(name, value)]).unwrap()).err())
            .unwrap_or_else(|| panic!("{name}={value:?} was accepted"));
        assert!(err.to_string().contains(name), "{name}={value:?}: {err}");
    }
    assert!(petstore_e2e::settings(&[("AUTH_PROFILE", "generic")]).is_ok());
}

/// One request of the axum/actix comparison.
struct Probe {
    label: String,
    method: Method,
    path: String,
    /// Each is one `Authorization` field.
    authorization: Vec<String>,
    /// `(content-type, body)`.
    body: Option<(&'static str, String)>,
}

/// What a client can observe of an answer, for an exact comparison.
#[derive(Debug, PartialEq, Eq)]
struct Observed {
    status: u16,
    www_authenticate: Option<String>,
    retry_after: Option<String>,
    content_type: Option<String>,
    body: String,
}

async fn observe(store: &Petstore, probe: &Probe) -> Observed {
    let mut req =
        reqwest::Client::new().request(probe.method.clone(), format!("{}{}", store.base, probe.path));
    for a in &probe.authorization {
        req = req.header("authorization", a);
    }
    if let Some((content_type, body)) = &probe.body {
        req = req.header("content-type", *content_type).body(body.clone());
    }
    let resp = req.send().await.unwrap();
    // Every field of a header, in order: each challenge is a field of its own.
    let header = |name: &str| {
        let values: Vec<_> =
            resp.headers().get_all(name).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        (!values.is_empty()).then(|| values.join(" | "))
    };
    let (www_authenticate, retry_after, content_type) =
        (header("www-authenticate"), header("retry-after"), header("content-type"));
    let status = resp.status().as_u16();
    Observed { status, www_authenticate, retry_after, content_type, body: resp.text().await.unwrap() }
}

/// Every route × every credential case, plus unknown routes and bad pet bodies, in one fixed order
/// (pets are created and deleted along the way, so both stores must see the same sequence).
fn probes(issuer: &DevIssuer) -> Vec<Probe> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let all_scopes = issuer.token().scope("pets:read pets:write admin").sign();
    let dpop_key = auth_core::dev_issuer::DpopKey::generate(auth_core::Algorithm::ES256).unwrap();
    let bound = issuer.token().scope("pets:read pets:write admin").bound_to(&dpop_key).sign();
    let credentials: Vec<(&str, Vec<String>, Option<String>)> = vec![
        ("no token", vec![], None),
        ("valid", vec![bearer(&all_scopes)], None),
        (
            "expired",
            vec![bearer(
                &issuer
                    .token()
                    .scope("pets:read pets:write admin")
                    .claim("exp", json!(now - 3600))
                    .issued_at(now - 7200)
                    .sign(),
            )],
            None,
        ),
        (
            "wrong audience",
            vec![bearer(&issuer.token().scope("pets:read pets:write admin").audience("another-api").sign())],
            None,
        ),
        ("insufficient scope", vec![bearer(&issuer.token().scope("pets:read").sign())], None),
        ("malformed header", vec!["Bearer a b".to_owned()], None),
        ("header+query", vec![bearer(&all_scopes)], Some(format!("access_token={all_scopes}"))),
        ("header+form", vec![bearer(&all_scopes)], None),
        ("two authorization fields", vec![bearer(&all_scopes), bearer(&all_scopes)], None),
        // DPoP is allowed by default: an unbound token with that scheme is invalid_token, a bound
        // one needs its proof, and a bound one as a bearer token is refused.
        ("dpop scheme, unbound token", vec![format!("DPoP {all_scopes}")], None),
        ("dpop scheme, no proof", vec![format!("DPoP {bound}")], None),
        ("bound token as bearer", vec![bearer(&bound)], None),
    ];
    let routes = [
        (Method::GET, "/health"),
        (Method::GET, "/pets"),
        (Method::GET, "/pets/1"),
        (Method::GET, "/pets/987654"),
        (Method::GET, "/pets/not-a-number"),
        (Method::POST, "/pets"),
        (Method::GET, "/me"),
        (Method::GET, "/store/inventory"),
        (Method::DELETE, "/pets/2"),
        (Method::GET, "/no-such-route"),
        (Method::POST, "/no/such/route"),
    ];
    // First, a valid request: both load their keys before `/health` is compared.
    let mut probes = vec![Probe {
        label: "warm-up".into(),
        method: Method::GET,
        path: "/pets".into(),
        authorization: vec![bearer(&all_scopes)],
        body: None,
    }];
    for (what, authorization, query) in &credentials {
        for (method, path) in &routes {
            let path = match query {
                Some(q) => format!("{path}?{q}"),
                None => (*path).to_owned(),
            };
            let body = if *what == "header+form" {
                Some(("application/x-www-form-urlencoded", format!("name=Rex&access_token={all_scopes}")))
            } else if *method == Method::POST {
                Some(("application/json", r#"{"name":"Rex","tag":"dog"}"#.to_owned()))
            } else {
                None
            };
            let label = format!("{what}: {method} {path}");
            probes.push(Probe {
                label,
                method: method.clone(),
                path,
                authorization: authorization.clone(),
                body,
            });
        }
    }
    for (what, content_type, body) in [
        ("bad JSON", "application/json", r#"{"name":"#),
        ("wrong JSON shape", "application/json", r#"{"name":7}"#),
        ("empty name", "application/json", r#"{"name":"  "}"#),
        ("not JSON", "text/plain", "Rex"),
        ("form without a token", "application/x-www-form-urlencoded", "name=Rex"),
        ("trailing garbage", "application/json; charset=utf-8", r#"{"name":"Rex"} x"#),
    ] {
        probes.push(Probe {
            label: format!("{what}: POST /pets"),
            method: Method::POST,
            path: "/pets".into(),
            authorization: vec![bearer(&all_scopes)],
            body: Some((content_type, body.to_owned())),
        });
    }
    probes
}

#[tokio::test]
async fn axum_and_actix_answer_identically() {
    let issuer = DevIssuer::start(Algorithm::ES256).await.unwrap();
    // One AUTH_RESOURCE for both, so their challenges name the same document.
    let vars = [("AUTH_ISSUER", issuer.issuer()), ("AUTH_RESOURCE", "https://pets.example.com")];
    let axum = start(Implementation::Axum, &vars).await;
    let actix = start(Implementation::Actix, &vars).await;
    let probes = probes(&issuer);
    assert!(probes.len() > 90);
    let mut statuses = std::collections::BTreeSet::new();
    for probe in &probes {
        let (a, b) = (observe(&axum, probe).await, observe(&actix, probe).await);
        assert_eq!(a, b, "{} (left: axum, right: actix)", probe.label);
        statuses.insert(a.status);
    }
    // The list reaches every answer class.
    let expected = [200, 201, 204, 400, 401, 403, 404, 415, 422];
    assert_eq!(statuses.into_iter().collect::<Vec<_>>(), expected);
}
