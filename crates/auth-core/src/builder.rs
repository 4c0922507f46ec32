//! Building a [`Validator`]: every setting checked once, at startup, with errors that name it.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::checks::dpop::{DpopCheck, DpopMode, DpopOptions};
use crate::checks::revocation::{RevocationCheck, Revocations};
use crate::checks::{ClaimsCheck, RequestCheck, Stage};
use crate::claims::{Audiences, Claims, Profile, TimeRules};
use crate::clock::{Clock, SystemClock};
use crate::error::{ChallengeRules, ConfigError, DpopChallenge};
use crate::issuer::{IssuerConfig, IssuerKeys, IssuerRegistry, KeySource};
use crate::jwks::JwksOptions;
use crate::jwks::cache::{JwksCache, JwksLocation};
use crate::jwks::fetch::{Fetcher, check_url};
use crate::keys::{KeySet, ensure_crypto_backend};
use crate::metadata::ResourceMetadata;
use crate::stats::Stats;
use crate::token_cache::{TokenCache, TokenCacheOptions};
use crate::validator::{Inner, Validator};
use crate::verify::introspection::{ClaimRules, IntrospectionOptions, IntrospectionVerifier};
use crate::verify::jws::JwsVerifier;

/// Default leeway for `exp`, `nbf` and `iat`: 60 s, enough for ordinary clock skew.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);
/// Default largest accepted token: 16 KiB (larger than any sane access token, smaller than
/// what would make parsing a cost).
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Configures a [`Validator`]. Fails closed: no issuer or no audience is a startup error.
#[derive(Clone)]
pub struct ValidatorBuilder {
    issuers: Vec<IssuerConfig>,
    audiences: Vec<String>,
    skip_audience: bool,
    algorithms: Option<Vec<Algorithm>>,
    profile: Profile,
    leeway: Duration,
    max_age: Option<Duration>,
    required_claims: Vec<String>,
    allowed_clients: Option<Vec<String>>,
    scope_claims: Vec<String>,
    checks: Vec<(Stage, Arc<dyn RequestCheck>)>,
    clock: Arc<dyn Clock>,
    jwks: JwksOptions,
    http_client: Option<reqwest::Client>,
    max_token_bytes: usize,
    realm: Option<String>,
    token_cache: TokenCacheOptions,
    dpop: DpopOptions,
    introspection: Option<IntrospectionOptions>,
    revocations: Option<Revocations>,
    resource_metadata: Option<ResourceMetadata>,
    resource_audience: bool,
}

impl Default for ValidatorBuilder {
    fn default() -> Self {
        ValidatorBuilder {
            issuers: Vec::new(),
            audiences: Vec::new(),
            skip_audience: false,
            algorithms: None,
            profile: Profile::Generic,
            leeway: DEFAULT_LEEWAY,
            max_age: None,
            required_claims: Vec::new(),
            allowed_clients: None,
            scope_claims: vec!["scope".into(), "scp".into()],
            checks: Vec::new(),
            clock: Arc::new(SystemClock),
            jwks: JwksOptions::default(),
            http_client: None,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            realm: None,
            token_cache: TokenCacheOptions::default(),
            dpop: DpopOptions::default(),
            introspection: None,
            revocations: None,
            resource_metadata: None,
            resource_audience: false,
        }
    }
}

impl std::fmt::Debug for ValidatorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidatorBuilder")
            .field("issuers", &self.issuers)
            .field("audiences", &self.audiences)
            .field("algorithms", &self.algorithms)
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

impl ValidatorBuilder {
    /// Trusts an issuer. Call once per issuer.
    pub fn issuer(mut self, issuer: IssuerConfig) -> Self {
        self.issuers.push(issuer);
        self
    }

    /// Accepts tokens whose `aud` contains `audience`. Call again to accept several.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Turns the audience check off. Only for tokens that are audience-restricted some other way.
    pub fn skip_audience_check(mut self) -> Self {
        self.skip_audience = true;
        self
    }

    /// The allowed algorithms. Default: every asymmetric algorithm; HMAC only when listed here.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// The token profile. Default [`Profile::Generic`].
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// Clock-skew allowance for `exp`, `nbf`, `iat`. Default [`DEFAULT_LEEWAY`].
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Refuses tokens whose `iat` is older than this (and tokens without `iat`).
    pub fn max_token_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// Requires a claim to be present (and not null), on top of the profile's.
    pub fn require_claim(mut self, name: impl Into<String>) -> Self {
        self.required_claims.push(name.into());
        self
    }

