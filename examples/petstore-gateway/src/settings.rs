//! The gateway's settings, read from environment variables, every one checked at startup.

use std::net::SocketAddr;

use auth_core::{Algorithm, ConfigError, Profile};

/// `GATEWAY_ADDR`: where the gateway listens. Default `127.0.0.1:8090`.
pub const GATEWAY_ADDR: &str = "GATEWAY_ADDR";
/// `UPSTREAM_URL`: the Petstore's base URL (`http(s)://host[:port][/prefix]`).
pub const UPSTREAM_URL: &str = "UPSTREAM_URL";
/// `AUTH_ISSUER`: the provider that issues callers' tokens and the gateway's own.
pub const AUTH_ISSUER: &str = "AUTH_ISSUER";
/// `AUTH_AUDIENCE`: the audience callers' tokens must name. Default `petstore-gateway`.
pub const AUTH_AUDIENCE: &str = "AUTH_AUDIENCE";
/// `AUTH_ALGORITHMS`: as for the Petstore.
pub const AUTH_ALGORITHMS: &str = petstore::AUTH_ALGORITHMS;
/// `AUTH_PROFILE`: as for the Petstore.
pub const AUTH_PROFILE: &str = petstore::AUTH_PROFILE;
/// `GATEWAY_CLIENT_ID`: the gateway's client at the provider.
pub const GATEWAY_CLIENT_ID: &str = "GATEWAY_CLIENT_ID";
/// `GATEWAY_CLIENT_SECRET`: its secret (sent as `client_secret_basic`).
pub const GATEWAY_CLIENT_SECRET: &str = "GATEWAY_CLIENT_SECRET";
/// `UPSTREAM_AUDIENCE`: the RFC 8707 `resource` asked for (an absolute URI). Default `UPSTREAM_URL`.
pub const UPSTREAM_AUDIENCE: &str = "UPSTREAM_AUDIENCE";
/// `UPSTREAM_SCOPE`: the scope asked for. Default `pets:read`.
pub const UPSTREAM_SCOPE: &str = "UPSTREAM_SCOPE";
/// `GATEWAY_UPSTREAM_AUTH`: `client_credentials` (default) or `token_exchange`.
pub const GATEWAY_UPSTREAM_AUTH: &str = "GATEWAY_UPSTREAM_AUTH";

/// Every variable [`Settings::from_env`] reads.
pub const VARIABLES: [&str; 11] = [
    GATEWAY_ADDR,
    UPSTREAM_URL,
    AUTH_ISSUER,
    AUTH_AUDIENCE,
    AUTH_ALGORITHMS,
    AUTH_PROFILE,
    GATEWAY_CLIENT_ID,
    GATEWAY_CLIENT_SECRET,
    UPSTREAM_AUDIENCE,
    UPSTREAM_SCOPE,
    GATEWAY_UPSTREAM_AUTH,
];

/// The default listen address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8090";
/// The default audience of callers' tokens, and the realm named in challenges.
pub const DEFAULT_AUDIENCE: &str = "petstore-gateway";
/// The default scope asked for upstream.
pub const DEFAULT_UPSTREAM_SCOPE: &str = "pets:read";

/// How the gateway gets its upstream token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamAuth {
    /// Its own token (client credentials): the Petstore sees the gateway's client.
    ClientCredentials,
    /// The caller's token exchanged (RFC 8693): the Petstore sees the caller's `sub`.
    TokenExchange,
}

/// Where the upstream and the provider are: both configured, or neither (the development setup:
/// a dev issuer and a Petstore the gateway starts itself).
#[derive(Clone, PartialEq, Eq)]
pub struct Provider {
    /// `UPSTREAM_URL`, without a trailing slash.
    pub upstream_url: String,
    /// `AUTH_ISSUER`.
    pub issuer: String,
    /// `GATEWAY_CLIENT_ID`.
    pub client_id: String,
    /// `GATEWAY_CLIENT_SECRET`.
    pub client_secret: String,
    /// `UPSTREAM_AUDIENCE` (default: the upstream URL).
    pub upstream_audience: String,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("upstream_url", &self.upstream_url)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("upstream_audience", &self.upstream_audience)
            .finish()
    }
}

