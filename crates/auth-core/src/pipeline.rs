//! The pipeline's entry point: an adapter hands [`Authenticator::authenticate`] its request view
//! and gets one outcome back — the claims with what the checks learned, or the rejection to send.
//!
//! request view → credentials → verified-token cache or verifier → request checks → outcome.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::checks::{KeyBinding, Passed, RequestFacts};
use crate::claims::Claims;
use crate::error::{AuthError, ConfigError, Rejection, Scheme};
use crate::request::{RequestView, TargetRules};
use crate::stats::Path;
use crate::token::{Credential, CredentialSources, TokenLocator};
use crate::validator::{ChecksNow, Presented, Validator};

/// The configuration of one authenticated route or service, shared by every adapter: the
/// validator, where credentials are taken from, whether anonymous requests pass, how far a form
/// body is read, and how the target URI is rebuilt. Cheap to clone.
///
/// ```
/// use auth_core::{Algorithm, Authenticator, CredentialSources, IssuerConfig, StaticKey, Validator};
///
/// # fn demo() -> Result<(), auth_core::ConfigError> {
/// let validator = Validator::builder()
///     .issuer(IssuerConfig::static_keys("internal", [StaticKey::hmac(vec![7; 32])]))
///     .algorithms([Algorithm::HS256])
///     .audience("petstore")
///     .build()?;
/// let authenticator = Authenticator::new(validator)
///     .optional()
///     .credential_sources(CredentialSources::default().with_cookie("access_token"))
///     .public_base_url("https://api.example.com")?;
/// # let _ = authenticator; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Authenticator(Arc<Settings>);

#[derive(Clone)]
struct Settings {
    validator: Validator,
    locator: TokenLocator,
    optional: bool,
    form_body_limit: Option<usize>,
    target: TargetRules,
}

/// The outcome of one request: its claims (none for an anonymous request let through) and what
/// the request checks learned, or the refusal.
pub type Outcome = Result<Authenticated, Refusal>;

/// A request that passed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Authenticated {
    /// The verified claims; `None` for a request without credentials that an optional route lets in.
    pub claims: Option<Claims>,
    /// The key the token is bound to, when a check proved possession of it.
    pub binding: Option<KeyBinding>,
    /// Headers to add to the response (such as `DPoP-Nonce`).
    pub response_headers: Vec<(&'static str, String)>,
    /// The scheme the credentials came with (`None` for an anonymous request): later refusals
    /// of this request ([`Authenticator::refuse_for`]) challenge with it.
    pub scheme: Option<Scheme>,
}

/// A request that was refused: the error (for logs, gRPC codes and custom renderers) and its
/// RFC 6750 rendering.
#[derive(Debug, Clone)]
pub struct Refusal(Box<(AuthError, Rejection)>);

impl Refusal {
    /// Why.
    pub fn error(&self) -> &AuthError {
        &self.0.0
    }

    /// The answer to send.
    pub fn rejection(&self) -> &Rejection {
        &self.0.1
    }

    /// Both, by value.
    pub fn into_parts(self) -> (AuthError, Rejection) {
        *self.0
    }
}

/// What [`Authenticator::authenticate`] answers: at once (no token, a malformed request, a token
/// the verified-token cache knows and whose checks answer at once), or a future to await.
#[must_use]
pub enum Authentication {
    /// Decided.
    Ready(Outcome),
    /// Decided when this completes. It owns what it needs: the request may move meanwhile.
    Pending(Pin<Box<dyn Future<Output = Outcome> + Send + 'static>>),
}

impl Authentication {
    /// The outcome, awaiting it when it is pending.
    pub async fn outcome(self) -> Outcome {
        match self {
            Authentication::Ready(outcome) => outcome,
            Authentication::Pending(future) => future.await,
        }
    }
}

impl fmt::Debug for Authentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Authentication::Ready(outcome) => f.debug_tuple("Ready").field(outcome).finish(),
            Authentication::Pending(_) => f.write_str("Pending"),
        }
    }
}

impl Authenticator {
    /// Requires a valid token on every request, from the `Authorization` header.
    pub fn new(validator: Validator) -> Self {
        let locator = TokenLocator::default().schemes(&validator);
        Authenticator(Arc::new(Settings {
            validator,
            locator,
            optional: false,
            form_body_limit: None,
            target: TargetRules::default(),
        }))
    }

