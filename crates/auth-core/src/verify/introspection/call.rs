//! One introspection request (RFC 7662 §2.1) and the reading of its answer (§2.2), with the
//! provider's failures kept apart from a token's refusal.

use std::sync::Mutex;
use std::sync::PoisonError;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use url::Url;

use super::{ClaimRules, ClientAuth, Verdict};
use crate::claims::{Claims, Field, Payload, RegisteredSpans, Scopes, check_audience, check_time};
use crate::error::TokenProblem;
use crate::jwks::fetch::{FetchError, Fetcher};

/// Why the provider gave no usable answer: the request is answered 503, the details logged.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum Fault {
    #[error("{0}")]
    Fetch(FetchError),
    #[error(
        "the provider refused this resource's client credentials (HTTP 401): check introspection.client_id and introspection.client_secret"
    )]
    Credentials,
    #[error("the answer is not application/json")]
    NotJson,
    #[error("the answer is not a JSON object with a boolean `active`")]
    Malformed,
    #[error("the issuer's discovery document has no introspection_endpoint")]
    NoEndpoint,
    #[error("the discovered introspection_endpoint is not acceptable: {0}")]
    BadEndpoint(String),
    #[error("the introspection task ended unexpectedly")]
    Internal,
}

/// The resource's credentials, encoded once.
pub(crate) struct Client {
    fetcher: Fetcher,
    basic: Option<String>,
    post: Option<(String, String)>,
}

/// RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded.
fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Client {
    pub(crate) fn new(fetcher: Fetcher, id: &str, secret: &str, auth: ClientAuth) -> Self {
        match auth {
            ClientAuth::SecretBasic => {
                let basic = STANDARD.encode(format!("{}:{}", form_encode(id), form_encode(secret)));
                Client { fetcher, basic: Some(basic), post: None }
            }
            ClientAuth::SecretPost => {
                Client { fetcher, basic: None, post: Some((id.to_owned(), secret.to_owned())) }
            }
        }
    }

    pub(crate) fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    /// The answer's JSON text when active, [`TokenProblem::Inactive`] when not.
    pub(crate) async fn introspect(
        &self,
        endpoint: &Url,
        token: &str,
    ) -> Result<Result<String, TokenProblem>, Fault> {
        let mut form = vec![("token", token), ("token_type_hint", "access_token")];
        if let Some((id, secret)) = &self.post {
            form.push(("client_id", id));
            form.push(("client_secret", secret));
        }
        let answer = match self.fetcher.post_form(endpoint, &form, self.basic.as_deref()).await {
            Ok(answer) => answer,
            Err(FetchError::Status(401)) => return Err(Fault::Credentials),
            Err(e) => return Err(Fault::Fetch(e)),
        };
        read_answer(answer.content_type.as_deref(), &answer.body)
    }
}

/// An answer's JSON text when it says active, [`TokenProblem::Inactive`] when it says not, and
/// [`Fault::NotJson`] or [`Fault::Malformed`] when it is neither.
pub(crate) fn read_answer(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Result<String, TokenProblem>, Fault> {
    let json_type = content_type.is_some_and(|t| {
        t.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/json")
    });
    if !json_type {
        return Err(Fault::NotJson);
    }
    let text = String::from_utf8(body.to_vec()).map_err(|_| Fault::Malformed)?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|_| Fault::Malformed)?;
    match value.as_object().map(|o| o.get("active")) {
        Some(Some(serde_json::Value::Bool(true))) => Ok(Ok(text)),
        Some(Some(serde_json::Value::Bool(false))) => Ok(Err(TokenProblem::Inactive)),
        _ => Err(Fault::Malformed),
    }
}

/// The claims of an active answer, under the JWT claim rules (not the JWT profile's).
pub(crate) fn claims(json: String, rules: &ClaimRules, now: i64) -> Verdict {
    let wanted = |name: &str| {
        rules.scope_claims.iter().any(|s| s == name) || rules.required_claims.iter().any(|r| &**r == name)
    };
    let payload = Payload::parse_with(&json, wanted)?;
    let registered = RegisteredSpans::read(&payload, &json);
    let missing_custom = rules
        .required_claims
        .iter()
        .find(|name| payload.get(name).is_none_or(|v| *v == Field::Null))
        .cloned();
    let scopes = Scopes::read(&payload, &rules.scope_claims);
    drop(payload);
    let registered = registered?.with_text(json.into_boxed_str());
    if let Some(iss) = registered.iss()
        && !rules.issuers.is_empty()
        && !rules.issuers.iter().any(|i| i == iss)
    {
        return Err(TokenProblem::UnknownIssuer);
    }
    check_time(&registered, now, &rules.time)?;
    if let Some(name) = missing_custom {
        return Err(TokenProblem::MissingCustomClaim(name));
    }
    check_audience(&registered, &rules.audiences)?;
    if let Some(allowed) = &rules.allowed_clients {
        let client =
            registered.client_id().or(registered.azp()).ok_or(TokenProblem::MissingClaim("client_id"))?;
        if !allowed.iter().any(|c| c == client) {
            return Err(TokenProblem::ClientNotAllowed);
        }
    }
    Ok(Claims::verified(registered, scopes?, None, None))
}

/// Backoff after failed calls: 1 s doubling to 30 s; while it runs, uncached tokens are answered
/// 503 at once instead of calling a provider that is down.
#[derive(Default)]
pub(crate) struct Backoff(Mutex<State>);

#[derive(Default)]
struct State {
    failures: u32,
    until: Option<tokio::time::Instant>,
}

const FIRST: Duration = Duration::from_secs(1);
const MAX: Duration = Duration::from_secs(30);

impl Backoff {
    /// How long still to wait, when waiting.
    pub(crate) fn waiting(&self) -> Option<Duration> {
        let state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let wait = state.until?.checked_duration_since(tokio::time::Instant::now())?;
        (!wait.is_zero()).then_some(wait)
    }

    pub(crate) fn failed(&self) -> Duration {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        state.failures = state.failures.saturating_add(1);
        let wait = FIRST.saturating_mul(1 << (state.failures - 1).min(5)).min(MAX);
        state.until = Some(tokio::time::Instant::now() + wait);
        wait
    }

    pub(crate) fn succeeded(&self) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        (state.failures, state.until) = (0, None);
    }
}