/// The gateway's configuration. An empty variable counts as unset.
///
/// ```
/// let settings = petstore_gateway::Settings::from_lookup(|name| match name {
///     "UPSTREAM_URL" => Some("https://petstore.example.com".to_owned()),
///     "AUTH_ISSUER" => Some("https://idp.example.com".to_owned()),
///     "GATEWAY_CLIENT_ID" => Some("gateway".to_owned()),
///     "GATEWAY_CLIENT_SECRET" => Some("s3cret".to_owned()),
///     _ => None,
/// })?;
/// assert_eq!(settings.provider.unwrap().upstream_audience, "https://petstore.example.com");
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settings {
    /// Listen address (`GATEWAY_ADDR`).
    pub addr: SocketAddr,
    /// The upstream and provider; `None` for the development setup.
    pub provider: Option<Provider>,
    /// Callers' audience (`AUTH_AUDIENCE`).
    pub audience: String,
    /// Algorithm allow-list (`AUTH_ALGORITHMS`); `None` means every asymmetric algorithm.
    pub algorithms: Option<Vec<Algorithm>>,
    /// Token profile (`AUTH_PROFILE`).
    pub profile: Profile,
    /// The scope asked for upstream (`UPSTREAM_SCOPE`).
    pub upstream_scope: String,
    /// `GATEWAY_UPSTREAM_AUTH`.
    pub upstream_auth: UpstreamAuth,
}

