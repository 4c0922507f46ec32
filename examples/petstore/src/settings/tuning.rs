//! The validator's finer settings, for operators who need them: time leeway, maximum token age,
//! required claims, allowed clients, scope claims, and the JWKS cache (`AUTH_JWKS_OPTIONS`, every
//! field of `auth_core::JwksOptions` as JSON, `allow_insecure_http` among them).

use std::time::Duration;

use auth_core::{ConfigError, JwksOptions, ValidatorBuilder};

use super::shared::seconds;

/// `AUTH_LEEWAY`: seconds of clock skew allowed on `exp`, `nbf` and `iat`; default 60.
pub const AUTH_LEEWAY: &str = "AUTH_LEEWAY";
/// `AUTH_MAX_TOKEN_AGE`: seconds since `iat` after which a token is refused (and a token without
/// `iat` too); default unset (no limit beyond `exp`).
pub const AUTH_MAX_TOKEN_AGE: &str = "AUTH_MAX_TOKEN_AGE";
/// `AUTH_REQUIRED_CLAIMS`: claims every token must carry, comma-separated, on top of the profile's.
pub const AUTH_REQUIRED_CLAIMS: &str = "AUTH_REQUIRED_CLAIMS";
/// `AUTH_ALLOWED_CLIENTS`: the only `client_id` (or `azp`) values accepted, comma-separated.
pub const AUTH_ALLOWED_CLIENTS: &str = "AUTH_ALLOWED_CLIENTS";
/// `AUTH_SCOPE_CLAIMS`: the claims scopes are read from, comma-separated; default `scope,scp`.
pub const AUTH_SCOPE_CLAIMS: &str = "AUTH_SCOPE_CLAIMS";
/// `AUTH_JWKS_OPTIONS`: the JWKS cache and fetch settings as a JSON object of
/// `auth_core::JwksOptions` fields (durations in seconds), e.g.
/// `{"max_stale": 600, "allow_insecure_http": true}`; unnamed fields keep their defaults.
pub const AUTH_JWKS_OPTIONS: &str = "AUTH_JWKS_OPTIONS";

/// The variables this module reads.
pub(super) const TUNING_VARIABLES: [&str; 6] = [
    AUTH_LEEWAY,
    AUTH_MAX_TOKEN_AGE,
    AUTH_REQUIRED_CLAIMS,
    AUTH_ALLOWED_CLIENTS,
    AUTH_SCOPE_CLAIMS,
    AUTH_JWKS_OPTIONS,
];

/// The validator settings the Petstore leaves at the library's defaults unless set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tuning {
    /// `AUTH_LEEWAY`.
    pub leeway: Option<Duration>,
    /// `AUTH_MAX_TOKEN_AGE`.
    pub max_token_age: Option<Duration>,
    /// `AUTH_REQUIRED_CLAIMS`.
    pub required_claims: Vec<String>,
    /// `AUTH_ALLOWED_CLIENTS`.
    pub allowed_clients: Option<Vec<String>>,
    /// `AUTH_SCOPE_CLAIMS`.
    pub scope_claims: Option<Vec<String>>,
    /// `AUTH_JWKS_OPTIONS`.
    pub jwks: Option<JwksOptions>,
}

impl Tuning {
    /// Reads the variables through `get` (trimmed, empty as unset). The error names the variable.
    pub(super) fn read(get: &impl Fn(&str) -> Option<String>) -> Result<Tuning, ConfigError> {
        let mut tuning = Tuning::default();
        if let Some(secs) = get(AUTH_LEEWAY) {
            tuning.leeway = Some(seconds(AUTH_LEEWAY, &secs, 0)?);
        }
        if let Some(secs) = get(AUTH_MAX_TOKEN_AGE) {
            tuning.max_token_age = Some(seconds(AUTH_MAX_TOKEN_AGE, &secs, 1)?);
        }
        if let Some(list) = get(AUTH_REQUIRED_CLAIMS) {
            tuning.required_claims = names(AUTH_REQUIRED_CLAIMS, &list)?;
        }
        if let Some(list) = get(AUTH_ALLOWED_CLIENTS) {
            tuning.allowed_clients = Some(names(AUTH_ALLOWED_CLIENTS, &list)?);
        }
        if let Some(list) = get(AUTH_SCOPE_CLAIMS) {
            tuning.scope_claims = Some(names(AUTH_SCOPE_CLAIMS, &list)?);
        }
        if let Some(json) = get(AUTH_JWKS_OPTIONS) {
            let options: JwksOptions = serde_json::from_str(&json).map_err(|e| {
                ConfigError::new(AUTH_JWKS_OPTIONS, format!("not a JwksOptions JSON object: {e}"))
            })?;
            tuning.jwks = Some(options);
        }
        Ok(tuning)
    }

