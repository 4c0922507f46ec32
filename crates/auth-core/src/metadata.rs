//! OAuth 2.0 Protected Resource Metadata (RFC 9728): the document that tells a client which
//! authorization servers issue tokens for this resource, which scopes its routes require and how
//! tokens are sent, generated from the validator's own configuration so it cannot drift from
//! what runs.
//!
//! Configure it with [`ValidatorBuilder::resource_metadata`](crate::ValidatorBuilder::resource_metadata);
//! every 401 and 403 challenge then carries `resource_metadata="<document URL>"`, and the
//! adapters serve the document (`tower_auth::metadata`, `actix_auth::metadata`) from
//! [`Authenticator::resource_metadata`].
//!
//! ```
//! use auth_core::metadata::ResourceMetadata;
//! use auth_core::{Algorithm, Authenticator, IssuerConfig, StaticKey, Validator};
//!
//! # fn main() -> Result<(), auth_core::ConfigError> {
//! let validator = Validator::builder()
//!     .issuer(IssuerConfig::static_keys("https://idp.example.com", [StaticKey::hmac(vec![7; 32])]))
//!     .algorithms([Algorithm::HS256])
//!     .resource_metadata(ResourceMetadata::new("https://api.example.com/mcp").resource_name("Pets"))
//!     .resource_audience() // tokens must be issued for https://api.example.com/mcp (RFC 8707)
//!     .build()?;
//! let resource = validator.protected_resource().expect("configured");
//! assert_eq!(
//!     resource.metadata_url(),
//!     "https://api.example.com/.well-known/oauth-protected-resource/mcp"
//! );
//! let document = Authenticator::new(validator).resource_metadata().expect("configured");
//! assert!(document.json().contains(r#""resource":"https://api.example.com/mcp""#));
//! # Ok(()) }
//! ```

use std::net::IpAddr;

use serde::Serialize;
use url::{Host, Position, Url};

use crate::error::ConfigError;
use crate::pipeline::Authenticator;
use crate::requirements::registered_scopes;

/// The root well-known path of the document (RFC 9728 §3).
pub const WELL_KNOWN_PATH: &str = "/.well-known/oauth-protected-resource";

/// The default `Cache-Control` of the served document: clients may reuse it for an hour.
pub const DEFAULT_CACHE_CONTROL: &str = "public, max-age=3600";

/// What the operator says about the resource; the rest of the document comes from the
/// validator. Checked when the validator is built.
///
/// ```
/// use auth_core::metadata::ResourceMetadata;
///
/// let metadata = ResourceMetadata::new("https://api.example.com")
///     .resource_name("Petstore")
///     .resource_documentation("https://api.example.com/docs")
///     .scopes(["pets:admin"]);
/// # let _ = metadata;
/// ```
#[derive(Debug, Clone)]
pub struct ResourceMetadata {
    resource: String,
    name: Option<String>,
    documentation: Option<String>,
    scopes: Vec<String>,
    registered_scopes: bool,
    cache_control: String,
}

impl ResourceMetadata {
    /// The resource's canonical URL (its `resource` identifier, RFC 9728 §1.2 and RFC 8707): an
    /// absolute `https` URL (plain `http` only to a loopback host: `localhost`, `127.0.0.0/8`,
    /// `::1`) without fragment, query or user info. Never taken from a request's `Host`.
    pub fn new(resource: impl Into<String>) -> Self {
        ResourceMetadata {
            resource: resource.into(),
            name: None,
            documentation: None,
            scopes: Vec::new(),
            registered_scopes: true,
            cache_control: DEFAULT_CACHE_CONTROL.to_owned(),
        }
    }

    /// `resource_name`: a human-readable name of the resource.
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// `resource_documentation`: a URL of the resource's documentation for developers.
    pub fn resource_documentation(mut self, url: impl Into<String>) -> Self {
        self.documentation = Some(url.into());
        self
    }

    /// Scopes to list in `scopes_supported` beside those the routes require (see
    /// [`registered_scopes`]).
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// Lists only the scopes given to [`scopes`](Self::scopes), not the process-wide registry
    /// of the routes' scopes (for a process serving several APIs).
    pub fn without_registered_scopes(mut self) -> Self {
        self.registered_scopes = false;
        self
    }

    /// The served document's `Cache-Control`. Default [`DEFAULT_CACHE_CONTROL`].
    pub fn cache_control(mut self, value: impl Into<String>) -> Self {
        self.cache_control = value.into();
        self
    }

