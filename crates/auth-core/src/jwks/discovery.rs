//! Finding an issuer's `jwks_uri`: OpenID Connect Discovery, then RFC 8414 metadata.

use std::time::Duration;

use serde::{Deserialize, Deserializer};
use url::Url;

use crate::jwks::fetch::{FetchError, Fetcher, check_url};

/// An issuer's metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2): what the JWKS cache
/// needs, and the other endpoints, read from the same document for the features that will use
/// them (token introspection, client credentials). An endpoint that is absent or not a string
/// is `None`: a malformed field this crate does not use never fails discovery.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ProviderMetadata {
    pub(crate) issuer: String,
    pub(crate) jwks_uri: String,
    #[serde(default, deserialize_with = "string_or_none")]
    #[allow(dead_code)] // for client-credential support; parsed now so the shape is settled
    pub(crate) token_endpoint: Option<String>,
    #[serde(default, deserialize_with = "string_or_none")]
    #[allow(dead_code)] // for RFC 7662 introspection of opaque tokens
    pub(crate) introspection_endpoint: Option<String>,
    #[serde(default, deserialize_with = "string_or_none")]
    #[allow(dead_code)] // for RFC 7009 revocation
    pub(crate) revocation_endpoint: Option<String>,
    #[serde(default, deserialize_with = "string_or_none")]
    #[allow(dead_code)] // for OpenID Connect userinfo
    pub(crate) userinfo_endpoint: Option<String>,
}

fn string_or_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    })
}

/// A resolved metadata document: its contents, the checked `jwks_uri`, and its
/// `Cache-Control: max-age` (how long the provider means it to be used).
#[derive(Debug)]
pub(crate) struct Resolved {
    pub(crate) metadata: ProviderMetadata,
    pub(crate) jwks_uri: Url,
    pub(crate) max_age: Option<Duration>,
}

/// The two metadata locations for `issuer`: OpenID Connect Discovery 1.0 §4 appends the
/// well-known path; RFC 8414 §3.1 inserts it between host and path.
pub(crate) fn metadata_urls(issuer: &Url) -> [Url; 2] {
    let path = issuer.path().trim_end_matches('/');
    let mut oidc = issuer.clone();
    oidc.set_path(&format!("{path}/.well-known/openid-configuration"));
    let mut rfc8414 = issuer.clone();
    rfc8414.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    [oidc, rfc8414]
}

/// Fetches the metadata, OpenID Connect location first. The document's `issuer` must equal the
/// configured issuer byte for byte (OpenID Connect Discovery §4.3, RFC 8414 §3.3), and its
/// `jwks_uri` pass the same URL rules as a configured one.
pub(crate) async fn discover(
    fetcher: &Fetcher,
    issuer: &str,
    issuer_url: &Url,
    allow_insecure_http: bool,
) -> Result<Resolved, FetchError> {
    let mut last = FetchError::Status(404);
    for url in metadata_urls(issuer_url) {
        match fetcher.get(&url).await {
            Ok(doc) => {
                let metadata: ProviderMetadata = serde_json::from_slice(&doc.body).map_err(|_| {
                    FetchError::Invalid("discovery document lacks `issuer` or `jwks_uri`".into())
                })?;
                if metadata.issuer != issuer {
                    return Err(FetchError::Invalid(format!(
                        "discovery document names issuer `{}`, expected `{issuer}`",
                        metadata.issuer
                    )));
                }
                let jwks_uri = check_url(&metadata.jwks_uri, allow_insecure_http, "jwks_uri")
                    .map_err(|e| FetchError::Invalid(e.to_string()))?;
                return Ok(Resolved { metadata, jwks_uri, max_age: doc.max_age });
            }
            // Not there: try the other location. Anything else is a real failure.
            Err(e @ (FetchError::Status(404) | FetchError::Status(410))) => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_locations() {
        let [a, b] = metadata_urls(&Url::parse("https://idp.example.com").unwrap());
        assert_eq!(a.as_str(), "https://idp.example.com/.well-known/openid-configuration");
        assert_eq!(b.as_str(), "https://idp.example.com/.well-known/oauth-authorization-server");
        let [a, b] = metadata_urls(&Url::parse("https://idp.example.com/tenant/1/").unwrap());
        assert_eq!(a.as_str(), "https://idp.example.com/tenant/1/.well-known/openid-configuration");
        assert_eq!(b.as_str(), "https://idp.example.com/.well-known/oauth-authorization-server/tenant/1");
    }

    #[test]
    fn metadata_keeps_the_other_endpoints_and_ignores_malformed_ones() {
        let doc = br#"{"issuer": "https://idp.example.com", "jwks_uri": "https://idp.example.com/keys",
            "token_endpoint": "https://idp.example.com/token", "introspection_endpoint": 7,
            "response_types_supported": ["code"]}"#;
        let m: ProviderMetadata = serde_json::from_slice(doc).unwrap();
        assert_eq!(m.jwks_uri, "https://idp.example.com/keys");
        assert_eq!(m.token_endpoint.as_deref(), Some("https://idp.example.com/token"));
        assert_eq!(
            (m.introspection_endpoint, m.revocation_endpoint, m.userinfo_endpoint),
            (None, None, None)
        );
        assert!(serde_json::from_slice::<ProviderMetadata>(br#"{"issuer": "x"}"#).is_err());
    }
}
