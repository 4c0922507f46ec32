//! Opaque tokens by introspection (RFC 7662) against a real endpoint on 127.0.0.1 whose answers
//! and faults each test controls, which checks the client's credentials and counts calls per token.

mod common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_core::{
    Algorithm, AuthError, ClientAuth, IntrospectionOptions, IssuerConfig, ManualClock, TokenProblem,
    Validator, ValidatorBuilder,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use common::{AUD, ISS, NOW};

const ID: &str = "petstore api";
const SECRET: &str = "s3cret:with/odd&chars";

/// What the endpoint answers.
#[derive(Clone)]
enum Mode {
    /// From `answers` (unknown tokens are inactive).
    Normal,
    Status(u16),
    Body(&'static str, &'static str),
    Hang,
}

struct State {
    mode: Mutex<Mode>,
    answers: Mutex<HashMap<String, Value>>,
    calls: Mutex<HashMap<String, u64>>,
    /// Each call takes a permit before it answers (tests hold them to make requests wait).
    gate: Semaphore,
    /// How the client authenticated on the last call: `basic` or `post`.
    auth: Mutex<Vec<String>>,
}

struct Endpoint {
    state: Arc<State>,
    url: String,
}

impl Endpoint {
    async fn start() -> Endpoint {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            mode: Mutex::new(Mode::Normal),
            answers: Mutex::new(HashMap::new()),
            calls: Mutex::new(HashMap::new()),
            gate: Semaphore::new(Semaphore::MAX_PERMITS),
            auth: Mutex::new(Vec::new()),
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
        Endpoint { state, url: format!("http://{addr}/introspect") }
    }

    fn active(&self, token: &str, claims: Value) {
        let mut claims = claims;
        claims["active"] = json!(true);
        self.state.answers.lock().unwrap().insert(token.to_owned(), claims);
    }

    fn set(&self, mode: Mode) {
        *self.state.mode.lock().unwrap() = mode;
    }

    fn calls(&self, token: &str) -> u64 {
        self.state.calls.lock().unwrap().get(token).copied().unwrap_or(0)
    }

    fn total_calls(&self) -> u64 {
        self.state.calls.lock().unwrap().values().sum()
    }
}

async fn answer(state: &State, req: hyper::Request<hyper::body::Incoming>) -> hyper::Response<Full<Bytes>> {
    let basic = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let token = form.get("token").cloned().unwrap_or_default();
    *state.calls.lock().unwrap().entry(token.clone()).or_default() += 1;
    let _permit = state.gate.acquire().await.unwrap();
    let respond = |status: u16, content_type: &str, body: String| {
        hyper::Response::builder()
            .status(status)
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(body)))
            .unwrap()
    };
    // RFC 6749 §2.3.1: form-urlencoded id and secret, then Basic.
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let expected_basic = format!("Basic {}", STANDARD.encode(format!("{}:{}", encode(ID), encode(SECRET))));
    let by_basic = basic.as_deref() == Some(expected_basic.as_str());
    let by_post = form.get("client_id").map(String::as_str) == Some(ID)
        && form.get("client_secret").map(String::as_str) == Some(SECRET);
    state.auth.lock().unwrap().push(
        if by_basic {
            "basic"
        } else if by_post {
            "post"
        } else {
            "none"
        }
        .to_owned(),
    );
    let well_formed = content_type.as_deref() == Some("application/x-www-form-urlencoded")
        && form.get("token_type_hint").map(String::as_str) == Some("access_token");
    if !(by_basic || by_post) || !well_formed {
        return respond(401, "application/json", r#"{"error":"invalid_client"}"#.into());
    }
    let mode = state.mode.lock().unwrap().clone();
    match mode {
        Mode::Normal => {
            let answer =
                state.answers.lock().unwrap().get(&token).cloned().unwrap_or(json!({"active": false}));
            respond(200, "application/json; charset=utf-8", answer.to_string())
        }
        Mode::Status(status) => respond(status, "application/json", "{}".into()),
        Mode::Body(content_type, body) => respond(200, content_type, body.into()),
        Mode::Hang => std::future::pending().await,
    }
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(NOW))
}

