//! The dev issuer's POST endpoints: introspection (RFC 7662) and the token endpoint (client
//! credentials, RFC 8693 token exchange), with client authentication by HTTP Basic (RFC 6749
//! §2.3.1 encoding) or form fields.

use std::collections::HashMap;
use std::sync::PoisonError;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::{Map, Value, json};

use super::{Response, State, now_unix, random_id, respond};

/// The form, the client credentials presented with it, and a `DPoP` proof header.
type Read = (HashMap<String, String>, Option<(String, String)>, Option<String>);

async fn read(req: hyper::Request<Incoming>) -> Option<Read> {
    let dpop = req.headers().get("dpop").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let basic = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let body = http_body_util::Limited::new(req.into_body(), 64 * 1024).collect().await.ok()?.to_bytes();
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned())
    };
    let presented = match basic.as_deref().and_then(|b| b.split_once(':')) {
        Some((id, secret)) => decode(id).zip(decode(secret)),
        None => form.get("client_id").cloned().zip(form.get("client_secret").cloned()),
    };
    Some((form, presented, dpop))
}

fn authenticated(presented: Option<&(String, String)>, expected: &(String, String)) -> bool {
    presented.is_some_and(|(id, secret)| *id == expected.0 && *secret == expected.1)
}

/// RFC 7662: the resource authenticates, names the token, and learns whether it is active.
pub(super) async fn introspect(state: &State, req: hyper::Request<Incoming>) -> Response {
    let Some((form, presented, _)) = read(req).await else {
        return respond(400, None, json!({"error": "invalid_request"}));
    };
    if !authenticated(presented.as_ref(), &state.introspection_client) {
        return respond(401, None, json!({"error": "invalid_client"}));
    }
    let Some(token) = form.get("token") else {
        return respond(400, None, json!({"error": "invalid_request"}));
    };
    let claims = state.opaque.read().unwrap_or_else(PoisonError::into_inner).get(token).cloned();
    let active = claims.filter(|c| c.get("exp").and_then(Value::as_i64).is_none_or(|exp| now_unix() < exp));
    match active {
        Some(mut claims) => {
            claims.insert("active".into(), true.into());
            claims.entry("token_type").or_insert_with(|| "Bearer".into());
            respond(200, None, Value::Object(claims))
        }
        None => respond(200, None, json!({"active": false})),
    }
}

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// The token endpoint: client credentials and token exchange for the service client.
pub(super) async fn token(state: &State, req: hyper::Request<Incoming>) -> Response {
    let error = |status, code: &str| respond(status, None, json!({"error": code}));
    let Some((form, presented, dpop)) = read(req).await else { return error(400, "invalid_request") };
    if !authenticated(presented.as_ref(), &state.service_client) {
        return error(401, "invalid_client");
    }
    let client_id = state.service_client.0.clone();
    let mut claims = Map::new();
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {
            claims.insert("sub".into(), client_id.clone().into());
        }
        Some(TOKEN_EXCHANGE) => {
            if form.get("subject_token_type").map(String::as_str) != Some(ACCESS_TOKEN_TYPE) {
                return error(400, "invalid_request");
            }
            let Some(subject) = form.get("subject_token").and_then(|t| verified_claims(state, t)) else {
                return error(400, "invalid_grant");
            };
            if let Some(sub) = subject.get("sub") {
                claims.insert("sub".into(), sub.clone());
            }
            claims.insert("act".into(), json!({ "sub": client_id }));
        }
        _ => return error(400, "unsupported_grant_type"),
    }
    let now = now_unix();
    let aud = form.get("resource").or(form.get("audience")).cloned().unwrap_or_else(|| "petstore".to_owned());
    claims.insert("iss".into(), state.issuer.clone().into());
    claims.insert("aud".into(), aud.into());
    claims.insert("client_id".into(), client_id.into());
    claims.insert("jti".into(), random_id().into());
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), (now + 3600).into());
    if let Some(scope) = form.get("scope") {
        claims.insert("scope".into(), scope.clone().into());
    }
    // A development stand-in for a step-up sign-in (RFC 9470 §4): `acr_values` on an exchange
    // of the user's token yields a token of the first class asked for, authenticated now.
    if let (Some(TOKEN_EXCHANGE), Some(acr)) = (
        form.get("grant_type").map(String::as_str),
        form.get("acr_values").and_then(|v| v.split(' ').find(|a| !a.is_empty())),
    ) {
        claims.insert("acr".into(), acr.into());
        claims.insert("auth_time".into(), now.into());
    }
    // A token request with a DPoP proof (RFC 9449 §5) gets a token bound to the proof's key.
    let bound = match dpop {
        None => false,
        Some(proof) => match checked_proof(state, &proof) {
            Some(jkt) => {
                claims.insert("cnf".into(), json!({ "jkt": jkt }));
                true
            }
            None => return error(400, "invalid_dpop_proof"),
        },
    };
    let key = state.read(|k| std::sync::Arc::clone(&k.current));
    let token = key.mint(&Value::Object(claims));
    let token_type = if bound { "DPoP" } else { "Bearer" };
    let mut answer = json!({"access_token": token, "token_type": token_type, "expires_in": 3600});
    if form.get("grant_type").map(String::as_str) == Some(TOKEN_EXCHANGE) {
        answer["issued_token_type"] = ACCESS_TOKEN_TYPE.into();
    }
    respond(200, None, answer)
}

/// The thumbprint of a valid proof for `POST <token endpoint>`, made within a minute.
fn checked_proof(state: &State, proof: &str) -> Option<String> {
    use crate::checks::dpop::{htu, proof as dpop};
    let keys = dpop::ProofKeys::new(1);
    let mut scratch = Vec::new();
    let proof =
        dpop::verify(proof.as_bytes(), crate::AlgorithmSet::asymmetric(), &keys, &mut scratch).ok()?;
    let fresh = (now_unix() - proof.iat).abs() <= 60;
    let target = format!("{}/token", state.issuer);
    (fresh && proof.htm == "POST" && htu::same_target(&proof.htu, &target)).then(|| proof.jkt().to_owned())
}

/// The claims of a JWT this issuer signed with a key it still publishes, unexpired.
fn verified_claims(state: &State, token: &str) -> Option<Map<String, Value>> {
    let (signing_input, signature) = token.rsplit_once('.')?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let payload = URL_SAFE_NO_PAD.decode(signing_input.split('.').nth(1)?).ok()?;
    let signed =
        state.read(|k| k.published.iter().any(|key| key.verify_own(signing_input.as_bytes(), &signature)));
    let claims: Map<String, Value> = serde_json::from_slice(&payload).ok()?;
    let fresh = claims.get("exp").and_then(Value::as_i64).is_some_and(|exp| now_unix() < exp);
    (signed && fresh && claims.get("iss").and_then(Value::as_str) == Some(&state.issuer)).then_some(claims)
}
