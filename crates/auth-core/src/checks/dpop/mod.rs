//! DPoP (RFC 9449): access tokens bound to a key the client holds, proven on every request by a
//! proof the client signs with it.
//!
//! Configured with [`ValidatorBuilder::dpop`](crate::ValidatorBuilder::dpop); the default is
//! [`DpopMode::Allowed`] with the defaults below. For a request with the `DPoP` scheme, in this
//! order (RFC 9449 §4.3 and §7.1):
//!
//! 1. the token carries `cnf.jkt` (an unbound token with the `DPoP` scheme is `invalid_token`:
//!    a client that says it proves a key must have a token bound to one);
//! 2. exactly one `DPoP` header, at most 8 KiB;
//! 3. the proof: a compact JWS, `typ` `dpop+jwt`, `alg` on the proof allow-list (asymmetric
//!    only), a public `jwk` (no private member; the same size and curve rules as JWKS keys), its
//!    signature by that key;
//! 4. `htm` equals the request method, `htu` the target URI as the client addressed it (query and
//!    fragment ignored; scheme and host case, default port and percent-encoding normalised);
//! 5. `iat` at most [`DpopOptions::max_age`] old and [`DpopOptions::max_future`] ahead;
//! 6. `ath` equals base64url(SHA-256(access token));
//! 7. the token's `cnf.jkt` equals the proof key's RFC 7638 thumbprint;
//! 8. with server nonces on, a `nonce` this server issued (current or previous step), else
//!    `use_dpop_nonce` with a fresh `DPoP-Nonce`;
//! 9. the proof's (thumbprint, `jti`) recorded in the replay store, for as long as the proof
//!    could be accepted (`iat` + `max_age`): a second use is refused; a store that cannot
//!    record answers 503, never lets the proof through.
//!
//! Any failure of steps 2–9 is `invalid_dpop_proof` (or `use_dpop_nonce`), with a `DPoP`
//! challenge naming the accepted algorithms.

pub(crate) mod htu;
mod nonce;
pub(crate) mod proof;
mod replay;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use nonce::NonceCheck;
pub use nonce::{DEFAULT_NONCE_STEP, DpopNonces, MIN_NONCE_KEY_BYTES};
pub use proof::{MAX_PROOF_BYTES, jwk_thumbprint};
pub use replay::{
    DEFAULT_REPLAY_CAPACITY, MemoryReplayStore, Recorded, Recording, ReplayKey, ReplayStore, ReplayStoreError,
};

use super::{CheckInput, Checked, KeyBinding, Passed, RequestCheck};
use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::clock::Clock;
use crate::error::{AuthError, ConfigError, DpopProblem, Scheme, TokenProblem};

/// The default proof algorithms: ES256, ES384, RS256, PS256, EdDSA.
pub const DEFAULT_PROOF_ALGORITHMS: [Algorithm; 5] =
    [Algorithm::ES256, Algorithm::ES384, Algorithm::RS256, Algorithm::PS256, Algorithm::EdDSA];

/// The default bound on a proof's age and on how far ahead its `iat` may be: 60 s each, clock
/// skew included. A proof is made for one request and sent at once; a minute covers slow
/// clients and ordinary skew, and bounds how long a captured proof (and its replay-store entry)
/// lives.
pub const DEFAULT_PROOF_WINDOW: Duration = Duration::from_secs(60);

/// About how many read proof keys are kept (by their JWK text): a client signs every proof with
/// one key. Each entry counts as its JWK text plus 1 KiB against a bound of 2 KiB per entry,
/// 20 MiB in all.
const PROOF_KEY_CACHE: usize = 10_000;

/// Whether DPoP-bound tokens are accepted, and bearer tokens beside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DpopMode {
    /// The `DPoP` scheme is not accepted (answered as no credentials). A token bound with
    /// `cnf.jkt` sent as `Bearer` is accepted **without checking its binding**: use only for
    /// providers that never bind tokens.
    Off,
    /// `Bearer` and `DPoP` are both accepted; a token bound with `cnf.jkt` must come with the
    /// `DPoP` scheme and a proof (as `Bearer` it is `invalid_token`, RFC 9449 §7.2).
    #[default]
    Allowed,
    /// Only `DPoP`: a `Bearer` credential is not accepted (401 with a `DPoP` challenge).
    Required,
}

