//! The knobs of the JWKS cache and its fetches, with defaults chosen for production.

use std::time::Duration;

use serde::Deserialize;

use crate::error::ConfigError;

/// How keys are fetched and kept. Every default is documented with its reason.
///
/// ```
/// use std::time::Duration;
/// use auth_core::JwksOptions;
///
/// let options = JwksOptions::default().max_stale(Duration::from_secs(600));
/// assert_eq!(options.unknown_kid_cooldown, Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct JwksOptions {
    /// Minimum time between refreshes triggered by an unknown `kid`. Default 30 s (as jose and
    /// auth0 do): a flood of random `kid`s costs the provider at most one fetch per 30 s.
    #[serde(with = "secs")]
    pub unknown_kid_cooldown: Duration,
    /// Key lifetime when the response has no usable `Cache-Control: max-age`. Default 5 min.
    /// The TTL bounds (`default_ttl`, `min_ttl`, `max_ttl`) apply to the issuer's discovery
    /// document too: its `jwks_uri` is read again when that document's freshness ends, so a
    /// provider that moves its keys is followed within `max_ttl` (a day) at worst, and at once
    /// when the old `jwks_uri` answers 404 or 410.
    #[serde(with = "secs")]
    pub default_ttl: Duration,
    /// Lower bound on `max-age`. Default 30 s: a provider sending `max-age=0` or `no-store`
    /// does not turn every request into a fetch.
    #[serde(with = "secs")]
    pub min_ttl: Duration,
    /// Upper bound on `max-age`. Default 24 h: a removed key is gone within a day at worst.
    #[serde(with = "secs")]
    pub max_ttl: Duration,
    /// How long before expiry a request starts a background refresh. Default 60 s, at most half
    /// the TTL: refreshes happen while the keys are still fresh, so no request waits on one.
    #[serde(with = "secs")]
    pub refresh_ahead: Duration,
    /// How long past expiry the last good keys are still served while the provider fails.
    /// Default 1 h: rides out a provider outage without trusting a key set for much longer
    /// than its provider meant.
    #[serde(with = "secs")]
    pub max_stale: Duration,
    /// First delay after a failed fetch before the next one; doubles up to `max_retry_backoff`.
    /// Default 1 s.
    #[serde(with = "secs")]
    pub retry_backoff: Duration,
    /// Largest delay between retries after repeated failures. Default 30 s.
    #[serde(with = "secs")]
    pub max_retry_backoff: Duration,
    /// TCP + TLS connect timeout. Default 2 s.
    #[serde(with = "secs")]
    pub connect_timeout: Duration,
    /// Timeout for a whole fetch, body included (drip-fed bodies end here). Default 5 s.
    #[serde(with = "secs")]
    pub fetch_timeout: Duration,
    /// How long a request waits for keys being fetched before it is answered 503. Default 3 s:
    /// shorter than the fetch timeout, so a hung provider holds no request for the whole fetch,
    /// which goes on in the background for the next requests. At most `fetch_timeout`.
    #[serde(with = "secs")]
    pub max_wait: Duration,
    /// Largest accepted JWKS or discovery document. Default 256 KiB (real JWKS are a few KiB,
    /// even with `x5c` chains).
    pub max_body_bytes: usize,
    /// Most keys read from one JWKS. Default 100.
    pub max_keys: usize,
    /// Allow plain `http` URLs for hosts other than loopback. Default off.
    pub allow_insecure_http: bool,
}

impl Default for JwksOptions {
    fn default() -> Self {
        JwksOptions {
            unknown_kid_cooldown: Duration::from_secs(30),
            default_ttl: Duration::from_secs(300),
            min_ttl: Duration::from_secs(30),
            max_ttl: Duration::from_secs(24 * 3600),
            refresh_ahead: Duration::from_secs(60),
            max_stale: Duration::from_secs(3600),
            retry_backoff: Duration::from_secs(1),
            max_retry_backoff: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(2),
            fetch_timeout: Duration::from_secs(5),
            max_wait: Duration::from_secs(3),
            max_body_bytes: 256 * 1024,
            max_keys: 100,
            allow_insecure_http: false,
        }
    }
}

macro_rules! setter {
    ($(#[$doc:meta] $name:ident: $ty:ty),* $(,)?) => {
        impl JwksOptions {
            $(#[$doc] pub fn $name(mut self, value: $ty) -> Self { self.$name = value; self })*
        }
    };
}

setter! {
    /// Sets [`JwksOptions::unknown_kid_cooldown`].
    unknown_kid_cooldown: Duration,
    /// Sets [`JwksOptions::default_ttl`].
    default_ttl: Duration,
    /// Sets [`JwksOptions::min_ttl`].
    min_ttl: Duration,
    /// Sets [`JwksOptions::max_ttl`].
    max_ttl: Duration,
    /// Sets [`JwksOptions::refresh_ahead`].
    refresh_ahead: Duration,
    /// Sets [`JwksOptions::max_stale`].
    max_stale: Duration,
    /// Sets [`JwksOptions::retry_backoff`].
    retry_backoff: Duration,
    /// Sets [`JwksOptions::max_retry_backoff`].
    max_retry_backoff: Duration,
    /// Sets [`JwksOptions::connect_timeout`].
    connect_timeout: Duration,
    /// Sets [`JwksOptions::fetch_timeout`].
    fetch_timeout: Duration,
    /// Sets [`JwksOptions::max_wait`].
    max_wait: Duration,
    /// Sets [`JwksOptions::max_body_bytes`].
    max_body_bytes: usize,
    /// Sets [`JwksOptions::max_keys`].
    max_keys: usize,
    /// Sets [`JwksOptions::allow_insecure_http`].
    allow_insecure_http: bool,
}

impl JwksOptions {
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let err = |s: &str, m: &str| Err(ConfigError::new(format!("jwks.{s}"), m));
        if self.min_ttl > self.max_ttl {
            return err("min_ttl", "must not exceed jwks.max_ttl");
        }
        if self.min_ttl.is_zero() {
            return err("min_ttl", "must be positive");
        }
        if self.connect_timeout.is_zero() || self.fetch_timeout.is_zero() {
            return err("fetch_timeout", "timeouts must be positive");
        }
        if self.max_wait.is_zero() || self.max_wait > self.fetch_timeout {
            return err("max_wait", "must be positive and not exceed jwks.fetch_timeout");
        }
        if self.retry_backoff.is_zero() || self.retry_backoff > self.max_retry_backoff {
            return err("retry_backoff", "must be positive and not exceed jwks.max_retry_backoff");
        }
        if self.max_body_bytes == 0 || self.max_keys == 0 {
            return err("max_body_bytes", "limits must be positive");
        }
        Ok(())
    }

    /// The TTL for a response with this `max-age`, clamped to the bounds.
    pub(crate) fn ttl(&self, max_age: Option<Duration>) -> Duration {
        max_age.unwrap_or(self.default_ttl).clamp(self.min_ttl, self.max_ttl)
    }
}

mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}