    /// Accepts only tokens whose `client_id` (or `azp`) is one of these.
    pub fn allowed_clients(mut self, clients: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.allowed_clients = Some(clients.into_iter().map(Into::into).collect());
        self
    }

    /// The claims scopes are read from. Default `scope` then `scp`; e.g. `["roles"]`.
    pub fn scope_claims(mut self, claims: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scope_claims = claims.into_iter().map(Into::into).collect();
        self
    }

    /// A user's check of the verified claims, run on every request (cache hits too) after the
    /// built-in request checks, in the order added; `Err(description)` refuses the token as
    /// `invalid_token` with that fixed description.
    pub fn custom_check(
        mut self,
        check: impl Fn(&Claims) -> Result<(), &'static str> + Send + Sync + 'static,
    ) -> Self {
        self.checks.push((Stage::User, Arc::new(ClaimsCheck(Arc::new(check)))));
        self
    }

    /// A user's request check (see [`crate::checks`]): it reads the request and may wait. Runs
    /// on every request after the built-in checks, in the order added (with
    /// [`custom_check`](Self::custom_check)s).
    pub fn request_check(mut self, check: impl RequestCheck) -> Self {
        self.checks.push((Stage::User, Arc::new(check)));
        self
    }

    /// The clock for lifetime checks (tests inject [`crate::ManualClock`]).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// JWKS cache and fetch settings.
    pub fn jwks_options(mut self, options: JwksOptions) -> Self {
        self.jwks = options;
        self
    }

    /// Fetch keys with this client (its own timeouts, proxy and TLS roots apply; the total
    /// timeout and body limit of [`JwksOptions`] are enforced on top). Its redirect policy
    /// decides which redirects it follows, but a document answered from another scheme, host or
    /// port than the URL asked is refused whatever the client: the same-host and https rules
    /// hold. Give it `redirect(reqwest::redirect::Policy::none())` or a same-host policy so it
    /// does not even ask another host.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Tokens longer than this are refused unparsed. Default [`DEFAULT_MAX_TOKEN_BYTES`].
    pub fn max_token_bytes(mut self, bytes: usize) -> Self {
        self.max_token_bytes = bytes;
        self
    }

    /// The realm named in `WWW-Authenticate` challenges.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// Verified-token cache settings. On by default ([`TokenCacheOptions::default`]).
    pub fn token_cache(mut self, options: TokenCacheOptions) -> Self {
        self.token_cache = options;
        self
    }

    /// Turns the verified-token cache off: every validation verifies the signature.
    pub fn no_token_cache(self) -> Self {
        self.token_cache(TokenCacheOptions::off())
    }

    /// DPoP (RFC 9449) settings. The default is [`DpopMode::Allowed`]: bearer and DPoP-bound
    /// tokens both accepted, a bound token only with its proof; see [`crate::checks::dpop`].
    pub fn dpop(mut self, options: DpopOptions) -> Self {
        self.dpop = options;
        self
    }

    /// Verify opaque (not JWT-shaped) access tokens by introspection (RFC 7662); see
    /// [`IntrospectionOptions`]. JWTs are still verified locally.
    pub fn introspection(mut self, options: IntrospectionOptions) -> Self {
        self.introspection = Some(options);
        self
    }

    /// Refuses tokens on this deny-list, on every request (see [`crate::checks::revocation`]).
    /// Keep a clone of `revocations` to revoke with (or reach it with
    /// [`Validator::revocations`]).
    pub fn revocations(mut self, revocations: Revocations) -> Self {
        self.revocations = Some(revocations);
        self
    }

    /// Publishes RFC 9728 protected-resource metadata for this resource (see
    /// [`crate::metadata`]): every 401 and 403 challenge then names the document in
    /// `resource_metadata`, and [`Authenticator::resource_metadata`](crate::Authenticator::resource_metadata)
    /// makes it. The canonical URL is checked at build (absolute, no fragment, `https` except to
    /// a loopback host).
    pub fn resource_metadata(mut self, metadata: ResourceMetadata) -> Self {
        self.resource_metadata = Some(metadata);
        self
    }

    /// Accepts tokens whose `aud` names the canonical resource URL of
    /// [`resource_metadata`](Self::resource_metadata) (RFC 8707: a client asks for a token for
    /// this resource), beside any [`audience`](Self::audience): scheme and host compared in any
    /// case, with or without a trailing `/`. Enough on its own to satisfy the audience
    /// requirement; without `resource_metadata` it is a configuration error.
    pub fn resource_audience(mut self) -> Self {
        self.resource_audience = true;
        self
    }