    /// Checks the settings; `issuers` and `dpop` come from the validator's configuration.
    pub(crate) fn build(
        self,
        issuers: Vec<String>,
        dpop: Option<(Vec<String>, bool)>,
    ) -> Result<ProtectedResource, ConfigError> {
        let url = canonical_url(&self.resource, "resource_metadata.resource")?;
        if let Some(doc) = &self.documentation {
            let parsed = Url::parse(doc).map_err(|_| {
                ConfigError::new("resource_metadata.resource_documentation", "must be an absolute URL")
            })?;
            if !matches!(parsed.scheme(), "https" | "http") {
                return Err(ConfigError::new(
                    "resource_metadata.resource_documentation",
                    "must be an http(s) URL",
                ));
            }
        }
        if self.scopes.iter().any(|s| s.is_empty() || s.contains(' ')) {
            return Err(ConfigError::new("resource_metadata.scopes", "a scope is empty or contains a space"));
        }
        if !self.cache_control.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)) {
            return Err(ConfigError::new("resource_metadata.cache_control", "not a valid header value"));
        }
        let origin = &url[..Position::BeforePath];
        let inserted = (url.path() != "/").then(|| format!("{WELL_KNOWN_PATH}{}", url.path()));
        let metadata_url = format!("{origin}{}", inserted.as_deref().unwrap_or(WELL_KNOWN_PATH));
        Ok(ProtectedResource {
            resource: self.resource,
            metadata_url,
            inserted_path: inserted,
            authorization_servers: issuers,
            dpop,
            name: self.name,
            documentation: self.documentation,
            scopes: self.scopes,
            registered_scopes: self.registered_scopes,
            cache_control: self.cache_control,
        })
    }
}

/// Checks a canonical resource URL as [`ResourceMetadata::new`] will at build (absolute, no
/// fragment, query or user info, `https` unless the host is loopback), for a program that reads
/// it from its own settings and wants the error early. The error names
/// `resource_metadata.resource`; rename it with [`ConfigError::for_setting`].
///
/// ```
/// use auth_core::metadata::check_resource_url;
///
/// assert!(check_resource_url("https://api.example.com/mcp").is_ok());
/// assert!(check_resource_url("http://127.0.0.1:8080").is_ok());
/// let err = check_resource_url("http://api.example.com").unwrap_err();
/// assert_eq!(err.for_setting("AUTH_RESOURCE").setting(), "AUTH_RESOURCE");
/// ```
pub fn check_resource_url(resource: &str) -> Result<(), ConfigError> {
    canonical_url(resource, "resource_metadata.resource").map(drop)
}

/// Checks a canonical resource URL: absolute, no fragment, query or user info, `https` unless
/// the host is loopback. `setting` names it in the error.
pub(crate) fn canonical_url(resource: &str, setting: &str) -> Result<Url, ConfigError> {
    let err = |message: &str| ConfigError::new(setting, message.to_owned());
    if resource.is_empty() {
        return Err(err("must not be empty"));
    }
    if resource.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(err("must not contain spaces or control characters"));
    }
    let url = Url::parse(resource).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => err("must be an absolute URL (scheme and host)"),
        _ => err("is not a valid URL"),
    })?;
    if url.fragment().is_some() {
        return Err(err("must not have a fragment (#...)"));
    }
    if url.query().is_some() {
        return Err(err("must not have a query (?...)"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(err("must not carry user info"));
    }
    let loopback = match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => return Err(err("must be an absolute URL (scheme and host)")),
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err(err("must use https (plain http only to a loopback host)")),
        _ => Err(err("must be an https URL")),
    }
}

/// The validated metadata of a resource, held by its validator
/// ([`Validator::protected_resource`](crate::Validator::protected_resource)).
#[derive(Debug, Clone)]
pub struct ProtectedResource {
    resource: String,
    metadata_url: String,
    inserted_path: Option<String>,
    authorization_servers: Vec<String>,
    /// (proof algorithms, whether DPoP is required), when DPoP is on.
    dpop: Option<(Vec<String>, bool)>,
    name: Option<String>,
    documentation: Option<String>,
    scopes: Vec<String>,
    registered_scopes: bool,
    cache_control: String,
}

impl ProtectedResource {
    /// The canonical URL, exactly as configured (the document's `resource`).
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The document's URL, which every challenge names in `resource_metadata`: the path-inserted
    /// well-known URL for a resource with a path (`https://h/.well-known/oauth-protected-resource/mcp`
    /// for `https://h/mcp`), else the root one.
    pub fn metadata_url(&self) -> &str {
        &self.metadata_url
    }

