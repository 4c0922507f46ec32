//! `GET /openapi.json` on the Petstores over real sockets: the document's security is what
//! runs. Every operation is called as the document describes it (no token, a token lacking the
//! documented scopes, a token with exactly them), with real dev-issuer tokens, on axum and actix;
//! and both serve the same document.

use petstore_e2e::{Implementation, Petstore, start};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The served document, and its text with the dev issuer's URL (a free port) replaced.
async fn document(store: &Petstore) -> (Value, String) {
    let res = reqwest::get(format!("{}/openapi.json", store.base)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/json");
    let text = res.text().await.unwrap();
    let issuer = store.dev.as_ref().unwrap().issuer.issuer().to_owned();
    (serde_json::from_str(&text).unwrap(), text.replace(&issuer, "<issuer>"))
}

/// A token from the store's dev issuer with exactly `scopes`, for the Petstore's audience.
fn token(store: &Petstore, scopes: &[&str]) -> String {
    let dev = store.dev.as_ref().unwrap();
    dev.issuer.token().audience(petstore::DEFAULT_AUDIENCE).scope(scopes.join(" ")).sign()
}

struct Answer {
    status: StatusCode,
    challenge: String,
}

async fn call(store: &Petstore, method: &str, path: &str, token: Option<&str>) -> Answer {
    let url = format!("{}{}", store.base, path.replace("{id}", "1"));
    let mut req = reqwest::Client::new().request(Method::from_bytes(method.as_bytes()).unwrap(), url);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.unwrap();
    let challenge = res.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
    Answer { status: res.status(), challenge: challenge.unwrap_or_default() }
}

/// What the document says an operation needs.
#[derive(Debug)]
enum Documented {
    Public,
    /// `{}` among the alternatives.
    Optional,
    /// Each alternative's scopes (for the one scheme the Petstore has).
    Required(Vec<Vec<String>>),
}

fn documented(operation: &Value) -> Documented {
    let Some(alternatives) = operation["security"].as_array().filter(|a| !a.is_empty()) else {
        return Documented::Public;
    };
    if alternatives.iter().any(|a| a.as_object().unwrap().is_empty()) {
        return Documented::Optional;
    }
    Documented::Required(
        alternatives
            .iter()
            .map(|a| {
                let scopes = a["openid"].as_array().expect("the openid scheme");
                scopes.iter().map(|s| s.as_str().unwrap().to_owned()).collect()
            })
            .collect(),
    )
}

/// Neither 401 nor 403.
fn admitted(answer: &Answer) -> bool {
    !matches!(answer.status.as_u16(), 401 | 403)
}

/// The `x-step-up` extension: the first accepted `acr` (a recent sign-in is asked too).
fn step_up(operation: &Value) -> Option<String> {
    let each = operation["x-step-up"].as_array()?;
    assert_eq!(each.len(), 1);
    assert!(each[0]["max_age"].as_u64().is_some(), "{operation}");
    Some(each[0]["acr_values"][0].as_str().unwrap().to_owned())
}

/// A token with exactly `scopes` from a sign-in with `acr`, just now.
fn stepped_up_token(store: &Petstore, scopes: &[&str], acr: &str) -> String {
    let dev = store.dev.as_ref().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let token = dev.issuer.token().audience(petstore::DEFAULT_AUDIENCE).scope(scopes.join(" "));
    token.acr(acr).auth_time(now).sign()
}

#[tokio::test]
async fn every_documented_operation_answers_as_documented() {
    for implementation in Implementation::ALL {
        let store = start(implementation, &[]).await;
        let (doc, _) = document(&store).await;
        let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
        assert_eq!(schemes.keys().collect::<Vec<_>>(), ["openid"], "{implementation:?}");
        let (mut public, mut optional, mut required, mut stepped_up) = (0, 0, 0, 0);
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let at = format!("{implementation:?} {method} {path}");
                let method = method.to_uppercase();
                match documented(operation) {
                    Documented::Public => {
                        public += 1;
                        let answer = call(&store, &method, path, None).await;
                        assert!(
                            !matches!(answer.status.as_u16(), 401 | 403),
                            "{at}: public, got {}",
                            answer.status
                        );
                    }
                    Documented::Optional => {
                        optional += 1;
                        let answer = call(&store, &method, path, None).await;
                        assert!(admitted(&answer), "{at}: optional, anonymous got {}", answer.status);
                        let answer = call(&store, &method, path, Some(&token(&store, &[]))).await;
                        assert!(admitted(&answer), "{at}: optional, a token got {}", answer.status);
                        let answer = call(&store, &method, path, Some("not-a-token")).await;
                        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{at}: a bad token is refused");
                    }
                    Documented::Required(alternatives) => {
                        required += 1;
                        let answer = call(&store, &method, path, None).await;
                        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{at}: no token");
                        let satisfies = |granted: &[&str]| {
                            alternatives.iter().any(|alt| alt.iter().all(|s| granted.contains(&s.as_str())))
                        };
                        let step_up = step_up(operation);
                        stepped_up += usize::from(step_up.is_some());
                        for alternative in &alternatives {
                            let exact: Vec<&str> = alternative.iter().map(String::as_str).collect();
                            let answer = call(&store, &method, path, Some(&token(&store, &exact))).await;
                            if let Some(acr) = &step_up {
                                // The scopes pass; the sign-in is judged next (RFC 9470).
                                assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{at}: no step-up");
                                let expected = r#"error="insufficient_user_authentication""#;
                                assert!(answer.challenge.contains(expected), "{at}: {}", answer.challenge);
                                let stepped_up = stepped_up_token(&store, &exact, acr);
                                let answer = call(&store, &method, path, Some(&stepped_up)).await;
                                assert!(admitted(&answer), "{at}: stepped up, {exact:?}: {}", answer.status);
                            } else {
                                assert!(
                                    admitted(&answer),
                                    "{at}: scopes {exact:?}: {} {}",
                                    answer.status,
                                    answer.challenge
                                );
                            }
                            // One documented scope short (unless another alternative still holds): 403.
                            for missing in &exact {
                                let fewer: Vec<&str> =
                                    exact.iter().copied().filter(|s| s != missing).collect();
                                if satisfies(&fewer) {
                                    continue;
                                }
                                let answer = call(&store, &method, path, Some(&token(&store, &fewer))).await;
                                assert_eq!(answer.status, StatusCode::FORBIDDEN, "{at}: scopes {fewer:?}");
                                assert!(
                                    answer.challenge.contains("insufficient_scope"),
                                    "{at}: {}",
                                    answer.challenge
                                );
                            }
                        }
                        // A token with other scopes only.
                        if !satisfies(&["unrelated"]) {
                            let answer =
                                call(&store, &method, path, Some(&token(&store, &["unrelated"]))).await;
                            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{at}: unrelated scope");
                        }
                    }
                }
            }
        }
        // Every kind of route is there: /health, /pets, /store/inventory, ...
        assert!(
            public == 4 && optional == 1 && required == 8,
            "{implementation:?}: {public} {optional} {required}"
        );
        assert_eq!(stepped_up, 1, "{implementation:?}: the payment route");
    }
}

