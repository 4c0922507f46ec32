//! The floor server: `GET /health`, and `GET /pets` that verifies the signature of the request's
//! `DPoP` proof with a key parsed once at startup and does nothing else: no header or claim
//! parsing, no thumbprint, no replay store, no access token. `bench/http.sh` loads both with the
//! Petstores' DPoP requests; the difference of their costs per request is one ES256 verification
//! between HTTP work on this machine, the physical part of the DPoP limit.
//!
//! Environment: `DPOP_KEY` (required: the Petstore banner's client key, base64url PKCS#8 of an
//! ES256 key), `FLOOR_ADDR` (default `127.0.0.1:0`), `TOKIO_WORKER_THREADS`. Prints
//! `dpop-floor listening on http://ADDR` once it listens.

#![forbid(unsafe_code)]

use std::sync::Arc;

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, ParsedPublicKey,
};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pkcs8 = URL_SAFE_NO_PAD.decode(std::env::var("DPOP_KEY").map_err(|_| "DPOP_KEY must be set")?)?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8)
        .map_err(|e| format!("DPOP_KEY is not an ES256 PKCS#8 key: {e}"))?;
    let key = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref())
        .map_err(|e| format!("cannot parse the public key: {e}"))?;
    let addr = std::env::var("FLOOR_ADDR").unwrap_or_else(|_| "127.0.0.1:0".to_owned());

    let app =
        Router::new().route("/pets", get(verified)).route("/health", get(health)).with_state(Arc::new(key));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("dpop-floor listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

async fn health() -> &'static str {
    "ok"
}

/// 200 when the `DPoP` header's signature verifies with the startup key, else 401.
async fn verified(State(key): State<Arc<ParsedPublicKey>>, headers: HeaderMap) -> StatusCode {
    let proof = headers.get("dpop").map_or(&[][..], |value| value.as_bytes());
    let verified = proof.iter().rposition(|b| *b == b'.').is_some_and(|dot| {
        URL_SAFE_NO_PAD.decode(&proof[dot + 1..]).is_ok_and(|sig| key.verify_sig(&proof[..dot], &sig).is_ok())
    });
    if verified { StatusCode::OK } else { StatusCode::UNAUTHORIZED }
}
