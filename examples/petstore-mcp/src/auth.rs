//! The validator of the MCP server: tokens for its canonical URL (`AUTH_RESOURCE`) only, Bearer
//! only, from `AUTH_ISSUER` / `AUTH_JWKS_URL` or the built-in development issuer.

use auth_core::dev_issuer::DevIssuer;
use auth_core::metadata::ResourceMetadata;
use auth_core::{Authenticator, ConfigError, DpopMode, DpopOptions, IssuerConfig, Validator};
use petstore::{REALM, Settings, StartupError, USER_SCOPES};

use crate::tools::{READ_SCOPE, WRITE_SCOPE};

/// The path the MCP endpoint is served at.
pub const MCP_PATH: &str = "/mcp";

/// The built-in development issuer and the tokens it minted for the resource.
#[derive(Debug, Clone)]
pub struct DevTokens {
    /// The running issuer (it stops when the last clone is dropped: keep this alive).
    pub issuer: DevIssuer,
    /// A token with scope `pets:read`: lists, cannot add.
    pub read_token: String,
    /// A token with scopes `pets:read pets:write`.
    pub token: String,
}

/// What the MCP server is built from.
#[derive(Debug, Clone)]
pub struct McpAuth {
    /// The validator with its request rules, what the `AuthLayer` and the metadata use.
    pub authenticator: Authenticator,
    /// The canonical URL of the server (`AUTH_RESOURCE`): the only audience accepted.
    pub resource: String,
    /// Present when no provider is configured.
    pub dev: Option<DevTokens>,
}

impl McpAuth {
    /// Builds the validator from `settings` (bound to the listen address, see
    /// [`Settings::bound_to`]). With neither `AUTH_ISSUER` nor `AUTH_JWKS_URL`, starts a
    /// [`DevIssuer`] and mints tokens for the resource. Errors name the variable at fault.
    /// Nothing is fetched here: call [`petstore::spawn_warm_up`] once the server listens.
    pub async fn from_settings(settings: &Settings) -> Result<McpAuth, StartupError> {
        let resource = resource_url(settings);
        let Some(issuer) = petstore::configured_issuer(settings) else {
            return McpAuth::with_dev_issuer(settings, resource).await;
        };
        let validator = validator(settings, issuer, &resource)?;
        Ok(McpAuth { authenticator: Authenticator::new(validator), resource, dev: None })
    }

    async fn with_dev_issuer(settings: &Settings, resource: String) -> Result<McpAuth, StartupError> {
        let issuer =
            DevIssuer::start(petstore::dev_algorithm(settings)?).await.map_err(StartupError::DevIssuer)?;
        let trusted = IssuerConfig::jwks_url(issuer.issuer(), issuer.jwks_uri());
        let validator = validator(settings, trusted, &resource)?;
        let mint = |scope: &str| issuer.token().audience(resource.clone()).scope(scope).sign();
        let (read_token, token) = (mint(READ_SCOPE), mint(USER_SCOPES));
        let dev = DevTokens { issuer, read_token, token };
        Ok(McpAuth { authenticator: Authenticator::new(validator), resource, dev: Some(dev) })
    }

    /// The validator.
    pub fn validator(&self) -> &Validator {
        self.authenticator.validator()
    }
}

/// The canonical URL: `AUTH_RESOURCE`, else `http://` + the listen address + [`MCP_PATH`]
/// (`localhost` for an unspecified address such as `0.0.0.0`). `AUTH_PUBLIC_URL` plays no part.
pub fn resource_url(settings: &Settings) -> String {
    if let Some(resource) = &settings.resource {
        return resource.clone();
    }
    let mut listen = settings.clone();
    listen.public_url = None;
    format!("{}{MCP_PATH}", listen.resource_url())
}

/// No `audience(...)`: only tokens whose `aud` is the resource URL are accepted (RFC 8707); DPoP
/// off, so only Bearer tokens.
fn validator(settings: &Settings, issuer: IssuerConfig, resource: &str) -> Result<Validator, ConfigError> {
    let metadata =
        ResourceMetadata::new(resource).resource_name("Petstore MCP").scopes([READ_SCOPE, WRITE_SCOPE]);
    let mut builder = Validator::builder()
        .issuer(issuer)
        .profile(settings.profile)
        .realm(REALM)
        .dpop(DpopOptions::new(DpopMode::Off))
        .resource_metadata(metadata)
        .resource_audience();
    if let Some(algorithms) = &settings.algorithms {
        builder = builder.algorithms(algorithms.iter().copied());
    }
    builder = settings.tuning.apply(builder);
    builder.build().map_err(petstore::name_variable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use petstore::AUTH_RESOURCE;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| (*v).to_owned()))
    }

    #[test]
    fn the_resource_defaults_to_the_listen_address_and_mcp() {
        let s = settings(&[("PETSTORE_ADDR", "0.0.0.0:9000")]).unwrap();
        assert_eq!(resource_url(&s), "http://localhost:9000/mcp");
        let s = settings(&[]).unwrap().bound_to("127.0.0.1:4321".parse().unwrap());
        assert_eq!(resource_url(&s), "http://127.0.0.1:4321/mcp");
        let s = settings(&[(AUTH_RESOURCE, "https://mcp.example.com/mcp")]).unwrap();
        assert_eq!(resource_url(&s), "https://mcp.example.com/mcp");
    }

    #[tokio::test]
    async fn a_bad_resource_stops_startup_naming_auth_resource() {
        for bad in ["/mcp", "https://mcp.example.com/mcp#frag", "http://mcp.example.com/mcp"] {
            let err = match settings(&[(AUTH_RESOURCE, bad)]) {
                Err(e) => e.to_string(),
                Ok(s) => McpAuth::from_settings(&s).await.unwrap_err().to_string(),
            };
            assert!(err.contains(AUTH_RESOURCE), "{bad}: {err}");
        }
    }
}
