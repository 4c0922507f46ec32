//! Bounded HTTP GETs for JWKS and discovery documents: timeouts, a body limit, status 200 only,
//! no redirect to another host, https except on loopback.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use url::Url;

use crate::error::ConfigError;
use crate::jwks::JwksOptions;

/// Why a fetch gave no document. Logged, never shown to clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FetchError {
    /// The server answered with a status other than 200 (a refused redirect shows up here too).
    #[error("unexpected HTTP status {0}")]
    Status(u16),
    /// Connect or total timeout.
    #[error("timed out")]
    Timeout,
    /// The body is larger than the configured limit.
    #[error("response body exceeds {0} bytes")]
    TooLarge(usize),
    /// Connection, TLS or protocol failure.
    #[error("transport error: {0}")]
    Transport(String),
    /// The document is not a usable JWKS or discovery document.
    #[error("invalid document: {0}")]
    Invalid(String),
    /// The answer came from another scheme, host or port than the URL asked (a redirect a
    /// user-supplied HTTP client followed): not trusted.
    #[error("redirected to another origin")]
    Redirected,
}

/// A fetched document, its `Cache-Control: max-age` and its `Content-Type`.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) body: Bytes,
    pub(crate) max_age: Option<Duration>,
    pub(crate) content_type: Option<String>,
    pub(crate) status: u16,
    /// A `DPoP-Nonce` header (RFC 9449 §8).
    pub(crate) dpop_nonce: Option<String>,
}

/// The HTTP side of key fetching.
#[derive(Debug, Clone)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    max_body: usize,
    total_timeout: Duration,
}