#[tokio::test]
async fn the_document_states_the_petstore_requirements() {
    let store = start(Implementation::Axum, &[]).await;
    let (doc, _) = document(&store).await;
    let security = |path: &str, method: &str| doc["paths"][path][method]["security"].clone();
    use serde_json::json;
    assert_eq!(security("/pets", "get"), json!([{"openid": ["pets:read"]}]));
    assert_eq!(security("/pets", "post"), json!([{"openid": ["pets:write"]}]));
    assert_eq!(security("/pets/{id}", "delete"), json!([{"openid": ["pets:write", "admin"]}]));
    assert_eq!(security("/me", "get"), json!([{"openid": []}]));
    assert_eq!(security("/store/inventory", "get"), json!([{}, {"openid": []}]));
    assert_eq!(security("/store/orders/{id}/payment", "post"), json!([{"openid": ["pets:write"]}]));
    assert_eq!(
        doc["paths"]["/store/orders/{id}/payment"]["post"]["x-step-up"],
        json!([{"acr_values": [petstore::DEFAULT_STEP_UP_ACR], "max_age": petstore::DEFAULT_STEP_UP_MAX_AGE}])
    );
    assert_eq!(security("/health", "get"), Value::Null);
    assert_eq!(security("/openapi.json", "get"), Value::Null);
    let issuer = store.dev.as_ref().unwrap().issuer.issuer().to_owned();
    let scheme = &doc["components"]["securitySchemes"]["openid"];
    assert_eq!(scheme["type"], "openIdConnect");
    assert_eq!(scheme["openIdConnectUrl"], format!("{issuer}/.well-known/openid-configuration"));
    // The URL a client is sent to is the dev issuer's real discovery document.
    let discovery: Value =
        reqwest::get(scheme["openIdConnectUrl"].as_str().unwrap()).await.unwrap().json().await.unwrap();
    assert_eq!(discovery["issuer"], issuer);
}

#[tokio::test]
async fn axum_and_actix_serve_the_same_document() {
    let axum = start(Implementation::Axum, &[]).await;
    let actix = start(Implementation::Actix, &[]).await;
    let (_, from_axum) = document(&axum).await;
    let (_, from_actix) = document(&actix).await;
    assert_eq!(from_axum, from_actix);
    // Public: a bad token does not matter here.
    let res = reqwest::Client::new()
        .get(format!("{}/openapi.json", actix.base))
        .bearer_auth("junk")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
