//! Revocation (issue 13) through the Petstores: the admin route and its answers, revocations
//! reaching every instance sharing one real `redis-server`, DPoP proofs shared the same way, and
//! the faults Redis can have. Every wait polls with a deadline; none sleeps.
//!
//! Helpers shared by the three suites live here.

mod admin;
mod faults;
mod propagation;

use std::future::Future;
use std::time::{Duration, Instant};

use auth_core::Algorithm;
use auth_core::dev_issuer::{DevIssuer, DpopKey, TokenBuilder};
use petstore_e2e::{Implementation, Petstore, RedisServer, start};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The staleness budget the tests run with: the shortest valid one.
const MAX_STALE: &str = "1";
/// The longest any eventual outcome may take.
const DEADLINE: Duration = Duration::from_secs(10);
/// How often an eventual outcome is polled.
const POLL_EVERY: Duration = Duration::from_millis(20);
/// Any answer slower than this is a hang.
const ANSWER_WITHIN: Duration = Duration::from_secs(3);

/// The scopes the admin route needs.
const ADMIN_SCOPES: &str = "pets:read pets:write admin";
/// The scopes of an ordinary caller.
const USER_SCOPES: &str = "pets:read pets:write";

/// What a client observes of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    status: StatusCode,
    /// Every `WWW-Authenticate` field, joined by ` | `.
    challenge: Option<String>,
    retry_after: Option<String>,
    content_type: Option<String>,
    body: Value,
}

impl Answer {
    /// Asserts 401 `invalid_token`, "the token has been revoked".
    fn assert_revoked(&self, what: &str) {
        assert_eq!(self.status, StatusCode::UNAUTHORIZED, "{what}: {self:?}");
        assert!(self.challenge.as_deref().unwrap_or_default().contains(r#"error="invalid_token""#), "{what}");
        assert_eq!(self.body["error"], "invalid_token", "{what}");
        assert_eq!(self.body["error_description"], "the token has been revoked", "{what}");
    }

    /// Asserts 503 with a `Retry-After` of whole seconds.
    fn assert_unavailable(&self, what: &str) {
        assert_eq!(self.status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {self:?}");
        let secs: u64 = self.retry_after.as_deref().expect("Retry-After").parse().expect("seconds");
        assert!((1..=30).contains(&secs), "{what}: Retry-After {secs}");
    }

    fn is_revoked(&self) -> bool {
        self.status == StatusCode::UNAUTHORIZED
            && self.body["error_description"] == "the token has been revoked"
    }
}

/// How a request proves who it is.
#[derive(Clone, Copy)]
enum Cred<'a> {
    None,
    Bearer(&'a str),
    /// A DPoP-bound token, with a fresh proof for each request.
    Dpop(&'a str, &'a DpopKey),
}

/// Sends a request; fails the test if no answer comes within [`ANSWER_WITHIN`].
async fn send(
    store: &Petstore,
    method: Method,
    path: &str,
    cred: Cred<'_>,
    body: Option<(&str, &str)>,
) -> Answer {
    let url = format!("{}{path}", store.base);
    let client = reqwest::Client::builder().timeout(ANSWER_WITHIN).build().unwrap();
    let mut req = client.request(method.clone(), &url);
    match cred {
        Cred::None => {}
        Cred::Bearer(token) => req = req.header("authorization", format!("Bearer {token}")),
        Cred::Dpop(token, key) => {
            let proof = key.proof(method.as_str(), &url).access_token(token).sign();
            req = req.header("authorization", format!("DPoP {token}")).header("dpop", proof);
        }
    }
    if let Some((content_type, body)) = body {
        req = req.header("content-type", content_type).body(body.to_owned());
    }
    let res = req.send().await.unwrap_or_else(|e| panic!("{method} {path}: no answer: {e}"));
    let header = |name: &str| {
        let values: Vec<_> =
            res.headers().get_all(name).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        (!values.is_empty()).then(|| values.join(" | "))
    };
    let (challenge, retry_after, content_type) =
        (header("www-authenticate"), header("retry-after"), header("content-type"));
    let status = res.status();
    let text = res.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Answer { status, challenge, retry_after, content_type, body }
}

/// `GET path`.
async fn get(store: &Petstore, path: &str, cred: Cred<'_>) -> Answer {
    send(store, Method::GET, path, cred, None).await
}

/// `POST` (revoke) or `DELETE` (lift) `/admin/revocations` with a JSON body.
async fn admin(store: &Petstore, method: Method, token: &str, body: &str) -> Answer {
    send(store, method, "/admin/revocations", Cred::Bearer(token), Some(("application/json", body))).await
}

/// `GET /health`'s `revocations` member (and the status, which must stay 200).
async fn revocation_state(store: &Petstore) -> String {
    let health = get(store, "/health", Cred::None).await;
    assert_eq!(health.status, StatusCode::OK, "{health:?}");
    health.body["revocations"].as_str().expect("a revocations member").to_owned()
}

/// Polls `check` every [`POLL_EVERY`] until it holds; fails the test after [`DEADLINE`].
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + DEADLINE;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {DEADLINE:?}");
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Waits until `/health` reports `state`.
async fn until_state(store: &Petstore, state: &str) {
    eventually(&format!("{} reports revocations {state}", store.base), || async move {
        revocation_state(store).await == state
    })
    .await;
}

/// Now, in seconds since 1970.
fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A token of `sub` and `client_id` (each test names its own), issued 10 s ago: before any
/// revocation "of every token issued before now".
fn token(idp: &DevIssuer, sub: &str, client_id: &str) -> TokenBuilder {
    idp.token().scope(USER_SCOPES).subject(sub).client_id(client_id).issued_at(now() - 10)
}

/// One issuer, one Redis, instances trusting the issuer and sharing the Redis.
struct Cluster {
    idp: DevIssuer,
    redis: RedisServer,
    /// A token with the admin route's scopes (its own `sub` and `client_id`).
    admin: String,
}

impl Cluster {
    async fn new() -> Cluster {
        let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
        let admin = idp.token().scope(ADMIN_SCOPES).subject("admin").client_id("admin-console").sign();
        Cluster { idp, redis: RedisServer::start(), admin }
    }

    /// Starts `implementation` on this cluster's Redis with `vars`; waits until it is fresh.
    async fn instance(&self, implementation: Implementation, vars: &[(&str, &str)]) -> Petstore {
        let store = self.instance_unchecked(implementation, vars).await;
        until_state(&store, "fresh").await;
        store
    }

    /// Starts `implementation` on this cluster's Redis, without waiting for anything.
    async fn instance_unchecked(&self, implementation: Implementation, vars: &[(&str, &str)]) -> Petstore {
        let url = self.redis.url();
        let mut all = vec![
            ("AUTH_ISSUER", self.idp.issuer()),
            ("AUTH_REDIS_URL", url.as_str()),
            ("AUTH_REVOCATION_MAX_STALE", MAX_STALE),
        ];
        all.extend_from_slice(vars);
        start(implementation, &all).await
    }

    /// An axum instance and an actix one, both fresh.
    async fn pair(&self, vars: &[(&str, &str)]) -> (Petstore, Petstore) {
        let a = self.instance(Implementation::Axum, vars).await;
        let b = self.instance(Implementation::Actix, vars).await;
        (a, b)
    }
}