fn builder(clock: &Arc<ManualClock>, options: IntrospectionOptions) -> ValidatorBuilder {
    common::builder([common::static_key(common::key(Algorithm::ES256))], &[Algorithm::ES256])
        .clock(Arc::clone(clock))
        .introspection(options)
}

fn options(endpoint: &Endpoint) -> IntrospectionOptions {
    IntrospectionOptions::new(ID, SECRET).endpoint(&endpoint.url)
}

fn good() -> Value {
    json!({"iss": ISS, "aud": AUD, "sub": "alice", "client_id": "app", "scope": "pets:read pets:write", "exp": NOW + 600})
}

fn invalid(p: TokenProblem) -> AuthError {
    AuthError::InvalidToken(p)
}

#[tokio::test]
async fn an_active_answer_gives_the_claims_and_is_reused() {
    let (endpoint, clock) = (Endpoint::start().await, clock());
    let v = builder(&clock, options(&endpoint)).build().unwrap();
    endpoint.active("opaque-1", good());
    let claims = v.validate("opaque-1").await.unwrap();
    assert_eq!(claims.registered().sub(), Some("alice"));
    assert!(claims.scopes().contains("pets:write"));
    assert_eq!(claims.algorithm(), None);
    for _ in 0..5 {
        assert!(v.validate("opaque-1").await.is_ok());
    }
    assert_eq!(endpoint.calls("opaque-1"), 1);
    let s = v.stats();
    assert_eq!((s.introspection_calls, s.introspection_hits, s.introspection_entries.0), (1, 5, 1));
    assert_eq!(endpoint.state.auth.lock().unwrap()[0], "basic");
}

#[tokio::test]
async fn client_secret_post_puts_the_credentials_in_the_form() {
    let (endpoint, clock) = (Endpoint::start().await, clock());
    let v = builder(&clock, options(&endpoint).client_auth(ClientAuth::SecretPost)).build().unwrap();
    endpoint.active("t", good());
    assert!(v.validate("t").await.is_ok());
    assert_eq!(endpoint.state.auth.lock().unwrap()[0], "post");
}

#[tokio::test]
async fn inactive_answers_are_refused_and_remembered_briefly() {
    let (endpoint, clock) = (Endpoint::start().await, clock());
    let v = builder(&clock, options(&endpoint)).build().unwrap();
    endpoint.active("token-a", good());
    assert!(v.validate("token-a").await.is_ok());
    // One character off: a token of its own, inactive.
    for _ in 0..3 {
        assert_eq!(v.validate("token-b").await.unwrap_err(), invalid(TokenProblem::Inactive));
    }
    assert_eq!(endpoint.calls("token-b"), 1);
    assert!(v.validate("token-a").await.is_ok());
    assert_eq!(v.stats().introspection_negative_hits, 2);
    assert_eq!(v.stats().rejected("inactive"), 3);
    // After the negative TTL (10 s) the provider is asked again.
    clock.advance(10);
    assert!(v.validate("token-b").await.is_err());
    assert_eq!(endpoint.calls("token-b"), 2);
}

