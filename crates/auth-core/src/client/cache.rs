//! The outbound token cache: single flight per key, background refresh ahead of expiry, the last
//! good token through an outage, bounded entries.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::Shared as SharedFuture;
use tokio::time::Instant;
use url::Url;

use super::{AccessToken, ClientCredentials, Target, TokenError, grant_form};
use crate::jwks::fetch::{FetchError, Fetcher, check_url};

/// A cache key: the target and, for an exchange, the subject token's keyed hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    target: Target,
    subject: Option<u128>,
}

impl Key {
    pub(crate) fn new(target: &Target, subject: Option<u128>) -> Self {
        Key { target: target.clone(), subject }
    }
}

pub(crate) enum Endpoint {
    Fixed(Url),
    Discovered { issuer: String, issuer_url: Url, found: tokio::sync::OnceCell<Url> },
}

pub(crate) struct Settings {
    pub(crate) client_id: String,
    pub(crate) credentials: ClientCredentials,
    pub(crate) endpoint: Endpoint,
    pub(crate) fetcher: Fetcher,
    pub(crate) insecure: bool,
    pub(crate) default_lifetime: Duration,
    pub(crate) refresh_fraction: f64,
    pub(crate) max_entries: usize,
    pub(crate) dpop: Option<super::DpopSigner>,
}

type Flight = SharedFuture<Pin<Box<dyn Future<Output = Result<AccessToken, TokenError>> + Send>>>;

struct Entry {
    current: Option<AccessToken>,
    flight: Option<Flight>,
    /// Used since the current token was fetched: only such entries are refreshed ahead.
    used: Arc<AtomicBool>,
    /// When a refresh may be tried again after a failed one.
    retry_at: Option<Instant>,
}

pub(crate) struct Shared {
    pub(crate) client_id: String,
    settings: Settings,
    entries: Mutex<HashMap<Key, Entry>>,
    generation: AtomicU64,
    requests: AtomicU64,
    subjects: (RandomState, RandomState),
}

impl Shared {
    pub(crate) fn new(settings: Settings) -> Self {
        Shared {
            client_id: settings.client_id.clone(),
            settings,
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            subjects: (RandomState::new(), RandomState::new()),
        }
    }