    /// The request paths the document is served at: the root [`WELL_KNOWN_PATH`], then the
    /// path-inserted one when the resource has a path.
    pub fn well_known_paths(&self) -> impl Iterator<Item = &str> {
        std::iter::once(WELL_KNOWN_PATH).chain(self.inserted_path.as_deref())
    }

    /// Whether `path` (a request's path, as sent) is one of [`well_known_paths`](Self::well_known_paths).
    pub fn serves(&self, path: &str) -> bool {
        self.well_known_paths().any(|p| p == path)
    }
}

/// The document as one [`Authenticator`] accepts tokens (its bearer methods), with what the
/// served answer needs.
#[derive(Debug, Clone)]
pub struct MetadataDocument {
    json: String,
    resource: ProtectedResource,
}

/// The document's members, in RFC 9728 §2 order.
#[derive(Serialize)]
struct Members<'a> {
    resource: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    authorization_servers: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scopes_supported: Vec<String>,
    bearer_methods_supported: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_documentation: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dpop_signing_alg_values_supported: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dpop_bound_access_tokens_required: Option<bool>,
}

impl MetadataDocument {
    /// The JSON text.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// The resource it describes (its URLs).
    pub fn resource(&self) -> &ProtectedResource {
        &self.resource
    }

    /// The answer to a request for `path` with `method`: `None` when `path` is not one of the
    /// document's; GET and HEAD 200 with the document (for HEAD, the HTTP server sends the
    /// headers and its length without the body); any other method 405 with `Allow: GET, HEAD`.
    /// Both adapters send exactly this.
    pub fn answer(&self, method: &str, path: &str) -> Option<MetadataAnswer<'_>> {
        if !self.resource.serves(path) {
            return None;
        }
        let (status, body) = match method {
            "GET" | "HEAD" => (200, self.json.as_str()),
            _ => (405, ""),
        };
        let headers = if status == 200 {
            vec![
                ("content-type", "application/json"),
                ("cache-control", self.resource.cache_control.as_str()),
            ]
        } else {
            vec![("allow", "GET, HEAD")]
        };
        Some(MetadataAnswer { status, headers, body })
    }
}

/// What the adapters' metadata services are built on: an [`Authenticator`] known to have
/// metadata, its well-known paths, and its document. Cheap to clone.
///
/// ```
/// use auth_core::metadata::{MetadataEndpoint, ResourceMetadata};
/// use auth_core::{Algorithm, Authenticator, IssuerConfig, StaticKey, Validator};
///
/// # fn main() -> Result<(), auth_core::ConfigError> {
/// let validator = Validator::builder()
///     .issuer(IssuerConfig::static_keys("https://idp.example.com", [StaticKey::hmac(vec![7; 32])]))
///     .algorithms([Algorithm::HS256])
///     .audience("petstore")
///     .resource_metadata(ResourceMetadata::new("https://api.example.com/v1"))
///     .build()?;
/// let endpoint = MetadataEndpoint::new(Authenticator::new(validator))?;
/// assert_eq!(endpoint.paths(), ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/v1"]);
/// let document = endpoint.document().expect("configured");
/// assert_eq!(document.answer("POST", &endpoint.paths()[0]).map(|a| a.status), Some(405));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MetadataEndpoint {
    authenticator: Authenticator,
}

impl MetadataEndpoint {
    /// The endpoint of `authenticator`; a [`ConfigError`] on `resource_metadata` when its
    /// validator has none.
    pub fn new(authenticator: impl Into<Authenticator>) -> Result<Self, ConfigError> {
        let authenticator = authenticator.into();
        if authenticator.validator().protected_resource().is_none() {
            return Err(ConfigError::new("resource_metadata", "not configured on the validator"));
        }
        Ok(MetadataEndpoint { authenticator })
    }