#[tokio::test]
async fn active_answers_meet_the_jwt_claim_rules() {
    let (endpoint, clock) = (Endpoint::start().await, clock());
    let v = builder(&clock, options(&endpoint)).build().unwrap();
    let cases = [
        ("other-aud", json!({"aud": "other"}), TokenProblem::WrongAudience),
        ("no-aud", json!({"aud": null}), TokenProblem::MissingClaim("aud")),
        ("other-iss", json!({"iss": "https://evil.test"}), TokenProblem::UnknownIssuer),
        ("expired", json!({"exp": NOW - 61}), TokenProblem::Expired),
        ("not-yet", json!({"nbf": NOW + 61}), TokenProblem::NotYetValid),
        ("string-exp", json!({"exp": "soon"}), TokenProblem::WrongClaimType("exp")),
    ];
    for (token, change, problem) in cases {
        let mut claims = good();
        for (k, val) in change.as_object().unwrap() {
            if val.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = val.clone();
            }
        }
        endpoint.active(token, claims);
        assert_eq!(v.validate(token).await.unwrap_err(), invalid(problem.clone()), "{token}");
        // Remembered as refused: no second call.
        assert_eq!(v.validate(token).await.unwrap_err(), invalid(problem), "{token}");
        assert_eq!(endpoint.calls(token), 1, "{token}");
    }
    // No `iss`, no `exp`, no `jti`, no `iat`, no `typ`: fine for an introspection answer.
    endpoint.active("minimal", json!({"aud": AUD, "sub": "bob"}));
    assert_eq!(v.validate("minimal").await.unwrap().registered().sub(), Some("bob"));
}

#[tokio::test]
async fn a_cached_answer_ends_at_exp_plus_leeway_or_the_ttl() {
    let (endpoint, clock) = (Endpoint::start().await, clock());
    let v = builder(&clock, options(&endpoint).cache_ttl(Duration::from_secs(300))).build().unwrap();
    let mut short = good();
    short["exp"] = json!(NOW + 30);
    endpoint.active("short", short);
    endpoint.active("long", good());
    endpoint.active("no-exp", json!({"aud": AUD}));
    for t in ["short", "long", "no-exp"] {
        assert!(v.validate(t).await.is_ok());
    }
    clock.advance(89); // exp + 59 s: still within the leeway
    assert!(v.validate("short").await.is_ok());
    clock.advance(1);
    assert_eq!(v.validate("short").await.unwrap_err(), invalid(TokenProblem::Expired));
    assert_eq!(endpoint.calls("short"), 1, "expiry is known without asking");
    clock.advance(210); // 300 s after the answers: the TTL is over, the provider is asked again
    assert!(v.validate("long").await.is_ok());
    assert!(v.validate("no-exp").await.is_ok());
    assert_eq!((endpoint.calls("long"), endpoint.calls("no-exp")), (2, 2));
}

#[tokio::test]
async fn a_ttl_of_zero_asks_every_time() {
    let (endpoint, clock) = (Endpoint::start().await, clock());
    let v = builder(&clock, options(&endpoint).cache_ttl(Duration::ZERO)).build().unwrap();
    endpoint.active("t", good());
    for _ in 0..3 {
        assert!(v.validate("t").await.is_ok());
    }
    assert_eq!(endpoint.calls("t"), 3);
}

#[tokio::test]
async fn jwts_are_judged_locally_without_a_call() {
    let (endpoint, clock) = (Endpoint::start().await, clock());
    let v = builder(&clock, options(&endpoint)).build().unwrap();
    let good_jwt = common::token(Algorithm::ES256, &common::good_claims());
    assert!(v.validate(&good_jwt).await.is_ok());
    let forged =
        common::forged(r#"{"alg":"ES256","kid":"kid-ES256"}"#, &common::good_claims().to_string(), &[1; 64]);
    assert_eq!(v.validate(&forged).await.unwrap_err(), invalid(TokenProblem::BadSignature));
    let expired = common::token(Algorithm::ES256, &common::claims_with(json!({"exp": NOW - 100})));
    assert_eq!(v.validate(&expired).await.unwrap_err(), invalid(TokenProblem::Expired));
    assert_eq!(endpoint.total_calls(), 0);
    // Unless the operator asks for the provider's word on JWTs too.
    let both = builder(&clock, options(&endpoint).introspect_jwts()).build().unwrap();
    assert_eq!(both.validate(&good_jwt).await.unwrap_err(), invalid(TokenProblem::Inactive));
    endpoint.active(&good_jwt, good());
    let fresh = builder(&clock, options(&endpoint).introspect_jwts()).build().unwrap();
    assert!(fresh.validate(&good_jwt).await.is_ok());
    assert!(fresh.validate(&good_jwt).await.is_ok());
    assert_eq!(endpoint.calls(&good_jwt), 2, "one per validator; the second answer came from its cache");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_waiting_requests_make_one_call() {
    let (endpoint, clock) = (Endpoint::start().await, clock());
    let v = builder(&clock, options(&endpoint)).build().unwrap();
    endpoint.active("popular", good());
    // Hold the endpoint's answers until every request waits.
    let held = endpoint.state.gate.acquire_many(Semaphore::MAX_PERMITS as u32).await.unwrap();
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let v = v.clone();
            tokio::spawn(async move { v.validate("popular").await })
        })
        .collect();
    while endpoint.calls("popular") == 0 {
        tokio::task::yield_now().await;
    }
    drop(held);
    for task in tasks {
        assert!(task.await.unwrap().is_ok());
    }
    assert_eq!(endpoint.calls("popular"), 1);
}

