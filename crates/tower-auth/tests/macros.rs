//! The auth-macros, on a real axum server behind a real `AuthLayer`, called with reqwest, with
//! tokens from auth-core's loopback dev issuer: `#[requires_scopes]` answers like
//! `RequireScopesLayer`, `#[derive(Claims)]` types are handler arguments.

use auth_core::dev_issuer::DevIssuer;
use auth_core::{Algorithm, IssuerConfig, Validator};
use axum::Router;
use axum::routing::get;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;
use tower_auth::{AuthLayer, Claims, Scopes, requires_any_scope, requires_scopes};

#[derive(Scopes)]
enum PetScope {
    #[scope("pets:write")]
    Write,
}

#[derive(Deserialize, Claims)]
struct Caller {
    sub: String,
    #[claims(scopes)]
    scopes: Vec<String>,
    #[claims(scopes = "roles")]
    roles: Vec<String>,
}

#[derive(Deserialize, Claims)]
#[claims(required = ["tenant"])]
struct TenantCaller {
    tenant: String,
}

#[requires_scopes(PetScope::Write, "admin")]
async fn delete_pet() -> &'static str {
    "deleted"
}

#[requires_scopes(any("pets:read", "admin"))]
async fn list_pets(caller: Caller) -> String {
    format!("{} {:?} {:?}", caller.sub, caller.scopes, caller.roles)
}

#[requires_any_scope("pets:read")]
async fn maybe(caller: Option<Caller>) -> String {
    caller.map_or_else(|| "anonymous".to_owned(), |c| c.sub)
}

async fn tenant(caller: TenantCaller) -> String {
    caller.tenant
}

/// Claims named as serde reads them: `tenantId` (camelCase), `org` (renamed for deserializing),
/// and the scopes filled in as `grantedScopes`.
#[derive(Deserialize, Claims)]
#[serde(rename_all = "camelCase")]
struct CamelCaller {
    #[claims(required)]
    tenant_id: String,
    #[serde(rename(deserialize = "org"))]
    #[claims(required)]
    organisation: String,
    #[claims(scopes)]
    granted_scopes: Vec<String>,
}

async fn camel(caller: CamelCaller) -> String {
    format!("{} {} {:?}", caller.tenant_id, caller.organisation, caller.granted_scopes)
}

async fn start() -> (DevIssuer, String, String) {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let validator = Validator::builder()
        .issuer(IssuerConfig::discover(idp.issuer()))
        .audience("petstore")
        .realm("petstore")
        .build()
        .unwrap();
    let routes = || {
        Router::new()
            .route("/pets", get(list_pets).delete(delete_pet))
            .route("/tenant", get(tenant))
            .route("/camel", get(camel))
            .route("/maybe", get(maybe))
    };
    let app = Router::new()
        .nest("/required", routes().route_layer(AuthLayer::new(validator.clone())))
        .nest("/optional", routes().route_layer(AuthLayer::new(validator).optional()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (idp, format!("{base}/required"), format!("{base}/optional"))
}

async fn call(method: reqwest::Method, url: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

fn challenge(res: &reqwest::Response) -> &str {
    res.headers()["www-authenticate"].to_str().unwrap()
}

#[tokio::test]
async fn requires_scopes_admits_with_the_scopes_and_answers_403_without() {
    let (idp, base, _) = start().await;
    let pets = format!("{base}/pets");
    let admin = idp.token().scope("pets:write admin").sign();
    let writer = idp.token().scope("pets:read pets:write").sign();

    let res = call(reqwest::Method::DELETE, &pets, Some(&admin)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "deleted");

    let res = call(reqwest::Method::DELETE, &pets, Some(&writer)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        challenge(&res),
        r#"Bearer realm="petstore", error="insufficient_scope", error_description="the token lacks a scope this resource requires", scope="pets:write admin""#
    );
    let body: serde_json::Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(body["error"], "insufficient_scope");

    let res = call(reqwest::Method::DELETE, &pets, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&res), r#"Bearer realm="petstore""#);
}

#[tokio::test]
async fn any_of_admits_either_scope_and_typed_claims_carry_scopes() {
    let (idp, base, optional) = start().await;
    let pets = format!("{base}/pets");
    let reader = idp.token().subject("alice").scope("pets:read").claim("roles", json!(["vet"])).sign();
    let admin = idp.token().subject("root").claim("scp", json!(["admin"])).sign();
    let other = idp.token().scope("store:read").sign();

    let res = call(reqwest::Method::GET, &pets, Some(&reader)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), r#"alice ["pets:read"] ["vet"]"#);
    let res = call(reqwest::Method::GET, &pets, Some(&admin)).await;
    assert_eq!(res.text().await.unwrap(), r#"root ["admin"] []"#);

    let res = call(reqwest::Method::GET, &pets, Some(&other)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(challenge(&res).ends_with(r#"scope="pets:read admin""#));

    // Behind an optional layer an anonymous caller still cannot pass a scope requirement.
    let res = call(reqwest::Method::GET, &format!("{optional}/maybe"), None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = call(reqwest::Method::GET, &format!("{optional}/maybe"), Some(&reader)).await;
    assert_eq!(res.text().await.unwrap(), "alice");
}

#[tokio::test]
async fn required_claims_follow_serde_renames() {
    let (idp, base, _) = start().await;
    let token = idp
        .token()
        .scope("pets:read")
        .claim("tenantId", json!("acme"))
        .claim("org", json!("pets inc"))
        .sign();
    let res = call(reqwest::Method::GET, &format!("{base}/camel"), Some(&token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), r#"acme pets inc ["pets:read"]"#);
    // The Rust field names are not the claims: a token carrying those lacks the required ones,
    // and so does one with the renamed field under its camelCase name.
    let rust_names = idp.token().claim("tenant_id", json!("acme")).claim("organisation", json!("x")).sign();
    let no_org = idp.token().claim("tenantId", json!("acme")).claim("organisation", json!("x")).sign();
    for token in [&rust_names, &no_org] {
        let res = call(reqwest::Method::GET, &format!("{base}/camel"), Some(token)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(challenge(&res).contains(r#"error="invalid_token""#));
    }
}

#[tokio::test]
async fn required_claims_are_checked_at_extraction() {
    let (idp, base, optional) = start().await;
    let with = idp.token().claim("tenant", json!("acme")).sign();
    let without = idp.token().sign();
    let null = idp.token().claim("tenant", json!(null)).sign();

    let res = call(reqwest::Method::GET, &format!("{base}/tenant"), Some(&with)).await;
    assert_eq!(res.text().await.unwrap(), "acme");
    for token in [&without, &null] {
        let res = call(reqwest::Method::GET, &format!("{base}/tenant"), Some(token)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(challenge(&res).contains(r#"error="invalid_token""#));
    }
    let res = call(reqwest::Method::GET, &format!("{optional}/tenant"), None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn scope_claim_of_the_wrong_type_is_invalid_token() {
    let (idp, base, _) = start().await;
    let token = idp.token().scope("pets:read").claim("roles", json!(7)).sign();
    let res = call(reqwest::Method::GET, &format!("{base}/pets"), Some(&token)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge(&res).contains(r#"error="invalid_token""#));
}
