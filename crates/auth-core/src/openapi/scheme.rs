//! The security schemes of a validator's trusted issuers.

use url::Url;
use utoipa::openapi::security::{Http, HttpAuthScheme, OpenIdConnect, SecurityScheme};

use crate::jwks::discovery::metadata_urls;
use crate::{Scheme, Validator};

/// One security scheme per issuer the validator trusts, in the order configured, named
/// `openid` (then `openid-2`, …) for an issuer whose identifier is an `http(s)` URL (an
/// `openIdConnect` scheme with its OpenID Connect Discovery URL,
/// `<issuer>/.well-known/openid-configuration`, where clients find the authorization and token
/// endpoints), and `bearer` (then `bearer-2`, …) for any other issuer, or keys trusted whatever
/// the token's `iss` (an `http` `bearer` scheme with `bearerFormat: JWT`). Each description names
/// the issuer, and says so when tokens must be DPoP-bound (RFC 9449).
///
/// ```
/// use auth_core::{Algorithm, IssuerConfig, StaticKey, Validator};
///
/// # fn main() -> Result<(), auth_core::ConfigError> {
/// let validator = Validator::builder()
///     .issuer(IssuerConfig::discover("https://idp.example.com"))
///     .issuer(IssuerConfig::static_keys("internal", [StaticKey::hmac(vec![7; 32])]))
///     .algorithms([Algorithm::RS256, Algorithm::HS256])
///     .audience("petstore")
///     .build()?;
/// let schemes = auth_core::openapi::security_schemes(&validator);
/// let names: Vec<&str> = schemes.iter().map(|(name, _)| name.as_str()).collect();
/// assert_eq!(names, ["openid", "bearer"]);
/// let openid = serde_json::to_value(&schemes[0].1).unwrap();
/// assert_eq!(openid["type"], "openIdConnect");
/// assert_eq!(openid["openIdConnectUrl"], "https://idp.example.com/.well-known/openid-configuration");
/// # Ok(()) }
/// ```
pub fn security_schemes(validator: &Validator) -> Vec<(String, SecurityScheme)> {
    let dpop = !validator.accepts(Scheme::Bearer);
    let mut issuers: Vec<Option<&str>> = validator.issuers().map(Some).collect();
    if issuers.is_empty() {
        issuers.push(None);
    }
    let (mut openid, mut bearer) = (0, 0);
    issuers
        .into_iter()
        .map(|issuer| {
            let discovery = issuer.and_then(discovery_url);
            let (kind, count) = match discovery {
                Some(_) => ("openid", &mut openid),
                None => ("bearer", &mut bearer),
            };
            *count += 1;
            let name = if *count == 1 { kind.to_owned() } else { format!("{kind}-{count}") };
            let mut description = match issuer {
                Some(issuer) => format!("Access tokens issued by `{issuer}`."),
                None => "Access tokens signed with the configured keys.".to_owned(),
            };
            if dpop {
                description.push_str(
                    " Tokens must be DPoP-bound (RFC 9449): send them with the `DPoP` scheme and a proof.",
                );
            }
            let scheme = match discovery {
                Some(url) => SecurityScheme::OpenIdConnect(OpenIdConnect::with_description(url, description)),
                None => SecurityScheme::Http(
                    Http::builder()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .description(Some(description))
                        .build(),
                ),
            };
            (name, scheme)
        })
        .collect()
}

/// `<issuer>/.well-known/openid-configuration` for an `http(s)` issuer URL.
fn discovery_url(issuer: &str) -> Option<String> {
    let url = Url::parse(issuer).ok().filter(|u| matches!(u.scheme(), "https" | "http") && u.has_host())?;
    let [oidc, _] = metadata_urls(&url);
    Some(oidc.into())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::{Algorithm, IssuerConfig, KeySource, StaticKey};

    fn schemes(issuers: Vec<IssuerConfig>) -> Vec<(String, Value)> {
        let mut builder = Validator::builder().algorithms([Algorithm::HS256]).audience("api");
        for issuer in issuers {
            builder = builder.issuer(issuer);
        }
        let validator = builder.build().unwrap();
        security_schemes(&validator).into_iter().map(|(n, s)| (n, serde_json::to_value(s).unwrap())).collect()
    }

    fn key() -> StaticKey {
        StaticKey::hmac(vec![7; 32])
    }

    #[test]
    fn url_issuers_are_openid_connect_others_bearer() {
        let got = schemes(vec![
            IssuerConfig::static_keys("https://a.example.com/tenant/", [key()]),
            IssuerConfig::static_keys("internal", [key()]),
            IssuerConfig::static_keys("http://127.0.0.1:9", [key()]),
            IssuerConfig::static_keys("urn:example:issuer", [key()]),
        ]);
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["openid", "bearer", "openid-2", "bearer-2"]);
        assert_eq!(
            got[0].1,
            json!({"type": "openIdConnect",
                   "openIdConnectUrl": "https://a.example.com/tenant/.well-known/openid-configuration",
                   "description": "Access tokens issued by `https://a.example.com/tenant/`."})
        );
        assert_eq!(got[1].1["type"], "http");
        assert_eq!(got[1].1["scheme"], "bearer");
        assert_eq!(got[1].1["bearerFormat"], "JWT");
        assert_eq!(got[2].1["openIdConnectUrl"], "http://127.0.0.1:9/.well-known/openid-configuration");
    }

    #[test]
    fn keys_for_any_issuer_are_one_bearer_scheme() {
        let got = schemes(vec![IssuerConfig::any_issuer(KeySource::Static(vec![key()]))]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "bearer");
        assert_eq!(got[0].1["description"], "Access tokens signed with the configured keys.");
    }
}