#[tokio::test]
async fn provider_faults_are_503_never_401_and_cached_tokens_survive() {
    let (endpoint, clock) = (Endpoint::start().await, clock());
    let v = builder(&clock, options(&endpoint).max_wait(Duration::from_millis(300))).build().unwrap();
    endpoint.active("cached", good());
    assert!(v.validate("cached").await.is_ok());
    let faults = [
        Mode::Status(500),
        Mode::Body("application/json", "not json"),
        Mode::Body("text/html", r#"{"active": true}"#),
        Mode::Body("application/json", r#"[{"active": true}]"#),
        Mode::Body("application/json", r#"{"active": "true"}"#),
        Mode::Body("application/json", r#"{"sub": "x"}"#),
        Mode::Hang,
    ];
    for (i, fault) in faults.into_iter().enumerate() {
        endpoint.set(fault);
        let token = format!("new-{i}");
        let err = v.validate(&token).await.unwrap_err();
        assert!(matches!(err, AuthError::Unavailable { .. }), "{i}: {err:?}");
        assert_eq!(v.rejection(&err).status(), 503);
        assert!(v.rejection(&err).retry_after().is_some());
        // The cached token is still answered, without a call.
        assert!(v.validate("cached").await.is_ok(), "{i}");
        // Backoff: the next new token is refused at once, without a call.
        let calls = endpoint.total_calls();
        assert!(matches!(v.validate("another").await, Err(AuthError::Unavailable { .. })));
        assert_eq!(endpoint.total_calls(), calls, "{i}");
        // A failure is not remembered as an answer: once the provider is back (and the backoff
        // over), the token works. (A hung call still holds its own token until it times out.)
        endpoint.set(Mode::Normal);
        let token = if i == 6 { "after-the-hang".to_owned() } else { token };
        endpoint.active(&token, good());
        tokio::time::pause();
        tokio::time::advance(Duration::from_secs(60)).await;
        tokio::time::resume();
        assert!(v.validate(&token).await.is_ok(), "{i}");
    }
    assert_eq!(endpoint.calls("cached"), 1);
    assert!(v.stats().introspection_failures >= 7);
}

#[tokio::test]
async fn wrong_client_credentials_are_503() {
    let (endpoint, clock) = (Endpoint::start().await, clock());
    let v = builder(&clock, IntrospectionOptions::new(ID, "wrong").endpoint(&endpoint.url)).build().unwrap();
    endpoint.active("t", good());
    assert!(matches!(v.validate("t").await, Err(AuthError::Unavailable { .. })));
}

#[tokio::test]
async fn the_endpoint_comes_from_discovery() {
    let idp = auth_core::dev_issuer::DevIssuer::start(Algorithm::ES256).await.unwrap();
    let (id, secret) = idp.introspection_client();
    let v = Validator::builder()
        .issuer(IssuerConfig::discover(idp.issuer()))
        .audience("petstore")
        .introspection(IntrospectionOptions::new(id, secret))
        .build()
        .unwrap();
    let opaque = idp.token().scope("pets:read").opaque();
    assert!(!opaque.contains('.'));
    let claims = v.validate(&opaque).await.unwrap();
    assert_eq!(claims.registered().sub(), Some("dev-user"));
    assert!(claims.scopes().contains("pets:read"));
    // A revoked token is inactive once the cached answer is gone (TTL 0 here to show it at once).
    let uncached = Validator::builder()
        .issuer(IssuerConfig::discover(idp.issuer()))
        .audience("petstore")
        .introspection(IntrospectionOptions::new(id, secret).cache_ttl(Duration::ZERO))
        .build()
        .unwrap();
    assert!(uncached.validate(&opaque).await.is_ok());
    idp.revoke(&opaque);
    assert_eq!(uncached.validate(&opaque).await.unwrap_err(), invalid(TokenProblem::Inactive));
    // The dev issuer's endpoint refuses other credentials.
    let wrong = Validator::builder()
        .issuer(IssuerConfig::discover(idp.issuer()))
        .audience("petstore")
        .introspection(IntrospectionOptions::new(id, "nope"))
        .build()
        .unwrap();
    assert!(matches!(wrong.validate(&idp.token().opaque()).await, Err(AuthError::Unavailable { .. })));
}

#[test]
fn settings_are_checked_at_build() {
    let clock = clock();
    let err = builder(&clock, IntrospectionOptions::new("", "s").endpoint("https://idp.test/i"))
        .build()
        .unwrap_err();
    assert_eq!(err.setting(), "introspection.client_id");
    let err = builder(&clock, IntrospectionOptions::new("a", "s").endpoint("http://idp.test/i"))
        .build()
        .unwrap_err();
    assert_eq!(err.setting(), "introspection.endpoint");
    // Static keys only: no discovery document to take the endpoint from.
    let err = builder(&clock, IntrospectionOptions::new("a", "s")).build().unwrap_err();
    assert_eq!(err.setting(), "introspection.endpoint");
}

#[tokio::test]
async fn a_known_opaque_token_is_answered_at_once_and_its_dpop_binding_holds() {
    use auth_core::dev_issuer::DpopKey;
    use auth_core::{Authentication, Authenticator};
    let (endpoint, clock) = (Endpoint::start().await, clock());
    let a = Authenticator::new(builder(&clock, options(&endpoint)).build().unwrap());
    let key = DpopKey::generate(Algorithm::ES256).unwrap();
    let mut bound = good();
    bound["cnf"] = json!({ "jkt": key.thumbprint() });
    endpoint.active("bound-opaque", bound);
    endpoint.active("plain-opaque", good());
    let proof =
        || key.proof("GET", "http://api.example.com/pets").access_token("bound-opaque").issued_at(NOW).sign();
    let first = a.authenticate(&common::Req::dpop("bound-opaque", &proof())).outcome().await.unwrap();
    assert!(first.binding.is_some());
    // Known now: decided without waiting, the proof still checked.
    match a.authenticate(&common::Req::dpop("bound-opaque", &proof())) {
        Authentication::Ready(outcome) => assert!(outcome.is_ok()),
        Authentication::Pending(_) => panic!("a cached answer must not wait"),
    }
    // The bound opaque token as a bearer token: refused, as a bound JWT would be.
    let refused = a.authenticate(&common::Req::bearer("bound-opaque")).outcome().await.unwrap_err();
    assert_eq!(refused.error(), &invalid(TokenProblem::DpopBoundAsBearer));
    assert!(a.authenticate(&common::Req::bearer("plain-opaque")).outcome().await.is_ok());
    assert_eq!(endpoint.calls("bound-opaque"), 1);
}