    /// The request paths served: the root well-known path, then the path-inserted one.
    pub fn paths(&self) -> Vec<String> {
        self.authenticator
            .validator()
            .protected_resource()
            .map(|r| r.well_known_paths().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The document as of now (scopes registered since the last call included).
    pub fn document(&self) -> Option<MetadataDocument> {
        self.authenticator.resource_metadata()
    }
}

/// One answer of the metadata endpoint, as plain data (see [`MetadataDocument::answer`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetadataAnswer<'a> {
    /// 200 or 405.
    pub status: u16,
    /// The headers, lowercase names.
    pub headers: Vec<(&'static str, &'a str)>,
    /// The body: the document for GET and HEAD, empty for 405.
    pub body: &'a str,
}

impl Authenticator {
    /// The RFC 9728 document of this authenticator's resource, when the validator has
    /// [`resource_metadata`](crate::ValidatorBuilder::resource_metadata): `resource`,
    /// `authorization_servers` (the configured issuers), `scopes_supported` (the operator's and
    /// the registered ones), `bearer_methods_supported` (`header`; `body` and `query` only when
    /// this authenticator takes tokens from them; none when DPoP is required),
    /// `resource_name`, `resource_documentation`, and the DPoP members when DPoP is on.
    /// Made on each call, so scopes registered after startup are listed too.
    pub fn resource_metadata(&self) -> Option<MetadataDocument> {
        let resource = self.validator().0.resource.as_deref()?;
        let mut scopes = resource.scopes.clone();
        if resource.registered_scopes {
            scopes.extend(registered_scopes());
        }
        scopes.sort();
        scopes.dedup();
        let bearer = self.validator().accepts(crate::Scheme::Bearer);
        let sources = self.sources();
        let mut methods = Vec::new();
        if bearer {
            methods.push("header");
            if sources.form && self.form_body_limit().is_some() {
                methods.push("body");
            }
            if sources.query {
                methods.push("query");
            }
        }
        let members = Members {
            resource: &resource.resource,
            authorization_servers: &resource.authorization_servers,
            scopes_supported: scopes,
            bearer_methods_supported: methods,
            resource_name: resource.name.as_deref(),
            resource_documentation: resource.documentation.as_deref(),
            dpop_signing_alg_values_supported: resource.dpop.as_ref().map(|(algs, _)| algs.as_slice()),
            dpop_bound_access_tokens_required: resource.dpop.as_ref().map(|(_, required)| *required),
        };
        let json = serde_json::to_string(&members).unwrap_or_default();
        Some(MetadataDocument { json, resource: resource.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(resource: &str) -> Result<Url, String> {
        canonical_url(resource, "resource").map_err(|e| e.to_string())
    }

    #[test]
    fn a_canonical_url_is_absolute_https_or_loopback_without_fragment() {
        for ok in [
            "https://api.example.com",
            "https://api.example.com/mcp",
            "http://localhost:8080",
            "http://127.0.0.1:1/x",
            "http://[::1]:9/",
            "HTTPS://API.example.com/",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("/mcp", "absolute"),
            ("api.example.com", "absolute"),
            ("https://api.example.com/#x", "fragment"),
            ("https://api.example.com/?a=b", "query"),
            ("http://api.example.com", "https"),
            ("http://0.0.0.0:80", "https"),
            ("ftp://localhost/", "https"),
            ("https://u:p@api.example.com", "user info"),
            (" https://api.example.com", "spaces"),
        ] {
            let e = check(bad).unwrap_err();
            assert!(e.contains(why) && e.contains("resource"), "{bad}: {e}");
        }
    }

    fn built(resource: &str) -> ProtectedResource {
        ResourceMetadata::new(resource).build(vec!["https://idp".into()], None).unwrap()
    }

    #[test]
    fn document_urls_insert_the_path_after_the_host() {
        let r = built("https://API.example.com/mcp");
        assert_eq!(r.metadata_url(), "https://api.example.com/.well-known/oauth-protected-resource/mcp");
        assert_eq!(
            r.well_known_paths().collect::<Vec<_>>(),
            [WELL_KNOWN_PATH, "/.well-known/oauth-protected-resource/mcp"]
        );
        assert_eq!(r.resource(), "https://API.example.com/mcp");
        for root in ["https://api.example.com", "https://api.example.com/"] {
            let r = built(root);
            assert_eq!(r.metadata_url(), "https://api.example.com/.well-known/oauth-protected-resource");
            assert_eq!(r.well_known_paths().count(), 1);
        }
        let r = built("http://127.0.0.1:8080/a/b/");
        assert_eq!(r.metadata_url(), "http://127.0.0.1:8080/.well-known/oauth-protected-resource/a/b/");
        assert!(r.serves("/.well-known/oauth-protected-resource/a/b/"));
        assert!(!r.serves("/.well-known/oauth-protected-resource/a/b"));
    }

    #[test]
    fn other_settings_are_checked() {
        let bad = ResourceMetadata::new("https://a").resource_documentation("docs").build(vec![], None);
        assert_eq!(bad.unwrap_err().setting(), "resource_metadata.resource_documentation");
        let bad = ResourceMetadata::new("https://a").scopes(["a b"]).build(vec![], None);
        assert_eq!(bad.unwrap_err().setting(), "resource_metadata.scopes");
        let bad = ResourceMetadata::new("https://a").cache_control("a\nb").build(vec![], None);
        assert_eq!(bad.unwrap_err().setting(), "resource_metadata.cache_control");
    }
}