    /// `builder` with every setting given here.
    pub fn apply(&self, mut builder: ValidatorBuilder) -> ValidatorBuilder {
        if let Some(leeway) = self.leeway {
            builder = builder.leeway(leeway);
        }
        if let Some(age) = self.max_token_age {
            builder = builder.max_token_age(age);
        }
        for claim in &self.required_claims {
            builder = builder.require_claim(claim.clone());
        }
        if let Some(clients) = &self.allowed_clients {
            builder = builder.allowed_clients(clients.iter().cloned());
        }
        if let Some(claims) = &self.scope_claims {
            builder = builder.scope_claims(claims.iter().cloned());
        }
        if let Some(options) = &self.jwks {
            builder = builder.jwks_options(options.clone());
        }
        builder
    }
}

/// The builder's error about a JWKS field (`jwks.max_wait`, …), attributed to
/// `AUTH_JWKS_OPTIONS` with the field kept in the message.
pub(crate) fn jwks_field_error(error: &ConfigError) -> Option<ConfigError> {
    let field = error.setting().strip_prefix("jwks.")?;
    Some(ConfigError::new(AUTH_JWKS_OPTIONS, format!("`{field}` {}", error.message())))
}

fn names(name: &str, list: &str) -> Result<Vec<String>, ConfigError> {
    let names: Vec<String> =
        list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if names.is_empty() {
        return Err(ConfigError::new(name, "name at least one value, comma-separated"));
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;

    fn read(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| (*v).to_owned()))
    }

    #[test]
    fn every_tuning_variable_reaches_the_settings() {
        let s = read(&[
            (AUTH_LEEWAY, "5"),
            (AUTH_MAX_TOKEN_AGE, "3600"),
            (AUTH_REQUIRED_CLAIMS, "jti, sid"),
            (AUTH_ALLOWED_CLIENTS, "web,cli"),
            (AUTH_SCOPE_CLAIMS, "roles"),
            (AUTH_JWKS_OPTIONS, r#"{"allow_insecure_http": true, "max_stale": 600}"#),
        ])
        .unwrap();
        let t = &s.tuning;
        assert_eq!(t.leeway, Some(Duration::from_secs(5)));
        assert_eq!(t.max_token_age, Some(Duration::from_secs(3600)));
        assert_eq!(t.required_claims, ["jti", "sid"]);
        assert_eq!(t.allowed_clients.as_deref(), Some(&["web".to_owned(), "cli".to_owned()][..]));
        assert_eq!(t.scope_claims.as_deref(), Some(&["roles".to_owned()][..]));
        let jwks = t.jwks.as_ref().unwrap();
        assert!(jwks.allow_insecure_http);
        assert_eq!(jwks.max_stale, Duration::from_secs(600));
        assert_eq!(jwks.max_keys, JwksOptions::default().max_keys, "unnamed fields keep their defaults");
        assert_eq!(read(&[]).unwrap().tuning, Tuning::default());
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (name, bad) in [
            (AUTH_LEEWAY, "-1"),
            (AUTH_MAX_TOKEN_AGE, "0"),
            (AUTH_REQUIRED_CLAIMS, " , "),
            (AUTH_ALLOWED_CLIENTS, ","),
            (AUTH_SCOPE_CLAIMS, ","),
            (AUTH_JWKS_OPTIONS, r#"{"max_stale": "long"}"#),
            (AUTH_JWKS_OPTIONS, r#"{"allow_insecure": true}"#),
        ] {
            let err = read(&[(name, bad)]).unwrap_err();
            assert_eq!(err.setting(), name, "{name}={bad}: {err}");
        }
    }

    #[test]
    fn an_inconsistent_jwks_option_found_by_the_builder_names_the_variable() {
        let s = read(&[
            ("AUTH_ISSUER", "https://idp.example.com"),
            (AUTH_JWKS_OPTIONS, r#"{"min_ttl": 7200, "max_ttl": 60}"#),
        ])
        .unwrap();
        let err = crate::build_validator(&s).unwrap_err();
        assert_eq!(err.setting(), AUTH_JWKS_OPTIONS, "{err}");
        assert!(err.message().contains("min_ttl"), "{err}");
    }
}
