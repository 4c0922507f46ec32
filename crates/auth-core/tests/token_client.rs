//! The outbound token client against a real token endpoint on 127.0.0.1 whose answers and faults
//! the test controls, which checks every client authentication method and counts requests.

mod common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_core::client::{ClientCredentials, PrivateKey, Target, TokenClient, TokenError};
use auth_core::dev_issuer::SigningKey;
use auth_core::{Algorithm, IssuerConfig, StaticKey, Validator};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

const CLIENT: &str = "gateway";
const SECRET: &str = "s3cret:&/odd";

#[derive(Clone)]
enum Mode {
    Token { expires_in: Option<u64> },
    Status(u16),
}

struct State {
    mode: Mutex<Mode>,
    forms: Mutex<Vec<HashMap<String, String>>>,
    gate: Semaphore,
    /// Verifies `private_key_jwt` assertions.
    assertions: Mutex<Option<Validator>>,
    issued: Mutex<u64>,
}

struct Endpoint {
    state: Arc<State>,
    url: String,
}

impl Endpoint {
    async fn start() -> Endpoint {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/token", listener.local_addr().unwrap());
        let state = Arc::new(State {
            mode: Mutex::new(Mode::Token { expires_in: Some(100) }),
            forms: Mutex::new(Vec::new()),
            gate: Semaphore::new(Semaphore::MAX_PERMITS),
            assertions: Mutex::new(None),
            issued: Mutex::new(0),
        });
        let shared = Arc::clone(&state);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let state = Arc::clone(&shared);
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(answer(&state, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Endpoint { state, url }
    }

    fn requests(&self) -> usize {
        self.state.forms.lock().unwrap().len()
    }

    fn form(&self, i: usize) -> HashMap<String, String> {
        self.state.forms.lock().unwrap()[i].clone()
    }

    fn set(&self, mode: Mode) {
        *self.state.mode.lock().unwrap() = mode;
    }
}

async fn answer(state: &State, req: hyper::Request<hyper::body::Incoming>) -> hyper::Response<Full<Bytes>> {
    let basic = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let mut form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let _permit = state.gate.acquire().await.unwrap();
    // Which authentication the request used, checked.
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let expected = format!("Basic {}", STANDARD.encode(format!("{}:{}", encode(CLIENT), encode(SECRET))));
    let auth = if basic.as_deref() == Some(expected.as_str()) {
        "basic"
    } else if form.get("client_id").map(String::as_str) == Some(CLIENT)
        && form.get("client_secret").map(String::as_str) == Some(SECRET)
    {
        "post"
    } else if let Some(assertion) = form.get("client_assertion") {
        let validator = state.assertions.lock().unwrap().clone();
        match validator {
            Some(v)
                if form.get("client_assertion_type").map(String::as_str)
                    == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
                    && v.validate(assertion).await.is_ok_and(|c| {
                        c.registered().sub() == Some(CLIENT)
                            && c.registered().jti().is_some()
                            && c.registered()
                                .exp()
                                .zip(c.registered().iat())
                                .is_some_and(|(e, i)| e - i <= 60)
                    }) =>
            {
                "private_key_jwt"
            }
            _ => "bad",
        }
    } else {
        "bad"
    };
    form.insert("auth".into(), auth.into());
    state.forms.lock().unwrap().push(form);
    let respond = |status: u16, body: Value| {
        hyper::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap()
    };
    if auth == "bad" {
        return respond(401, json!({"error": "invalid_client"}));
    }
    let mode = state.mode.lock().unwrap().clone();
    match mode {
        Mode::Token { expires_in } => {
            let n = {
                let mut issued = state.issued.lock().unwrap();
                *issued += 1;
                *issued
            };
            let mut body = json!({"access_token": format!("token-{n}"), "token_type": "Bearer"});
            if let Some(secs) = expires_in {
                body["expires_in"] = json!(secs);
            }
            respond(200, body)
        }
        Mode::Status(status) => respond(status, json!({"error": "server_error"})),
    }
}

fn client(endpoint: &Endpoint) -> TokenClient {
    TokenClient::builder(CLIENT)
        .credentials(ClientCredentials::SecretBasic { secret: SECRET.into() })
        .token_endpoint(&endpoint.url)
        .build()
        .unwrap()
}

fn target() -> Target {
    Target::resource("https://petstore.example.com").scope("pets:read")
}

#[tokio::test]
async fn client_credentials_are_asked_once_and_reused() {
    let endpoint = Endpoint::start().await;
    let c = client(&endpoint);
    let token = c.token(&target()).await.unwrap();
    assert_eq!(token.secret(), "token-1");
    assert_eq!(token.authorization(), "Bearer token-1");
    let form = endpoint.form(0);
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["resource"], "https://petstore.example.com");
    assert_eq!(form["scope"], "pets:read");
    assert_eq!(form["auth"], "basic");
    // The same target, scopes in another order: the same token.
    let again = c.token(&Target::resource("https://petstore.example.com").scope("pets:read")).await.unwrap();
    assert_eq!(again.generation(), token.generation());
    let wider = Target::resource("https://petstore.example.com").scope("pets:write pets:read");
    let same_wider = Target::resource("https://petstore.example.com").scope("pets:read").scope("pets:write");
    let w = c.token(&wider).await.unwrap();
    assert_eq!(c.token(&same_wider).await.unwrap().generation(), w.generation());
    assert_ne!(w.generation(), token.generation());
    assert_eq!(endpoint.requests(), 2);
    assert_eq!(c.requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_first_callers_make_one_request() {
    let endpoint = Endpoint::start().await;
    let c = client(&endpoint);
    let held = endpoint.state.gate.acquire_many(Semaphore::MAX_PERMITS as u32).await.unwrap();
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.token(&target()).await })
        })
        .collect();
    while c.requests() == 0 {
        tokio::task::yield_now().await;
    }
    drop(held);
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().secret(), "token-1");
    }
    assert_eq!(endpoint.requests(), 1);
}