impl Settings {
    /// Reads the process environment. A variable that is not valid UTF-8 is an error too.
    pub fn from_env() -> Result<Settings, ConfigError> {
        petstore::refuse_non_utf8(&VARIABLES)?;
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup` (tests pass a map). The error names the variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let addr = match get(GATEWAY_ADDR) {
            None => SocketAddr::from(([127, 0, 0, 1], 8090)),
            Some(addr) => addr.parse().map_err(|e| {
                ConfigError::new(
                    GATEWAY_ADDR,
                    format!("`{addr}` is not a socket address like {DEFAULT_ADDR}: {e}"),
                )
            })?,
        };
        // The Petstore's own parsing, for the two variables the gateway shares with it.
        let shared = petstore::Settings::from_lookup(|name| {
            [AUTH_ALGORITHMS, AUTH_PROFILE].contains(&name).then(|| get(name)).flatten()
        })?;
        let upstream_auth = match get(GATEWAY_UPSTREAM_AUTH).as_deref() {
            None | Some("client_credentials") => UpstreamAuth::ClientCredentials,
            Some("token_exchange") => UpstreamAuth::TokenExchange,
            Some(other) => {
                return Err(ConfigError::new(
                    GATEWAY_UPSTREAM_AUTH,
                    format!("`{other}` is not `client_credentials` or `token_exchange`"),
                ));
            }
        };
        Ok(Settings {
            addr,
            provider: provider(&get)?,
            audience: get(AUTH_AUDIENCE).unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned()),
            algorithms: shared.algorithms,
            profile: shared.profile,
            upstream_scope: get(UPSTREAM_SCOPE).unwrap_or_else(|| DEFAULT_UPSTREAM_SCOPE.to_owned()),
            upstream_auth,
        })
    }
}

/// `UPSTREAM_URL`, `AUTH_ISSUER` and the client: all of them, or none of the first two.
fn provider(get: &impl Fn(&str) -> Option<String>) -> Result<Option<Provider>, ConfigError> {
    let (upstream, issuer) = match (get(UPSTREAM_URL), get(AUTH_ISSUER)) {
        (None, None) => {
            for name in [GATEWAY_CLIENT_ID, GATEWAY_CLIENT_SECRET, UPSTREAM_AUDIENCE] {
                if get(name).is_some() {
                    return Err(ConfigError::new(name, "needs UPSTREAM_URL and AUTH_ISSUER"));
                }
            }
            return Ok(None);
        }
        (Some(_), None) => return Err(ConfigError::new(AUTH_ISSUER, "must be set with UPSTREAM_URL")),
        (None, Some(_)) => return Err(ConfigError::new(UPSTREAM_URL, "must be set with AUTH_ISSUER")),
        (Some(upstream), Some(issuer)) => (upstream, issuer),
    };
    let upstream_url = http_url(&upstream).ok_or_else(|| {
        ConfigError::new(
            UPSTREAM_URL,
            format!("`{upstream}` is not an http(s) URL without query or fragment"),
        )
    })?;
    let required =
        |name: &str| get(name).ok_or_else(|| ConfigError::new(name, "must be set with UPSTREAM_URL"));
    let (client_id, client_secret) = (required(GATEWAY_CLIENT_ID)?, required(GATEWAY_CLIENT_SECRET)?);
    let upstream_audience = match get(UPSTREAM_AUDIENCE) {
        None => upstream_url.clone(),
        Some(uri) if absolute_uri(&uri) => uri,
        Some(uri) => {
            return Err(ConfigError::new(
                UPSTREAM_AUDIENCE,
                format!("`{uri}` is not an absolute URI (RFC 8707)"),
            ));
        }
    };
    Ok(Some(Provider { upstream_url, issuer, client_id, client_secret, upstream_audience }))
}

/// `url` without a trailing slash when it is `http(s)://host…` with no query or fragment.
fn http_url(url: &str) -> Option<String> {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"))?;
    let host = rest.split('/').next()?;
    if host.is_empty() || url.contains(['?', '#', ' ']) {
        return None;
    }
    Some(url.trim_end_matches('/').to_owned())
}

/// RFC 3986 §4.3: a scheme, `:`, and something after it; no fragment.
fn absolute_uri(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once(':') else { return false };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && !uri.contains('#')
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn parse(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    const FULL: [(&str, &str); 4] = [
        (UPSTREAM_URL, "https://petstore.example.com/"),
        (AUTH_ISSUER, "https://idp.example.com"),
        (GATEWAY_CLIENT_ID, "gateway"),
        (GATEWAY_CLIENT_SECRET, "s3cret"),
    ];

    #[test]
    fn nothing_set_is_the_development_setup() {
        let s = parse(&[]).unwrap();
        assert_eq!(s.provider, None);
        assert_eq!(s.addr.to_string(), DEFAULT_ADDR);
        assert_eq!(s.audience, DEFAULT_AUDIENCE);
        assert_eq!(
            (s.upstream_scope.as_str(), s.upstream_auth),
            ("pets:read", UpstreamAuth::ClientCredentials)
        );
    }

    #[test]
    fn every_variable_is_read() {
        let mut vars = FULL.to_vec();
        vars.extend([
            (GATEWAY_ADDR, "0.0.0.0:9090"),
            (AUTH_AUDIENCE, "api://gateway"),
            (AUTH_ALGORITHMS, "ES256"),
            (AUTH_PROFILE, "generic"),
            (UPSTREAM_AUDIENCE, "urn:petstore"),
            (UPSTREAM_SCOPE, "pets:read pets:write"),
            (GATEWAY_UPSTREAM_AUTH, "token_exchange"),
        ]);
        let s = parse(&vars).unwrap();
        let p = s.provider.clone().unwrap();
        assert_eq!(p.upstream_url, "https://petstore.example.com", "the trailing slash goes");
        assert_eq!((p.client_id.as_str(), p.upstream_audience.as_str()), ("gateway", "urn:petstore"));
        assert!(!format!("{p:?}").contains("s3cret"));
        assert_eq!(s.addr.port(), 9090);
        assert_eq!(s.audience, "api://gateway");
        assert_eq!(s.algorithms, Some(vec![Algorithm::ES256]));
        assert_eq!(s.profile, Profile::Generic);
        assert_eq!(s.upstream_scope, "pets:read pets:write");
        assert_eq!(s.upstream_auth, UpstreamAuth::TokenExchange);
        assert_eq!(parse(&FULL).unwrap().provider.unwrap().upstream_audience, "https://petstore.example.com");
    }

    #[test]
    fn bad_or_partial_settings_name_the_variable() {
        let without = |name: &str| FULL.iter().copied().filter(|(n, _)| *n != name).collect::<Vec<_>>();
        let with = |name, value| {
            let mut vars = FULL.to_vec();
            vars.retain(|(n, _)| *n != name);
            vars.push((name, value));
            vars
        };
        for (vars, named) in [
            (without(AUTH_ISSUER), AUTH_ISSUER),
            (without(UPSTREAM_URL), UPSTREAM_URL),
            (without(GATEWAY_CLIENT_ID), GATEWAY_CLIENT_ID),
            (without(GATEWAY_CLIENT_SECRET), GATEWAY_CLIENT_SECRET),
            (vec![(GATEWAY_CLIENT_ID, "gateway")], GATEWAY_CLIENT_ID),
            (with(UPSTREAM_URL, "ftp://petstore.example.com"), UPSTREAM_URL),
            (with(UPSTREAM_URL, "https://petstore.example.com/?x=1"), UPSTREAM_URL),
            (with(UPSTREAM_AUDIENCE, "petstore"), UPSTREAM_AUDIENCE),
            (with(GATEWAY_UPSTREAM_AUTH, "both"), GATEWAY_UPSTREAM_AUTH),
            (with(GATEWAY_ADDR, "localhost"), GATEWAY_ADDR),
            (with(AUTH_ALGORITHMS, "none"), AUTH_ALGORITHMS),
            (with(AUTH_PROFILE, "strict"), AUTH_PROFILE),
        ] {
            let err = parse(&vars).unwrap_err();
            assert_eq!(err.setting(), named, "{vars:?}: {err}");
        }
    }
}
