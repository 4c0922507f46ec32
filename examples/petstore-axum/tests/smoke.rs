//! The axum Petstore in-process on a real socket (the full matrix lives in the end-to-end suite).

use petstore::{Auth, Settings};

async fn start(settings: Settings) -> (Auth, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let auth = Auth::from_settings(&settings.bound_to(addr)).await.unwrap();
    tokio::spawn(petstore_axum::serve(listener, auth.validator.clone()));
    (auth, base)
}

#[tokio::test]
async fn routes_answer_as_documented() {
    let (auth, base) = start(Settings::default()).await;
    let dev = auth.dev.clone().unwrap();
    let http = reqwest::Client::new();
    let status = |r: reqwest::Response| r.status().as_u16();

    assert_eq!(status(http.get(format!("{base}/health")).send().await.unwrap()), 200);
    assert_eq!(status(http.get(format!("{base}/no-such-route")).send().await.unwrap()), 404);
    let anonymous = http.get(format!("{base}/pets")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let metadata = format!("{base}/.well-known/oauth-protected-resource");
    let challenge = format!("Bearer realm=\"petstore\", resource_metadata=\"{metadata}\"");
    assert_eq!(anonymous.headers()["www-authenticate"], challenge.as_str());
    let document: serde_json::Value =
        serde_json::from_str(&http.get(&metadata).send().await.unwrap().text().await.unwrap()).unwrap();
    assert_eq!(document["resource"], base.as_str(), "the bound address, not port 0");

    let get = |path: &str, token: &str| http.get(format!("{base}{path}")).bearer_auth(token).send();
    assert_eq!(status(get("/pets", &dev.token).await.unwrap()), 200);
    assert_eq!(status(get("/pets/42", &dev.token).await.unwrap()), 404);
    let me: serde_json::Value =
        serde_json::from_str(&get("/me", &dev.token).await.unwrap().text().await.unwrap()).unwrap();
    assert_eq!(
        me,
        serde_json::json!({"sub": "dev-user", "client_id": "dev-client", "scopes": ["pets:read", "pets:write"]})
    );

    let created = http
        .post(format!("{base}/pets"))
        .bearer_auth(&dev.token)
        .header("content-type", "application/json")
        .body(r#"{"name":"Nemo"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let delete = |token: &str| http.delete(format!("{base}/pets/1")).bearer_auth(token).send();
    let forbidden = delete(&dev.token).await.unwrap();
    assert_eq!(forbidden.status(), 403);
    assert!(forbidden.headers()["www-authenticate"].to_str().unwrap().contains("insufficient_scope"));
    assert_eq!(status(delete(&dev.admin_token).await.unwrap()), 204);

    let public = http.get(format!("{base}/store/inventory")).send().await.unwrap().text().await.unwrap();
    assert_eq!(public, r#"{"visibility":"public"}"#);
    let full = get("/store/inventory", &dev.token).await.unwrap().text().await.unwrap();
    assert_eq!(full, r#"{"visibility":"full","sub":"dev-user"}"#);
    assert_eq!(status(get("/store/inventory", "not-a-token").await.unwrap()), 401);
}

#[tokio::test]
async fn health_answers_while_keys_are_unreachable() {
    let settings =
        Settings::from_lookup(|n| (n == "AUTH_JWKS_URL").then(|| "http://127.0.0.1:1/jwks".into())).unwrap();
    let (_auth, base) = start(settings).await;
    let http = reqwest::Client::new();
    assert_eq!(http.get(format!("{base}/health")).send().await.unwrap().status(), 200);
    // A well-formed RFC 9068 token whose keys cannot be fetched.
    let token = "eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImsifQ.eyJleHAiOjk5OTk5OTk5OTl9.AAAA";
    let res = http.get(format!("{base}/pets")).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
}
