//! The OpenAPI security of handlers guarded by the real attributes: what `#[requires_scopes]`,
//! `#[requires_any_scope]` and `#[requires_step_up]` state is what the document says, found by
//! the handler's name through utoipa's default `operationId` (actix-web handlers).
#![cfg(all(feature = "utoipa", feature = "macros"))]

use actix_auth::openapi::{OpenApiError, OpenApiSecurity};
use actix_auth::{AuthLayer, requires_any_scope, requires_scopes, requires_step_up};
use actix_web::HttpResponse;
use auth_core::{Algorithm, IssuerConfig, StaticKey, Validator};
use serde_json::{Value, json};
use utoipa::OpenApi;

#[utoipa::path(delete, path = "/pets/{id}", responses((status = 204, description = "Deleted")))]
#[requires_scopes("pets:write", "admin")]
async fn remove_pet() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

#[utoipa::path(get, path = "/pets", responses((status = 200, description = "The pets")))]
#[requires_any_scope("pets:read", "admin")]
async fn browse_pets() -> HttpResponse {
    HttpResponse::Ok().body("[]")
}

#[utoipa::path(post, path = "/orders/{id}/payment", responses((status = 200, description = "Paid")))]
#[requires_scopes("pets:write")]
#[requires_step_up(acr = ["mfa", "hwk"], max_age = 300)]
async fn settle_order() -> HttpResponse {
    HttpResponse::Ok().body("paid")
}

#[utoipa::path(get, path = "/whoami", responses((status = 200, description = "The caller")))]
async fn whoami() -> HttpResponse {
    HttpResponse::Ok().body("you")
}

#[utoipa::path(get, path = "/status", responses((status = 200, description = "Up")))]
async fn status() -> HttpResponse {
    HttpResponse::Ok().body("up")
}

#[derive(OpenApi)]
#[openapi(paths(remove_pet, browse_pets, settle_order, whoami, status))]
struct Api;

fn validator() -> Validator {
    Validator::builder()
        .issuer(IssuerConfig::static_keys("https://idp.example.com", [StaticKey::hmac(vec![7; 32])]))
        .algorithms([Algorithm::HS256])
        .audience("petstore")
        .build()
        .unwrap()
}

/// The routes, as an application mounts them (the document above describes them).
fn routes(cfg: &mut actix_web::web::ServiceConfig) {
    use actix_web::web;
    cfg.route("/pets/{id}", web::delete().to(remove_pet))
        .route("/pets", web::get().to(browse_pets))
        .route("/orders/{id}/payment", web::post().to(settle_order))
        .route("/whoami", web::get().to(whoami))
        .route("/status", web::get().to(status));
}

fn document() -> Value {
    let validator = validator();
    let mut api = Api::openapi();
    OpenApiSecurity::new(&validator)
        .handlers_in(module_path!())
        .operation("whoami", &AuthLayer::new(validator.clone()))
        .apply(&mut api)
        .unwrap();
    serde_json::to_value(&api).unwrap()
}

#[test]
fn the_attributes_are_the_document() {
    let _ = actix_web::App::new().configure(routes);
    let doc = document();
    let op = |path: &str, method: &str| doc["paths"][path][method].clone();
    assert_eq!(op("/pets/{id}", "delete")["security"], json!([{"openid": ["pets:write", "admin"]}]));
    assert_eq!(op("/pets", "get")["security"], json!([{"openid": ["pets:read"]}, {"openid": ["admin"]}]));
    let pay = op("/orders/{id}/payment", "post");
    assert_eq!(pay["security"], json!([{"openid": ["pets:write"]}]));
    assert_eq!(pay["x-step-up"], json!([{"acr_values": ["mfa", "hwk"], "max_age": 300}]));
    assert!(
        pay["responses"]["401"]["description"].as_str().unwrap().contains("insufficient_user_authentication")
    );
    assert_eq!(op("/whoami", "get")["security"], json!([{"openid": []}]));
    assert_eq!(op("/status", "get")["security"], Value::Null);
    assert!(op("/status", "get")["responses"].get("401").is_none());
    // The handler's own answers are kept beside the added refusals.
    let delete = op("/pets/{id}", "delete");
    let keys: Vec<&String> = delete["responses"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["204", "401", "403"]);
}

#[test]
fn a_typo_in_a_declared_operation_is_an_error() {
    let validator = validator();
    let mut api = Api::openapi();
    let err = OpenApiSecurity::new(&validator)
        .handlers_in(module_path!())
        .operation("who_am_i", &AuthLayer::new(validator.clone()))
        .apply(&mut api)
        .unwrap_err();
    assert_eq!(err, OpenApiError::UnknownOperation("who_am_i".into()));
}
