//! The settings of the state instances share: `AUTH_REDIS_URL` and `AUTH_REVOCATION_*`.

use std::time::Duration;

use auth_core::ConfigError;
use auth_core::checks::revocation::StalePolicy;

use super::{
    AUTH_REDIS_URL, AUTH_REVOCATION_FAIL, AUTH_REVOCATION_MAX_STALE, AUTH_REVOCATION_RETENTION, Settings,
};

/// `AUTH_REDIS_URL`, checked to be `redis://host[:port][/db]`; its `Debug` hides any password.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(String);

impl RedisUrl {
    /// Checks `url` (the error names `AUTH_REDIS_URL` and never repeats the URL).
    pub fn parse(url: &str) -> Result<RedisUrl, ConfigError> {
        let bad = |why: &str| {
            ConfigError::new(AUTH_REDIS_URL, format!("{why} (expected redis://host[:port][/db])"))
        };
        let parsed = reqwest::Url::parse(url).map_err(|_| bad("not a URL"))?;
        if parsed.scheme() != "redis" {
            return Err(bad("the scheme must be redis://"));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(bad("names no host"));
        }
        let db = parsed.path().trim_start_matches('/');
        if !(db.is_empty() || db.parse::<u16>().is_ok()) {
            return Err(bad("the path must be a database number"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(bad("takes no query or fragment"));
        }
        Ok(RedisUrl(url.to_owned()))
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match reqwest::Url::parse(&self.0) {
            Ok(url) if url.password().is_some() => {
                write!(f, "redis://…@{}", url.host_str().unwrap_or_default())
            }
            _ => f.write_str(&self.0),
        }
    }
}

/// `AUTH_REDIS_URL` and `AUTH_REVOCATION_*`.
pub(super) fn revocation_settings(
    get: &impl Fn(&str) -> Option<String>,
    settings: &mut Settings,
) -> Result<(), ConfigError> {
    if let Some(url) = get(AUTH_REDIS_URL) {
        settings.redis_url = Some(RedisUrl::parse(&url)?);
    }
    if let Some(secs) = get(AUTH_REVOCATION_MAX_STALE) {
        settings.revocation_max_stale = seconds(AUTH_REVOCATION_MAX_STALE, &secs, 1)?;
    }
    if let Some(policy) = get(AUTH_REVOCATION_FAIL) {
        settings.revocation_fail = match policy.as_str() {
            "closed" => StalePolicy::FailClosed,
            "open" => StalePolicy::FailOpen,
            _ => return Err(ConfigError::new(AUTH_REVOCATION_FAIL, "must be `closed` or `open`")),
        };
    }
    if let Some(secs) = get(AUTH_REVOCATION_RETENTION) {
        settings.revocation_retention = seconds(AUTH_REVOCATION_RETENTION, &secs, 1)?;
    }
    Ok(())
}

/// A whole number of seconds, at least `min`; the error names the variable `name`.
pub(super) fn seconds(name: &str, value: &str, min: u64) -> Result<Duration, ConfigError> {
    match value.parse::<u64>() {
        Ok(secs) if secs >= min => Ok(Duration::from_secs(secs)),
        _ => Err(ConfigError::new(name, format!("`{value}` is not a number of seconds (at least {min})"))),
    }
}
