//! Finding an issuer's `jwks_uri`: OpenID Connect Discovery, then RFC 8414 metadata.

use serde::Deserialize;
use url::Url;

use crate::jwks::fetch::{FetchError, Fetcher, check_url};

#[derive(Deserialize)]
struct Metadata {
    issuer: String,
    jwks_uri: String,
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

/// Fetches the metadata and returns its `jwks_uri` and the document's `Cache-Control: max-age`.
/// The document's `issuer` must equal the configured issuer byte for byte (OpenID Connect
/// Discovery §4.3, RFC 8414 §3.3).
pub(crate) async fn discover_jwks_uri(
    fetcher: &Fetcher,
    issuer: &str,
    issuer_url: &Url,
    allow_insecure_http: bool,
) -> Result<(Url, Option<std::time::Duration>), FetchError> {
    let mut last = FetchError::Status(404);
    for url in metadata_urls(issuer_url) {
        match fetcher.get(&url).await {
            Ok(doc) => {
                let meta: Metadata = serde_json::from_slice(&doc.body).map_err(|_| {
                    FetchError::Invalid("discovery document lacks `issuer` or `jwks_uri`".into())
                })?;
                if meta.issuer != issuer {
                    return Err(FetchError::Invalid(format!(
                        "discovery document names issuer `{}`, expected `{issuer}`",
                        meta.issuer
                    )));
                }
                return check_url(&meta.jwks_uri, allow_insecure_http, "jwks_uri")
                    .map(|url| (url, doc.max_age))
                    .map_err(|e| FetchError::Invalid(e.to_string()));
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
}