impl Fetcher {
    /// A fetcher with its own client: connect timeout, total timeout, same-host redirects only.
    pub(crate) fn new(options: &JwksOptions, client: Option<reqwest::Client>) -> Result<Self, ConfigError> {
        let client = match client {
            Some(c) => c,
            None => reqwest::Client::builder()
                .connect_timeout(options.connect_timeout)
                .timeout(options.fetch_timeout)
                .redirect(reqwest::redirect::Policy::custom(|attempt| {
                    let same_host = attempt
                        .previous()
                        .first()
                        .map(|u| (u.scheme(), u.host_str(), u.port_or_known_default()))
                        == Some((
                            attempt.url().scheme(),
                            attempt.url().host_str(),
                            attempt.url().port_or_known_default(),
                        ));
                    if same_host && attempt.previous().len() < 3 { attempt.follow() } else { attempt.stop() }
                }))
                .user_agent(concat!("auth-core/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| ConfigError::new("http_client", format!("cannot build the HTTP client: {e}")))?,
        };
        Ok(Fetcher { client, max_body: options.max_body_bytes, total_timeout: options.fetch_timeout })
    }

    /// GETs `url`, bounded in time and size. A user-supplied client's own settings apply too; the
    /// total timeout and body limit are enforced here regardless.
    pub(crate) async fn get(&self, url: &Url) -> Result<Fetched, FetchError> {
        tokio::time::timeout(self.total_timeout, self.get_unbounded(url))
            .await
            .map_err(|_| FetchError::Timeout)?
    }

    async fn get_unbounded(&self, url: &Url) -> Result<Fetched, FetchError> {
        let request = self
            .client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json, application/jwk-set+json");
        self.read(url, request, &[200]).await
    }

    /// POSTs `form` (`application/x-www-form-urlencoded`) to `url`, with HTTP Basic credentials
    /// when given, under the same bounds and origin rule as [`get`](Self::get).
    pub(crate) async fn post_form(
        &self,
        url: &Url,
        form: &[(&str, &str)],
        basic: Option<&str>,
    ) -> Result<Fetched, FetchError> {
        self.post_form_answer(url, form, basic, &[], &[200]).await
    }

    /// [`post_form`](Self::post_form) with extra headers (a `DPoP` proof), reading the answer of
    /// any status in `statuses` (a token endpoint's 400 carries the error and a nonce).
    pub(crate) async fn post_form_answer(
        &self,
        url: &Url,
        form: &[(&str, &str)],
        basic: Option<&str>,
        headers: &[(&'static str, &str)],
        statuses: &[u16],
    ) -> Result<Fetched, FetchError> {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let mut request = self
            .client
            .post(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        if let Some(credentials) = basic {
            request = request.header(reqwest::header::AUTHORIZATION, format!("Basic {credentials}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        tokio::time::timeout(self.total_timeout, self.read(url, request, statuses))
            .await
            .map_err(|_| FetchError::Timeout)?
    }

    async fn read(
        &self,
        url: &Url,
        request: reqwest::RequestBuilder,
        statuses: &[u16],
    ) -> Result<Fetched, FetchError> {
        let mut response = request.send().await.map_err(transport)?;
        // Whatever client is in use (a user's may follow any redirect), only a document from the
        // very origin asked for is read: the same-host rule, and with it the https rule the URL
        // was checked against, hold for every client.
        if !same_origin(url, response.url()) {
            tracing::warn!(asked = %url, answered = %response.url(), "key document redirected to another origin; refused");
            return Err(FetchError::Redirected);
        }
        let status = response.status().as_u16();
        if !statuses.contains(&status) {
            return Err(FetchError::Status(status));
        }
        if response.content_length().is_some_and(|l| l > self.max_body as u64) {
            return Err(FetchError::TooLarge(self.max_body));
        }
        let max_age = response
            .headers()
            .get_all(reqwest::header::CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(parse_max_age);
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let dpop_nonce =
            response.headers().get("dpop-nonce").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > self.max_body {
                return Err(FetchError::TooLarge(self.max_body));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched { body: body.freeze(), max_age, content_type, status, dpop_nonce })
    }
}

fn same_origin(a: &Url, b: &Url) -> bool {
    (a.scheme(), a.host_str(), a.port_or_known_default())
        == (b.scheme(), b.host_str(), b.port_or_known_default())
}

fn transport(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout
    } else {
        // The chain names the cause (refused, reset, TLS); it stays in logs.
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            source = s.source();
        }
        FetchError::Transport(msg)
    }
}

/// `max-age=N` from one `Cache-Control` value; `no-store`/`no-cache` count as zero (then clamped
/// up to the minimum TTL).
fn parse_max_age(value: &str) -> Option<Duration> {
    let mut result = None;
    for directive in value.split(',') {
        let directive = directive.trim();
        if directive.eq_ignore_ascii_case("no-store") || directive.eq_ignore_ascii_case("no-cache") {
            return Some(Duration::ZERO);
        }
        if let Some((name, v)) = directive.split_once('=')
            && name.trim().eq_ignore_ascii_case("max-age")
        {
            result = v.trim().trim_matches('"').parse::<u64>().ok().map(Duration::from_secs);
        }
    }
    result
}

/// Checks that a URL is one keys may be fetched from: http(s), https unless the host is loopback
/// or the operator opted in, no credentials in the URL.
pub(crate) fn check_url(raw: &str, allow_insecure_http: bool, setting: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw).map_err(|e| ConfigError::new(setting, format!("not a valid URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&url) => {}
        "http" => {
            return Err(ConfigError::new(
                setting,
                "must use https (plain http is allowed only for loopback hosts, or with jwks.allow_insecure_http)",
            ));
        }
        other => return Err(ConfigError::new(setting, format!("unsupported URL scheme `{other}`"))),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::new(setting, "must not contain credentials"));
    }
    if url.host().is_none() {
        return Err(ConfigError::new(setting, "has no host"));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_parsing() {
        assert_eq!(parse_max_age("public, max-age=600"), Some(Duration::from_secs(600)));
        assert_eq!(parse_max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(parse_max_age("max-age=abc"), None);
        assert_eq!(parse_max_age("private"), None);
    }

    #[test]
    fn url_rules() {
        assert!(check_url("https://idp.example.com/jwks", false, "s").is_ok());
        assert!(check_url("http://127.0.0.1:8080/jwks", false, "s").is_ok());
        assert!(check_url("http://[::1]/jwks", false, "s").is_ok());
        assert!(check_url("http://localhost/jwks", false, "s").is_ok());
        let e = check_url("http://idp.example.com/jwks", false, "jwks_uri").unwrap_err();
        assert_eq!(e.setting(), "jwks_uri");
        assert!(check_url("http://idp.example.com/jwks", true, "s").is_ok());
        assert!(check_url("ftp://idp.example.com/jwks", true, "s").is_err());
        assert!(check_url("https://u:p@idp.example.com/jwks", true, "s").is_err());
        assert!(check_url("not a url", true, "s").is_err());
    }
}