    /// Lets requests without any credentials through, without claims. Requests with bad or
    /// malformed credentials are still refused: a broken token is never taken as anonymous.
    pub fn optional(self) -> Self {
        self.map(|s| s.optional = true)
    }

    /// Also accept the token from a cookie, the `access_token` query parameter or a form field.
    /// A token sent by more than one method is always refused (400 `invalid_request`).
    pub fn credential_sources(self, sources: CredentialSources) -> Self {
        self.map(|s| s.locator = TokenLocator::new(sources).schemes(&s.validator))
    }

    /// Read `application/x-www-form-urlencoded` bodies up to `max_bytes` for their
    /// `access_token` field (RFC 6750 §2.2); the adapter reads them and hands them on unchanged.
    pub fn inspect_form_body(self, max_bytes: usize) -> Self {
        self.map(|s| s.form_body_limit = Some(max_bytes))
    }

    /// The scheme and authority clients address this service by (see
    /// [`TargetRules::public_base_url`]).
    pub fn public_base_url(self, url: &str) -> Result<Self, ConfigError> {
        let target = self.0.target.clone().public_base_url(url)?;
        Ok(self.map(|s| s.target = target))
    }

    /// Rebuild the target from `Forwarded` / `X-Forwarded-*` (see
    /// [`TargetRules::trust_forwarded_headers`]).
    pub fn trust_forwarded_headers(self) -> Self {
        self.map(|s| s.target = s.target.clone().trust_forwarded_headers())
    }

    /// The validator.
    pub fn validator(&self) -> &Validator {
        &self.0.validator
    }

    /// The credential sources.
    pub fn sources(&self) -> &CredentialSources {
        self.0.locator.sources()
    }

    /// Whether anonymous requests pass.
    pub fn is_optional(&self) -> bool {
        self.0.optional
    }

    /// How far form bodies are read, when they are.
    pub fn form_body_limit(&self) -> Option<usize> {
        self.0.form_body_limit
    }

    /// How the target URI is rebuilt.
    pub fn target_rules(&self) -> &TargetRules {
        &self.0.target
    }

    /// Authenticates one request: finds its one credential, verifies the token (from the
    /// verified-token cache when it knows it), runs every request check, and answers. A CORS
    /// preflight (`OPTIONS` with `Access-Control-Request-Method`) and a request for the
    /// resource's RFC 9728 document pass as anonymous, whatever they carry.
    pub fn authenticate<R: RequestView>(&self, req: &R) -> Authentication {
        self.authenticate_with(req, self.locator().find(req))
    }

    /// [`authenticate`](Self::authenticate) with a credential found by the adapter's own means
    /// (a custom extractor): `Ok(None)` is a request without credentials.
    pub fn authenticate_with<R: RequestView>(
        &self,
        req: &R,
        found: Result<Option<Credential<'_>>, AuthError>,
    ) -> Authentication {
        let validator = &self.0.validator;
        // A preflight never carries credentials, and the RFC 9728 document is public: both pass,
        // for the CORS layer or the metadata service inside (a tonic server's layer wraps all).
        let public = crate::cors::is_preflight(req)
            || validator.protected_resource().is_some_and(|r| r.serves(req.path()));
        let found = if public { Ok(None) } else { found };
        let anonymous_passes = self.0.optional || public;
        let credential = match found {
            Ok(Some(credential)) => credential,
            Ok(None) if anonymous_passes => {
                return Authentication::Ready(Ok(Authenticated {
                    claims: None,
                    binding: None,
                    response_headers: Vec::new(),
                    scheme: None,
                }));
            }
            Ok(None) => return self.refuse_request(AuthError::MissingToken),
            Err(e) => return self.refuse_request(e),
        };
        let (scheme, source) = (credential.scheme(), credential.source());
        if let Some(answer) = validator.cached(credential.as_bytes()) {
            let claims = match answer {
                Ok(claims) => claims,
                Err(e) => return self.finish(Path::Cache, scheme, Err(e)),
            };
            if !validator.has_checks() {
                return self.finish(Path::Cache, scheme, Ok((claims, Passed::default())));
            }
            let facts = self.facts(req);
            let presented = Presented { token: credential.as_bytes(), scheme, source };
            return match validator.checks_now(&claims, presented, &facts) {
                ChecksNow::Done(passed) => self.finish(Path::Cache, scheme, passed.map(|p| (claims, p))),
                ChecksNow::Wait(from, passed) => {
                    let (this, facts) = (self.clone(), facts.into_owned());
                    let token = credential.as_bytes().to_vec();
                    Authentication::Pending(Box::pin(async move {
                        let presented = Presented { token: &token, scheme, source };
                        let passed =
                            this.0.validator.checks_later(from, passed, &claims, presented, &facts).await;
                        this.outcome(Path::Cache, Some(scheme), passed.map(|p| (claims, p)))
                    }))
                }
            };
        }
        let token = match credential.check() {
            Ok(token) => token.into_owned(),
            Err(e) => return self.refuse_request(e),
        };
        let facts = if validator.has_checks() { Some(self.facts(req).into_owned()) } else { None };
        let this = self.clone();
        Authentication::Pending(Box::pin(async move {
            let validator = &this.0.validator;
            let verified = match validator.verify_full(&token).await {
                Ok(claims) => claims,
                Err(e) => return this.outcome(Path::Full, Some(scheme), Err(e)),
            };
            let Some(facts) = facts else {
                return this.outcome(Path::Full, Some(scheme), Ok((verified, Passed::default())));
            };
            let presented = Presented { token: token.as_bytes(), scheme, source };
            let passed = validator.checks_later(0, Passed::default(), &verified, presented, &facts).await;
            this.outcome(Path::Full, Some(scheme), passed.map(|p| (verified, p)))
        }))
    }