/// Lets the client's background work run until `done` holds (the clock stays where it is).
async fn until(done: impl Fn() -> bool) {
    for _ in 0..100_000 {
        if done() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("never happened");
}

#[tokio::test(start_paused = true)]
async fn tokens_are_refreshed_ahead_without_a_waiting_caller() {
    let endpoint = Endpoint::start().await;
    let c = TokenClient::builder(CLIENT)
        .credentials(ClientCredentials::SecretPost { secret: SECRET.into() })
        .token_endpoint(&endpoint.url)
        .refresh_at(0.8)
        .build()
        .unwrap();
    let first = c.token(&target()).await.unwrap();
    assert_eq!(endpoint.form(0)["auth"], "post");
    // At 0.8 of 100 s, ±5 s: by 86 s the refresh has happened, with no caller waiting.
    tokio::time::advance(Duration::from_secs(86)).await;
    until(|| endpoint.requests() == 2).await;
    // Callers meanwhile get the current token at once, then the new one.
    let mut next = c.token(&target()).await.unwrap();
    for _ in 0..100_000 {
        if next.generation() != first.generation() {
            break;
        }
        tokio::task::yield_now().await;
        next = c.token(&target()).await.unwrap();
    }
    assert_eq!(next.secret(), "token-2");
    assert_eq!(endpoint.requests(), 2);
    // A token nobody uses is not refreshed.
    tokio::time::advance(Duration::from_secs(200)).await;
    for _ in 0..1000 {
        tokio::task::yield_now().await;
    }
    assert_eq!(endpoint.requests(), 3, "refreshed once more: it was used after the first refresh");
    tokio::time::advance(Duration::from_secs(200)).await;
    for _ in 0..1000 {
        tokio::task::yield_now().await;
    }
    assert_eq!(endpoint.requests(), 3, "then unused: left to expire");
}

#[tokio::test(start_paused = true)]
async fn an_outage_is_ridden_out_until_the_token_expires() {
    let endpoint = Endpoint::start().await;
    let c = client(&endpoint);
    let first = c.token(&target()).await.unwrap();
    endpoint.set(Mode::Status(503));
    tokio::time::advance(Duration::from_secs(86)).await;
    until(|| endpoint.requests() == 2).await;
    // The refresh failed: the last good token is still handed out.
    assert_eq!(c.token(&target()).await.unwrap().generation(), first.generation());
    tokio::time::advance(Duration::from_secs(15)).await;
    let err = c.token(&target()).await.unwrap_err();
    assert!(matches!(err, TokenError::Unavailable { .. }), "{err:?}");
    // The provider back: a new token.
    endpoint.set(Mode::Token { expires_in: Some(100) });
    tokio::time::advance(Duration::from_secs(30)).await;
    assert!(c.token(&target()).await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn a_token_without_expires_in_lives_the_default_lifetime() {
    let endpoint = Endpoint::start().await;
    endpoint.set(Mode::Token { expires_in: None });
    let c = TokenClient::builder(CLIENT)
        .credentials(ClientCredentials::SecretBasic { secret: SECRET.into() })
        .token_endpoint(&endpoint.url)
        .default_lifetime(Duration::from_secs(50))
        .build()
        .unwrap();
    let t = c.token(&target()).await.unwrap();
    let left = t.expires_at() - tokio::time::Instant::now();
    assert!(left <= Duration::from_secs(50) && left > Duration::from_secs(49), "{left:?}");
}

#[tokio::test]
async fn a_401_drops_only_the_token_that_was_sent() {
    let endpoint = Endpoint::start().await;
    let c = client(&endpoint);
    let old = c.token(&target()).await.unwrap();
    // Two callers saw 401 for the old token: the first drops it and fetches anew...
    assert!(c.invalidate(&target(), None, &old));
    let new = c.token(&target()).await.unwrap();
    assert_ne!(new.generation(), old.generation());
    // ...the second's drop comes too late and keeps the new token.
    assert!(!c.invalidate(&target(), None, &old));
    assert_eq!(c.token(&target()).await.unwrap().generation(), new.generation());
    assert_eq!(endpoint.requests(), 2);
}

#[tokio::test]
async fn token_exchange_is_cached_per_subject() {
    let endpoint = Endpoint::start().await;
    let c = client(&endpoint);
    let alice = c.exchange("alice-token", &target()).await.unwrap();
    let form = endpoint.form(0);
    assert_eq!(form["grant_type"], "urn:ietf:params:oauth:grant-type:token-exchange");
    assert_eq!(form["subject_token"], "alice-token");
    assert_eq!(form["subject_token_type"], "urn:ietf:params:oauth:token-type:access_token");
    assert_eq!(c.exchange("alice-token", &target()).await.unwrap().generation(), alice.generation());
    let bob = c.exchange("bob-token", &target()).await.unwrap();
    assert_ne!(bob.generation(), alice.generation());
    // Not the client's own token either.
    assert_ne!(c.token(&target()).await.unwrap().generation(), alice.generation());
    assert_eq!(endpoint.requests(), 3);
}

#[tokio::test]
async fn private_key_jwt_sends_a_fresh_signed_assertion() {
    let endpoint = Endpoint::start().await;
    let key = SigningKey::generate(Algorithm::ES256).unwrap().with_kid("gw-1");
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode(key.to_pkcs8().unwrap())
    );
    let verifier = Validator::builder()
        .issuer(IssuerConfig::static_keys(CLIENT, [StaticKey::jwk(key.public_jwk().to_string())]))
        .audience(&endpoint.url)
        .no_token_cache()
        .build()
        .unwrap();
    *endpoint.state.assertions.lock().unwrap() = Some(verifier);
    let c = TokenClient::builder(CLIENT)
        .credentials(ClientCredentials::PrivateKeyJwt(
            PrivateKey::from_pem(Algorithm::ES256, pem.as_bytes(), Some("gw-1")).unwrap(),
        ))
        .token_endpoint(&endpoint.url)
        .build()
        .unwrap();
    c.token(&target()).await.unwrap();
    c.token(&Target::audience("other")).await.unwrap();
    assert_eq!(
        (endpoint.form(0)["auth"].as_str(), endpoint.form(1)["auth"].as_str()),
        ("private_key_jwt", "private_key_jwt")
    );
    assert_ne!(
        endpoint.form(0)["client_assertion"],
        endpoint.form(1)["client_assertion"],
        "a fresh assertion each time"
    );
}

#[tokio::test]
async fn refusals_and_bad_credentials_are_typed() {
    let endpoint = Endpoint::start().await;
    let wrong = TokenClient::builder(CLIENT)
        .credentials(ClientCredentials::SecretBasic { secret: "wrong".into() })
        .token_endpoint(&endpoint.url)
        .build()
        .unwrap();
    assert_eq!(wrong.token(&target()).await.unwrap_err(), TokenError::Refused { status: 401 });
    endpoint.set(Mode::Status(400));
    assert_eq!(client(&endpoint).token(&target()).await.unwrap_err(), TokenError::Refused { status: 400 });
    endpoint.set(Mode::Status(500));
    assert!(matches!(client(&endpoint).token(&target()).await, Err(TokenError::Unavailable { .. })));
}

#[test]
fn settings_are_checked_at_build() {
    let build = |b: auth_core::client::TokenClientBuilder| b.build().unwrap_err().setting().to_owned();
    let secret = || ClientCredentials::SecretBasic { secret: "s".into() };
    assert_eq!(build(TokenClient::builder("c").token_endpoint("https://idp/t")), "client.credentials");
    assert_eq!(build(TokenClient::builder("c").credentials(secret())), "client.token_endpoint");
    assert_eq!(
        build(TokenClient::builder("c").credentials(secret()).token_endpoint("http://idp.example/t")),
        "client.token_endpoint"
    );
    assert_eq!(
        build(
            TokenClient::builder("c").credentials(secret()).token_endpoint("https://idp/t").refresh_at(1.0)
        ),
        "client.refresh_at"
    );
    assert_eq!(
        build(TokenClient::builder("").credentials(secret()).token_endpoint("https://idp/t")),
        "client.client_id"
    );
}
