//! The benchmark peer: the Petstore's `GET /pets` (same JSON, same seed pets, same scope
//! check) and `GET /health`, with `/pets` behind jwt-authorizer validating RS256 tokens
//! against a JWKS URL, `iss` and `aud` checked as the Petstore does.
//!
//! Environment: `AUTH_JWKS_URL` (required), `AUTH_ISSUER` (required), `AUTH_AUDIENCE`
//! (default `petstore`), `PEER_ADDR` (default `127.0.0.1:0`). Prints
//! `peer-jwt-authorizer listening on http://ADDR` once it listens.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::Algorithm;
use jwt_authorizer::{IntoLayer, JwtAuthorizer, Validation};
use serde::{Deserialize, Serialize};

/// The Petstore's pet, rendered the same way.
#[derive(Debug, Clone, Serialize)]
struct Pet {
    id: u64,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag: Option<String>,
    status: &'static str,
}

/// The claims the scope check reads.
#[derive(Debug, Clone, Deserialize)]
struct Claims {
    #[serde(default)]
    scope: String,
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    keys_loaded: bool,
}

type Store = Arc<Mutex<BTreeMap<u64, Pet>>>;

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} must be set"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jwks_url = var("AUTH_JWKS_URL")?;
    let issuer = var("AUTH_ISSUER")?;
    let audience = std::env::var("AUTH_AUDIENCE").unwrap_or_else(|_| "petstore".to_owned());
    let addr = std::env::var("PEER_ADDR").unwrap_or_else(|_| "127.0.0.1:0".to_owned());

    let validation = Validation::new().iss(&[issuer]).aud(&[audience]).algs(vec![Algorithm::RS256]);
    let authorizer = JwtAuthorizer::<Claims>::from_jwks_url(&jwks_url)
        .validation(validation)
        // The Petstore's `RequireScopesLayer::all(["pets:read"])`.
        .check(|claims: &Claims| claims.scope.split_whitespace().any(|s| s == "pets:read"))
        .build()
        .await?;

    let store: Store = Arc::new(Mutex::new(BTreeMap::from([
        (1, Pet { id: 1, name: "Rex".into(), tag: Some("dog".into()), status: "available" }),
        (2, Pet { id: 2, name: "Tom".into(), tag: Some("cat".into()), status: "available" }),
    ])));
    let app = Router::new()
        .route("/pets", get(list_pets).layer(authorizer.into_layer()))
        .route("/health", get(health))
        .with_state(store);

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("peer-jwt-authorizer listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

async fn list_pets(State(store): State<Store>) -> Json<Vec<Pet>> {
    // Cloned under the lock, as the Petstore's store does.
    let pets = store.lock().map(|pets| pets.values().cloned().collect()).unwrap_or_default();
    Json(pets)
}

async fn health() -> Json<Health> {
    Json(Health { status: "ok", keys_loaded: true })
}