    /// The refusal of an error found after authentication (a lacking scope, claims that do not
    /// fit the handler's type), counted and rendered as the pipeline's own, for a request
    /// without credentials: [`refuse_for`](Self::refuse_for) with `None`.
    pub fn refuse(&self, error: AuthError) -> Refusal {
        self.refuse_for(error, None)
    }

    /// [`refuse`](Self::refuse) for a request whose credentials came with `scheme`
    /// ([`Authenticated::scheme`]): the error goes on that scheme's challenge (a lacking scope
    /// of a DPoP request is a `DPoP` challenge).
    pub fn refuse_for(&self, error: AuthError, scheme: Option<Scheme>) -> Refusal {
        self.0.validator.record_request_rejection(&error);
        self.refusal(error, scheme)
    }

    fn locator(&self) -> &TokenLocator {
        &self.0.locator
    }

    fn facts<'r, R: RequestView>(&self, req: &'r R) -> RequestFacts<'r> {
        let inner = &self.0.validator.0;
        if !inner.checks_read_request {
            return RequestFacts::none();
        }
        RequestFacts::borrow(req, &self.0.target, &inner.check_headers, inner.checks_read_body)
    }

    fn refuse_request(&self, error: AuthError) -> Authentication {
        Authentication::Ready(Err(self.refuse(error)))
    }

    fn finish(
        &self,
        path: Path,
        scheme: Scheme,
        answer: Result<(Claims, Passed), AuthError>,
    ) -> Authentication {
        Authentication::Ready(self.outcome(path, Some(scheme), answer))
    }

    fn outcome(
        &self,
        path: Path,
        scheme: Option<Scheme>,
        answer: Result<(Claims, Passed), AuthError>,
    ) -> Outcome {
        self.0.validator.record(path, &answer);
        match answer {
            Ok((claims, passed)) => Ok(Authenticated {
                claims: Some(claims),
                binding: passed.binding,
                response_headers: passed.headers,
                scheme,
            }),
            Err(error) => Err(self.refusal(error, scheme)),
        }
    }

    fn refusal(&self, error: AuthError, scheme: Option<Scheme>) -> Refusal {
        let rejection = self.0.validator.rejection_for(&error, scheme);
        Refusal(Box::new((error, rejection)))
    }

    fn map(self, f: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = Settings::clone(&self.0);
        f(&mut settings);
        Authenticator(Arc::new(settings))
    }
}

impl From<Validator> for Authenticator {
    /// [`Authenticator::new`].
    fn from(validator: Validator) -> Self {
        Authenticator::new(validator)
    }
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("validator", &self.0.validator)
            .field("sources", self.0.locator.sources())
            .field("optional", &self.0.optional)
            .field("form_body_limit", &self.0.form_body_limit)
            .field("target", &self.0.target)
            .finish()
    }
}
