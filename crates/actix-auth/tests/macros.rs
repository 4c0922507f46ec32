//! The auth-macros on a real actix-web server (127.0.0.1:0) behind the real `AuthLayer` middleware,
//! called with reqwest, with tokens from auth-core's loopback dev issuer.
#![allow(clippy::unwrap_used, missing_docs)]

use actix_auth::{AuthLayer, Claims, Scopes, requires_any_scope, requires_scopes};
use actix_web::{App, HttpResponse, HttpServer, delete, get, web};
use auth_core::dev_issuer::DevIssuer;
use auth_core::{Algorithm, IssuerConfig, Validator};
use reqwest::StatusCode;
use serde_json::json;

#[derive(Scopes)]
enum PetScope {
    #[scope("pets:write")]
    Write,
}

#[derive(serde::Deserialize, Claims)]
#[claims(required = ["tenant"])]
struct Caller {
    sub: String,
    tenant: String,
    #[claims(scopes)]
    scopes: Vec<String>,
}

// serde's renames name the claims: `tenantId`, `org`, and the scopes filled in as `grantedScopes`.
#[derive(serde::Deserialize, Claims)]
#[serde(rename_all = "camelCase")]
struct CamelCaller {
    #[claims(required)]
    tenant_id: String,
    #[serde(rename(deserialize = "org"))]
    #[claims(required)]
    org_name: String,
    #[claims(scopes)]
    granted_scopes: Vec<String>,
}

#[get("/camel")]
async fn camel(caller: CamelCaller) -> String {
    format!("{} {} {:?}", caller.tenant_id, caller.org_name, caller.granted_scopes)
}

// Route macro outermost (the documented order)...
#[delete("/pets/{id}")]
#[requires_scopes(PetScope::Write, "admin")]
async fn delete_pet(id: web::Path<u64>) -> HttpResponse {
    HttpResponse::Ok().body(format!("deleted {id}"))
}

// ...and innermost: both work.
#[requires_scopes(any("pets:read", "admin"))]
#[get("/pets")]
async fn list_pets(caller: Caller) -> String {
    format!("{} of {} {:?}", caller.sub, caller.tenant, caller.scopes)
}

#[requires_any_scope("pets:read")]
async fn count() -> &'static str {
    "2"
}

async fn start() -> (DevIssuer, String, actix_web::dev::ServerHandle) {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let validator = Validator::builder()
        .issuer(IssuerConfig::discover(idp.issuer()))
        .audience("petstore")
        .realm("petstore")
        .build()
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        App::new().service(
            web::scope("")
                .service(delete_pet)
                .service(list_pets)
                .service(camel)
                .route("/count", web::get().to(count))
                .wrap(AuthLayer::new(validator.clone())),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (idp, base, handle)
}

async fn call(method: reqwest::Method, url: String, token: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

fn challenge(res: &reqwest::Response) -> &str {
    res.headers()["www-authenticate"].to_str().unwrap()
}

#[actix_web::test]
async fn requires_scopes_admits_with_the_scopes_and_answers_403_without() {
    let (idp, base, handle) = start().await;
    let admin = idp.token().scope("pets:write admin").sign();
    let writer = idp.token().scope("pets:write").sign();

    let res = call(reqwest::Method::DELETE, format!("{base}/pets/7"), Some(&admin)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "deleted 7");

    let res = call(reqwest::Method::DELETE, format!("{base}/pets/7"), Some(&writer)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        challenge(&res),
        r#"Bearer realm="petstore", error="insufficient_scope", error_description="the token lacks a scope this resource requires", scope="pets:write admin""#
    );

    let res = call(reqwest::Method::GET, format!("{base}/count"), Some(&writer)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(challenge(&res).ends_with(r#"scope="pets:read""#));
    let res = call(reqwest::Method::GET, format!("{base}/count"), None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    handle.stop(true).await;
}

#[actix_web::test]
async fn typed_claims_need_their_required_claims() {
    let (idp, base, handle) = start().await;
    let tenant = idp.token().subject("alice").scope("pets:read").claim("tenant", json!("acme")).sign();
    let no_tenant = idp.token().scope("pets:read").sign();

    let res = call(reqwest::Method::GET, format!("{base}/pets"), Some(&tenant)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), r#"alice of acme ["pets:read"]"#);

    let res = call(reqwest::Method::GET, format!("{base}/pets"), Some(&no_tenant)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge(&res).contains(r#"error="invalid_token""#));
    handle.stop(true).await;
}

#[actix_web::test]
async fn required_claims_follow_serde_renames() {
    let (idp, base, handle) = start().await;
    let token =
        idp.token().scope("pets:read").claim("tenantId", json!("acme")).claim("org", json!("ops")).sign();
    let res = call(reqwest::Method::GET, format!("{base}/camel"), Some(&token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), r#"acme ops ["pets:read"]"#);

    // The Rust names are not the claims any more: a token carrying them lacks the required ones.
    let snake = idp.token().claim("tenant_id", json!("acme")).claim("org_name", json!("ops")).sign();
    let no_org = idp.token().claim("tenantId", json!("acme")).claim("orgName", json!("ops")).sign();
    for token in [&snake, &no_org] {
        let res = call(reqwest::Method::GET, format!("{base}/camel"), Some(token)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(challenge(&res).contains(r#"error="invalid_token""#));
    }
    handle.stop(true).await;
}