impl DpopMode {
    /// Whether bearer tokens are accepted.
    pub fn accepts_bearer(self) -> bool {
        !matches!(self, DpopMode::Required)
    }

    /// Whether the `DPoP` scheme is accepted.
    pub fn accepts_dpop(self) -> bool {
        !matches!(self, DpopMode::Off)
    }
}

impl FromStr for DpopMode {
    type Err = String;

    /// `off`, `allowed` or `required`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "off" => Ok(DpopMode::Off),
            "allowed" => Ok(DpopMode::Allowed),
            "required" => Ok(DpopMode::Required),
            _ => Err(format!("`{s}` is not a DPoP mode (off, allowed, required)")),
        }
    }
}

/// DPoP settings.
///
/// ```
/// use std::time::Duration;
/// use auth_core::checks::dpop::{DpopMode, DpopNonces, DpopOptions};
///
/// let options = DpopOptions::new(DpopMode::Required)
///     .max_age(Duration::from_secs(30))
///     .replay_capacity(100_000)
///     .nonces(DpopNonces::random()?);
/// # let _ = options; Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct DpopOptions {
    pub(crate) mode: DpopMode,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) max_age: Duration,
    pub(crate) max_future: Duration,
    pub(crate) store: Option<Arc<dyn ReplayStore>>,
    pub(crate) replay_capacity: usize,
    pub(crate) nonces: Option<DpopNonces>,
}

impl Default for DpopOptions {
    fn default() -> Self {
        DpopOptions::new(DpopMode::default())
    }
}

impl std::fmt::Debug for DpopOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopOptions")
            .field("mode", &self.mode)
            .field("algorithms", &self.algorithms)
            .field("max_age", &self.max_age)
            .field("max_future", &self.max_future)
            .field("custom_store", &self.store.is_some())
            .field("replay_capacity", &self.replay_capacity)
            .field("nonces", &self.nonces)
            .finish()
    }
}

impl DpopOptions {
    /// The defaults in `mode`: [`DEFAULT_PROOF_ALGORITHMS`], a 60 s window each way, an in-memory
    /// replay store of [`DEFAULT_REPLAY_CAPACITY`], no server nonces.
    pub fn new(mode: DpopMode) -> Self {
        DpopOptions {
            mode,
            algorithms: DEFAULT_PROOF_ALGORITHMS.to_vec(),
            max_age: DEFAULT_PROOF_WINDOW,
            max_future: DEFAULT_PROOF_WINDOW,
            store: None,
            replay_capacity: DEFAULT_REPLAY_CAPACITY,
            nonces: None,
        }
    }

    /// The mode.
    pub fn mode(&self) -> DpopMode {
        self.mode
    }

    /// The algorithms a proof may be signed with (asymmetric only: `HS*` is a configuration error).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// How old a proof's `iat` may be, clock skew included (default 60 s). It is also how long a
    /// proof is remembered against replay.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = age;
        self
    }

    /// How far ahead of this server's clock a proof's `iat` may be (default 60 s).
    pub fn max_future(mut self, ahead: Duration) -> Self {
        self.max_future = ahead;
        self
    }

    /// The bound of the default in-memory replay store (default [`DEFAULT_REPLAY_CAPACITY`]).
    pub fn replay_capacity(mut self, proofs: usize) -> Self {
        self.replay_capacity = proofs;
        self
    }

    /// A replay store of your own (shared by several instances), instead of the in-memory one.
    pub fn replay_store(mut self, store: impl ReplayStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Require server nonces (RFC 9449 §8). Off by default.
    pub fn nonces(mut self, nonces: DpopNonces) -> Self {
        self.nonces = Some(nonces);
        self
    }

    /// The proof allow-list, checked: not empty, no symmetric algorithm.
    pub(crate) fn algorithm_set(&self) -> Result<AlgorithmSet, ConfigError> {
        if self.algorithms.is_empty() {
            return Err(ConfigError::new("dpop.algorithms", "the allow-list is empty"));
        }
        if let Some(a) = self.algorithms.iter().find(|a| a.is_symmetric()) {
            return Err(ConfigError::new(
                "dpop.algorithms",
                format!("{a} is symmetric: a DPoP proof is signed with the client's private key"),
            ));
        }
        Ok(self.algorithms.iter().copied().collect())
    }

    /// The `algs` challenge parameter: the allow-list, space-separated.
    pub(crate) fn algs_param(&self) -> String {
        let mut algs: Vec<&str> = Vec::new();
        for a in &self.algorithms {
            if !algs.contains(&a.as_str()) {
                algs.push(a.as_str());
            }
        }
        algs.join(" ")
    }
}