    pub(crate) fn subject_id(&self, token: &str) -> u128 {
        let half = |state: &RandomState| {
            let mut h = state.build_hasher();
            h.write(token.as_bytes());
            h.finish()
        };
        u128::from(half(&self.subjects.0)) << 64 | u128::from(half(&self.subjects.1))
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub(crate) fn invalidate(&self, key: &Key, generation: u64) -> bool {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        match entries.get_mut(key) {
            Some(entry) if entry.current.as_ref().is_some_and(|t| t.generation == generation) => {
                entry.current = None;
                true
            }
            _ => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes room for one more entry: drops those expired, then the one expiring first.
    fn make_room(&self, entries: &mut HashMap<Key, Entry>) {
        if entries.len() < self.settings.max_entries {
            return;
        }
        let now = Instant::now();
        entries.retain(|_, e| e.flight.is_some() || e.current.as_ref().is_some_and(|t| t.expires_at > now));
        while entries.len() >= self.settings.max_entries {
            let first = entries
                .iter()
                .filter(|(_, e)| e.flight.is_none())
                .min_by_key(|(_, e)| e.current.as_ref().map(|t| t.expires_at))
                .map(|(k, _)| k.clone());
            match first {
                Some(k) => entries.remove(&k),
                None => break,
            };
        }
    }
}

/// The cached token for `key`, or the one flight's answer.
pub(crate) async fn get(
    shared: &Arc<Shared>,
    key: Key,
    subject: Option<Arc<str>>,
) -> Result<AccessToken, TokenError> {
    let flight = {
        let mut entries = shared.lock();
        let now = Instant::now();
        if let Some(entry) = entries.get_mut(&key) {
            if let Some(token) = entry.current.clone().filter(|t| t.expires_at > now) {
                entry.used.store(true, Ordering::Relaxed);
                return Ok(token);
            }
            entry.current = None;
        }
        match entries.get(&key).and_then(|e| e.flight.clone()) {
            Some(flight) => flight,
            None => start(shared, &mut entries, key, subject, true),
        }
    };
    flight.await
}

/// Starts the one request for `key` (the caller holds the lock). `for_caller`: a caller waits
/// for this token (so it counts as used); else a background refresh.
fn start(
    shared: &Arc<Shared>,
    entries: &mut HashMap<Key, Entry>,
    key: Key,
    subject: Option<Arc<str>>,
    for_caller: bool,
) -> Flight {
    if !entries.contains_key(&key) {
        shared.make_room(entries);
    }
    let entry = entries.entry(key.clone()).or_insert_with(|| Entry {
        current: None,
        flight: None,
        used: Arc::new(AtomicBool::new(false)),
        retry_at: None,
    });
    if let Some(retry_at) = entry.retry_at.filter(|at| *at > Instant::now()) {
        // The provider failed a moment ago and no good token is left: answer at once.
        let retry_after = retry_at - Instant::now();
        let failed: Pin<Box<dyn Future<Output = _> + Send>> =
            Box::pin(std::future::ready(Err(TokenError::Unavailable { retry_after })));
        return failed.shared();
    }
    let task = tokio::spawn(fetch_and_store(Arc::clone(shared), key, subject, for_caller));
    let flight: Pin<Box<dyn Future<Output = Result<AccessToken, TokenError>> + Send>> =
        Box::pin(task.map(|joined| {
            joined.unwrap_or(Err(TokenError::Unavailable { retry_after: Duration::from_secs(1) }))
        }));
    let flight = flight.shared();
    entry.flight = Some(flight.clone());
    flight
}

/// One request; the answer replaces the cached token, a failure keeps the last good one.
async fn fetch_and_store(
    shared: Arc<Shared>,
    key: Key,
    subject: Option<Arc<str>>,
    for_caller: bool,
) -> Result<AccessToken, TokenError> {
    let result = request(&shared, &key.target, subject.as_deref()).await;
    let mut entries = shared.lock();
    let Some(entry) = entries.get_mut(&key) else { return result };
    entry.flight = None;
    match &result {
        Ok(token) => {
            entry.current = Some(token.clone());
            entry.retry_at = None;
            entry.used.store(for_caller, Ordering::Relaxed);
            schedule_refresh(&shared, &key, token, subject, Arc::clone(&entry.used));
        }
        Err(e) => {
            let wait = match e {
                TokenError::Unavailable { retry_after } => *retry_after,
                TokenError::Refused { .. } => Duration::from_secs(5),
            };
            entry.retry_at = Some(Instant::now() + wait);
            if let Some(current) = entry.current.clone().filter(|t| t.expires_at > Instant::now()) {
                // A background refresh failed: keep the last good token, try again later.
                tracing::warn!(error = %e, "token refresh failed; the current token is used until it expires");
                schedule_retry(&shared, &key, &current, subject, wait);
                return Ok(current);
            }
        }
    }
    result
}

/// Refreshes `token` in the background at its refresh point, if it was used by then.
fn schedule_refresh(
    shared: &Arc<Shared>,
    key: &Key,
    token: &AccessToken,
    subject: Option<Arc<str>>,
    used: Arc<AtomicBool>,
) {
    let lifetime = token.expires_at.saturating_duration_since(Instant::now());
    let fraction = shared.settings.refresh_fraction + jitter();
    let at = Instant::now() + lifetime.mul_f64(fraction.clamp(0.05, 0.99));
    let (weak, key, generation) = (Arc::downgrade(shared), key.clone(), token.generation);
    tokio::spawn(async move {
        tokio::time::sleep_until(at).await;
        let Some(shared) = weak.upgrade() else { return };
        refresh_if_current(&shared, key, generation, subject, used);
    });
}

fn schedule_retry(
    shared: &Arc<Shared>,
    key: &Key,
    token: &AccessToken,
    subject: Option<Arc<str>>,
    wait: Duration,
) {
    let at = (Instant::now() + wait).min(token.expires_at);
    let (weak, key, generation) = (Arc::downgrade(shared), key.clone(), token.generation);
    tokio::spawn(async move {
        tokio::time::sleep_until(at).await;
        let Some(shared) = weak.upgrade() else { return };
        refresh_if_current(&shared, key, generation, subject, Arc::new(AtomicBool::new(true)));
    });
}

fn refresh_if_current(
    shared: &Arc<Shared>,
    key: Key,
    generation: u64,
    subject: Option<Arc<str>>,
    used: Arc<AtomicBool>,
) {
    let mut entries = shared.lock();
    let Some(entry) = entries.get_mut(&key) else { return };
    let still_current = entry.current.as_ref().is_some_and(|t| t.generation == generation);
    if !still_current || entry.flight.is_some() || !used.load(Ordering::Relaxed) {
        // Replaced, already refreshing, or nobody used it: it simply expires.
        return;
    }
    entry.retry_at = None;
    let flight = start(shared, &mut entries, key, subject, false);
    drop(entries);
    // Nobody awaits it: poll it in the background (it is a spawned task already; this keeps
    // the shared handle from being the last one).
    tokio::spawn(flight.map(|_| ()));
}

/// ±5% of the lifetime, at random.
fn jitter() -> f64 {
    let mut b = [0u8; 2];
    let _ = crate::crypto::random(&mut b);
    (f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX) - 0.5) * 0.1
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    token_type: String,
    expires_in: Option<serde_json::Number>,
}

/// One token request, bounded like key fetches.
async fn request(shared: &Shared, target: &Target, subject: Option<&str>) -> Result<AccessToken, TokenError> {
    let s = &shared.settings;
    let unavailable = |why: &dyn std::fmt::Display| {
        tracing::warn!(error = %why, "token request failed");
        TokenError::Unavailable { retry_after: Duration::from_secs(1) }
    };
    let endpoint = endpoint(s).await.map_err(|e| unavailable(&e))?;
    let presented = s.credentials.present(&s.client_id, endpoint.as_str()).map_err(|e| unavailable(&e))?;
    let mut form = grant_form(target, subject);
    form.extend(presented.form);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // With DPoP, a provider that wants a nonce says so once (RFC 9449 §8): the request is made
    // again with it.
    let mut answer = None;
    for _ in 0..2 {
        let proof = match &s.dpop {
            Some(signer) => Some(signer.proof("POST", endpoint.as_str(), None).map_err(|e| unavailable(&e))?),
            None => None,
        };
        let headers: Vec<(&'static str, &str)> = proof.iter().map(|p| ("dpop", p.as_str())).collect();
        shared.requests.fetch_add(1, Ordering::Relaxed);
        let got = match s
            .fetcher
            .post_form_answer(&endpoint, &pairs, presented.basic.as_deref(), &headers, &[200, 400])
            .await
        {
            Ok(got) => got,
            Err(FetchError::Status(status)) if (400..500).contains(&status) => {
                tracing::error!(status, client_id = %s.client_id, "the token endpoint refused the request (check client.credentials, the target and scope)");
                return Err(TokenError::Refused { status });
            }
            Err(e) => return Err(unavailable(&e)),
        };
        if let (Some(signer), Some(nonce)) = (&s.dpop, &got.dpop_nonce) {
            signer.remember_nonce(endpoint.as_str(), nonce);
        }
        let wants_nonce = got.status == 400
            && got.dpop_nonce.is_some()
            && serde_json::from_slice::<serde_json::Value>(&got.body)
                .is_ok_and(|v| v.get("error").and_then(serde_json::Value::as_str) == Some("use_dpop_nonce"));
        if wants_nonce && s.dpop.is_some() && answer.is_none() {
            answer = Some(got);
            continue;
        }
        answer = Some(got);
        break;
    }
    let Some(answer) = answer else { return Err(unavailable(&"no answer")) };
    if answer.status != 200 {
        tracing::error!(status = answer.status, client_id = %s.client_id, "the token endpoint refused the request (check client.credentials, the target and scope)");
        return Err(TokenError::Refused { status: answer.status });
    }
    let answer: TokenAnswer = serde_json::from_slice(&answer.body).map_err(|e| unavailable(&e))?;
    if answer.access_token.is_empty() {
        return Err(unavailable(&"the answer's access_token is empty"));
    }
    let lifetime = match answer.expires_in.as_ref().and_then(serde_json::Number::as_f64) {
        Some(secs) if secs.is_finite() && secs > 0.0 => Duration::from_secs_f64(secs.min(1e9)),
        _ => s.default_lifetime,
    };
    let generation = shared.generation.fetch_add(1, Ordering::Relaxed) + 1;
    // A token that cannot be a header field is no token.
    AccessToken::new(answer.access_token, answer.token_type, Instant::now() + lifetime, generation)
        .ok_or_else(|| unavailable(&"the answer's access_token cannot be sent in a header"))
}

async fn endpoint(s: &Settings) -> Result<Url, String> {
    match &s.endpoint {
        Endpoint::Fixed(url) => Ok(url.clone()),
        Endpoint::Discovered { issuer, issuer_url, found } => found
            .get_or_try_init(|| async {
                let resolved = crate::jwks::discovery::discover(&s.fetcher, issuer, issuer_url, s.insecure)
                    .await
                    .map_err(|e| e.to_string())?;
                let url =
                    resolved.metadata.token_endpoint.ok_or("the discovery document has no token_endpoint")?;
                check_url(&url, s.insecure, "token_endpoint").map_err(|e| e.to_string())
            })
            .await
            .cloned(),
    }
}