    /// Checks every setting and builds the validator. Nothing is fetched yet: keys come with the
    /// first request, or with [`Validator::warm_up`].
    pub fn build(self) -> Result<Validator, ConfigError> {
        ensure_crypto_backend()?;
        self.jwks.check()?;
        let allowed: AlgorithmSet = match &self.algorithms {
            Some(list) => list.iter().copied().collect(),
            None => AlgorithmSet::asymmetric(),
        };
        if allowed.is_empty() {
            return Err(ConfigError::new("algorithms", "the allow-list is empty"));
        }
        if self.issuers.is_empty() {
            return Err(ConfigError::new("issuers", "at least one trusted issuer is required"));
        }
        if self.issuers.len() > 1 && self.issuers.iter().any(|i| i.issuer.is_none()) {
            return Err(ConfigError::new("issuers", "an issuer-agnostic key source must be the only issuer"));
        }
        if self.resource_audience && self.resource_metadata.is_none() {
            return Err(ConfigError::new(
                "resource_audience",
                "needs resource_metadata (the canonical resource URL)",
            ));
        }
        if self.audiences.is_empty() && !self.skip_audience && !self.resource_audience {
            return Err(ConfigError::new(
                "audience",
                "no audience configured (set the API's audience, or turn the check off explicitly)",
            ));
        }
        if self.audiences.iter().any(String::is_empty) {
            return Err(ConfigError::new("audience", "must not be empty"));
        }
        if self.max_token_bytes < 64 {
            return Err(ConfigError::new("max_token_bytes", "too small for any token"));
        }
        if self.token_cache.is_enabled() && self.token_cache.max_bytes < self.token_cache.max_entries {
            return Err(ConfigError::new("token_cache.max_bytes", "smaller than one byte per entry"));
        }
        if self.scope_claims.is_empty() {
            return Err(ConfigError::new("scope_claims", "name at least one claim"));
        }

        let stats = Arc::new(Stats::new());
        let fetcher = Fetcher::new(&self.jwks, self.http_client.clone())?;
        let remote_allowed: AlgorithmSet = allowed.iter().filter(|a| !a.is_symmetric()).collect();
        let mut seen = HashSet::new();
        let mut entries = Vec::new();
        for (i, issuer) in self.issuers.iter().enumerate() {
            if let Some(name) = &issuer.issuer {
                if name.is_empty() {
                    return Err(ConfigError::new(format!("issuers[{i}].issuer"), "must not be empty"));
                }
                if !seen.insert(name.clone()) {
                    return Err(ConfigError::new(
                        format!("issuers[{i}].issuer"),
                        format!("`{name}` is listed twice"),
                    ));
                }
            }
            let remote = |location| {
                if remote_allowed.is_empty() {
                    return Err(ConfigError::new(
                        "algorithms",
                        "only HMAC algorithms are allowed, but HMAC keys never come from a JWKS",
                    ));
                }
                Ok(IssuerKeys::Remote(Arc::new(JwksCache::new(
                    location,
                    fetcher.clone(),
                    self.jwks.clone(),
                    remote_allowed,
                    Arc::clone(&stats),
                ))))
            };
            let keys = match (&issuer.keys, &issuer.issuer) {
                (KeySource::Discovery, None) => {
                    return Err(ConfigError::new(
                        format!("issuers[{i}].issuer"),
                        "discovery needs an issuer URL",
                    ));
                }
                (KeySource::Discovery, Some(name)) => {
                    let setting = format!("issuers[{i}].issuer");
                    let issuer_url = check_url(name, self.jwks.allow_insecure_http, &setting)?;
                    remote(JwksLocation::Discovery { issuer: name.clone(), issuer_url })?
                }
                (KeySource::JwksUrl(url), _) => {
                    let setting = format!("issuers[{i}].jwks_uri");
                    remote(JwksLocation::Url(check_url(url, self.jwks.allow_insecure_http, &setting)?))?
                }
                (KeySource::Static(keys), _) => {
                    if keys.is_empty() {
                        return Err(ConfigError::new(format!("issuers[{i}].keys"), "no key given"));
                    }
                    let mut built = Vec::new();
                    for (j, key) in keys.iter().enumerate() {
                        built.extend(key.build(allowed, &format!("issuers[{i}].keys[{j}]"))?);
                    }
                    IssuerKeys::Static(Arc::new(KeySet::new(built)))
                }
            };
            entries.push((issuer.issuer.clone(), keys));
        }

        let mut checks = self.checks;
        let dpop = match self.dpop.mode() {
            DpopMode::Off => None,
            _ => Some(Arc::new(DpopCheck::new(&self.dpop, Arc::clone(&self.clock))?)),
        };
        if let Some(check) = &dpop {
            checks.push((Stage::KeyBinding, Arc::clone(check) as Arc<dyn RequestCheck>));
        }
        if let Some(revocations) = &self.revocations {
            checks.push((Stage::Revocation, Arc::new(RevocationCheck::new(revocations.clone()))));
        }
        let dpop_challenge = dpop.as_ref().map(|check| DpopChallenge {
            algs: Arc::from(self.dpop.algs_param()),
            required: self.dpop.mode() == DpopMode::Required,
            nonces: check.nonces().map(|n| (n.clone(), Arc::clone(&self.clock))),
        });
        let resource = match self.resource_metadata.clone() {
            None => None,
            Some(metadata) => {
                let issuers = self.issuers.iter().filter_map(|i| i.issuer.clone()).collect();
                let dpop = dpop.as_ref().map(|_| {
                    let algs = self.dpop.algs_param().split(' ').map(str::to_owned).collect();
                    (algs, self.dpop.mode() == DpopMode::Required)
                });
                Some(Arc::new(metadata.build(issuers, dpop)?))
            }
        };
        let audiences = Audiences {
            exact: if self.skip_audience { Vec::new() } else { self.audiences.clone() },
            resource: resource.as_ref().filter(|_| self.resource_audience).map(|r| Arc::from(r.resource())),
        };
        // Stable: the user's checks keep the order they were added in.
        checks.sort_by_key(|(stage, _)| *stage);
        let checks: Vec<Arc<dyn RequestCheck>> = checks.into_iter().map(|(_, c)| c).collect();
        let mut check_headers: Vec<&'static str> = Vec::new();
        for name in checks.iter().flat_map(|c| c.headers()) {
            if !check_headers.contains(name) {
                check_headers.push(name);
            }
        }
        let checks_read_body = checks.iter().any(|c| c.reads_body());
        let checks_read_request = checks.iter().any(|c| c.reads_request());

        let introspection = match &self.introspection {
            None => None,
            Some(options) => {
                let discovery_issuer = self.issuers.iter().find_map(|i| match (&i.keys, &i.issuer) {
                    (KeySource::Discovery, Some(name)) => Some(name.as_str()),
                    _ => None,
                });
                let rules = ClaimRules {
                    issuers: self.issuers.iter().filter_map(|i| i.issuer.clone()).collect(),
                    audiences: audiences.clone(),
                    time: TimeRules { leeway: self.leeway, require_exp: false, max_age: None },
                    scope_claims: self.scope_claims.clone(),
                    required_claims: self.required_claims.iter().map(|c| Arc::from(c.as_str())).collect(),
                    allowed_clients: self.allowed_clients.clone(),
                };
                Some(Arc::new(IntrospectionVerifier::new(
                    options,
                    discovery_issuer,
                    fetcher.clone(),
                    self.jwks.allow_insecure_http,
                    rules,
                    Arc::clone(&self.clock),
                    Arc::clone(&stats),
                )?))
            }
        };
        let jws = JwsVerifier {
            issuers: IssuerRegistry::new(entries),
            allowed,
            profile: self.profile,
            audiences,
            time: TimeRules { leeway: self.leeway, require_exp: true, max_age: self.max_age },
            required_claims: self.required_claims.into_iter().map(Arc::from).collect(),
            allowed_clients: self.allowed_clients,
            scope_claims: self.scope_claims,
            clock: self.clock,
            max_token_bytes: self.max_token_bytes,
            known_headers: Default::default(),
        };
        let validator = Validator(Arc::new(Inner {
            jws,
            checks,
            check_headers,
            checks_read_body,
            checks_read_request,
            challenges: ChallengeRules {
                realm: self.realm.map(Arc::from),
                bearer: self.dpop.mode().accepts_bearer(),
                dpop: dpop_challenge,
                resource_metadata: resource.as_ref().map(|r| Arc::from(r.metadata_url())),
            },
            resource,
            stats,
            token_cache: TokenCache::new(&self.token_cache),
            dpop_mode: self.dpop.mode(),
            dpop,
            introspection,
            revocations: self.revocations,
        }));
        // Sets `auth_ready` from the start: 1 with static keys only, else 0 until keys load.
        validator.is_ready();
        Ok(validator)
    }
}