/// The DPoP request check (the key-binding stage of [`crate::checks`]).
pub(crate) struct DpopCheck {
    mode: DpopMode,
    allowed: AlgorithmSet,
    max_age: i64,
    max_future: i64,
    store: Arc<dyn ReplayStore>,
    nonces: Option<DpopNonces>,
    clock: Arc<dyn Clock>,
    keys: proof::ProofKeys,
    undecided: AtomicU64,
}

impl DpopCheck {
    pub(crate) fn new(options: &DpopOptions, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let allowed = options.algorithm_set()?;
        if options.max_age.is_zero() {
            return Err(ConfigError::new("dpop.max_age", "must be at least one second"));
        }
        // A proof is a proof of possession now; days-long windows also defeat the replay store.
        for (setting, value) in [("dpop.max_age", options.max_age), ("dpop.max_future", options.max_future)] {
            if value > Duration::from_secs(86_400) {
                return Err(ConfigError::new(setting, "must be at most one day"));
            }
        }
        if options.store.is_none() && options.replay_capacity == 0 {
            return Err(ConfigError::new("dpop.replay_capacity", "must hold at least one proof"));
        }
        let store = match &options.store {
            Some(store) => Arc::clone(store),
            None => Arc::new(MemoryReplayStore::new(options.replay_capacity)),
        };
        let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        Ok(DpopCheck {
            mode: options.mode,
            allowed,
            max_age: secs(options.max_age),
            max_future: secs(options.max_future),
            store,
            nonces: options.nonces.clone(),
            clock,
            keys: proof::ProofKeys::new(PROOF_KEY_CACHE),
            undecided: AtomicU64::new(0),
        })
    }

    /// The nonces, for `use_dpop_nonce` answers.
    pub(crate) fn nonces(&self) -> Option<&DpopNonces> {
        self.nonces.as_ref()
    }

    /// Proofs that could not be recorded (503 answered).
    pub(crate) fn undecided(&self) -> u64 {
        self.undecided.load(Ordering::Relaxed)
    }

    fn judge<'a>(&'a self, input: &'a CheckInput<'a>) -> Result<Judged, AuthError> {
        let bound = bound_key(input.claims())?;
        let Scheme::DPoP = input.scheme() else {
            // A bearer credential: in `Required` mode the locator never hands one on, so this is
            // a bare `validate` or `Allowed`.
            if bound.is_some() {
                return Err(TokenProblem::DpopBoundAsBearer.into());
            }
            if self.mode == DpopMode::Required {
                return Err(TokenProblem::DpopRequired.into());
            }
            return Ok(Judged::Bearer);
        };
        let jkt = bound.ok_or(TokenProblem::NotDpopBound)?;
        let request = input.request();
        let mut headers = request.header_values("dpop");
        let (Some(text), None) = (headers.next(), headers.next()) else {
            return Err(if request.header_values("dpop").next().is_none() {
                DpopProblem::Missing
            } else {
                DpopProblem::Multiple
            }
            .into());
        };
        let mut scratch = Vec::new();
        let proof = proof::verify(text, self.allowed, &self.keys, &mut scratch)?;
        if proof.htm != request.method() {
            return Err(DpopProblem::WrongMethod.into());
        }
        if !htu::names_target(&proof.htu, request) {
            return Err(DpopProblem::WrongUri.into());
        }
        let now = self.clock.now_unix();
        if proof.iat < now.saturating_sub(self.max_age) {
            return Err(DpopProblem::TooOld.into());
        }
        if proof.iat > now.saturating_add(self.max_future) {
            return Err(DpopProblem::FromTheFuture.into());
        }
        if !proof.ath.as_deref().is_some_and(|ath| proof::is_token_hash(ath, input.token())) {
            return Err(DpopProblem::WrongTokenHash.into());
        }
        if proof.jkt() != jkt {
            return Err(DpopProblem::WrongKey.into());
        }
        let mut passed = Passed::default().with_binding(KeyBinding::Dpop { jkt: proof.jkt().to_owned() });
        if let Some(nonces) = &self.nonces {
            match nonces.check(proof.nonce.as_deref(), now) {
                NonceCheck::Current => {}
                // Still good, but not for long: hand the client the current one.
                NonceCheck::Previous => passed = passed.with_header("dpop-nonce", nonces.issue(now)),
                NonceCheck::Invalid => return Err(AuthError::UseDpopNonce),
            }
        }
        let key = ReplayKey::new(proof.jkt(), &proof.jti);
        Ok(Judged::Dpop { key, expires_at: proof.iat.saturating_add(self.max_age), now, passed })
    }

    fn recorded(
        &self,
        answer: Result<Recorded, ReplayStoreError>,
        passed: Passed,
    ) -> Result<Passed, AuthError> {
        match answer {
            Ok(Recorded::New) => Ok(passed),
            Ok(Recorded::Seen) => Err(DpopProblem::Replayed.into()),
            Err(e) => {
                self.undecided.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    reason = e.reason,
                    "DPoP proof not accepted: the replay store cannot record it"
                );
                Err(AuthError::Unavailable { retry_after: e.retry_after })
            }
        }
    }
}

enum Judged {
    Bearer,
    Dpop { key: ReplayKey, expires_at: i64, now: i64, passed: Passed },
}

/// The token's `cnf.jkt`, when it is bound. A `cnf` that is not an object, or a `jkt` that is
/// not a string, is a malformed binding.
pub(crate) fn bound_key(claims: &crate::Claims) -> Result<Option<&str>, AuthError> {
    if !claims.registered().has_confirmation() {
        return Ok(None);
    }
    let Some(cnf) = claims.get("cnf") else { return Ok(None) };
    let cnf = cnf.as_object().ok_or(TokenProblem::WrongClaimType("cnf"))?;
    match cnf.get("jkt") {
        None => Ok(None),
        Some(serde_json::Value::String(jkt)) => Ok(Some(jkt)),
        Some(_) => Err(TokenProblem::WrongClaimType("cnf").into()),
    }
}

impl RequestCheck for DpopCheck {
    fn headers(&self) -> &'static [&'static str] {
        &["dpop"]
    }

    fn check<'a>(&'a self, input: &'a CheckInput<'a>) -> Checked<'a> {
        if self.store.waits() {
            // Nothing is judged before the future is polled (see `ReplayStore::waits`).
            return Checked::Pending(Box::pin(async move {
                let (key, expires_at, now, passed) = match self.judge(input)? {
                    Judged::Bearer => return Ok(Passed::default()),
                    Judged::Dpop { key, expires_at, now, passed } => (key, expires_at, now, passed),
                };
                let answer = match self.store.record(key, expires_at, now) {
                    Recording::Ready(answer) => answer,
                    Recording::Pending(future) => future.await,
                };
                self.recorded(answer, passed)
            }));
        }
        let (key, expires_at, now, passed) = match self.judge(input) {
            Ok(Judged::Bearer) => return Checked::Ready(Ok(Passed::default())),
            Ok(Judged::Dpop { key, expires_at, now, passed }) => (key, expires_at, now, passed),
            Err(e) => return Checked::Ready(Err(e)),
        };
        match self.store.record(key, expires_at, now) {
            Recording::Ready(answer) => Checked::Ready(self.recorded(answer, passed)),
            Recording::Pending(future) => Checked::Pending(Box::pin(async move {
                let answer = future.await;
                self.recorded(answer, passed)
            })),
        }
    }
}
