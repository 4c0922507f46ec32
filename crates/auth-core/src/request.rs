//! The request view: what an adapter shows the pipeline of one request (method, the target as
//! the client addressed it, headers, a body it read), and how the target is rebuilt behind a
//! proxy.

use std::borrow::Cow;

use url::Url;

use crate::error::ConfigError;

/// One request, as an adapter shows it to [`Authenticator::authenticate`](crate::Authenticator::authenticate).
///
/// ```
/// use auth_core::request::{RequestBody, RequestView};
///
/// struct Req { headers: Vec<(&'static str, &'static [u8])>, body: Option<&'static [u8]> }
///
/// impl RequestView for Req {
///     fn method(&self) -> &str { "POST" }
///     fn scheme(&self) -> Option<&str> { None }
///     fn authority(&self) -> Option<&str> { None }
///     fn path(&self) -> &str { "/pets" }
///     fn query(&self) -> Option<&str> { None }
///     fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
///         self.headers.iter().filter(move |(n, _)| *n == name).map(|(_, v)| *v)
///     }
///     fn body(&self) -> Option<RequestBody<'_>> { self.body.map(RequestBody::Form) }
/// }
/// # let _ = Req { headers: vec![], body: None };
/// ```
pub trait RequestView {
    /// The method (`GET`, `POST`, …).
    fn method(&self) -> &str;
    /// The scheme of the request target, when it was sent in absolute form (HTTP/2 `:scheme`).
    fn scheme(&self) -> Option<&str>;
    /// The authority of the request target, when it carries one (HTTP/2 `:authority`, absolute
    /// form); the `Host` header is used otherwise.
    fn authority(&self) -> Option<&str>;
    /// The path, percent-encoded as sent.
    fn path(&self) -> &str;
    /// The raw query string, without the `?`.
    fn query(&self) -> Option<&str>;
    /// Every value of the header `name` (given in lowercase), in order.
    fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a;
    /// A body the adapter read before authenticating (bounded by the adapter), if any.
    fn body(&self) -> Option<RequestBody<'_>> {
        None
    }
}

/// A request body an adapter read and hands to the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestBody<'a> {
    /// An `application/x-www-form-urlencoded` body: its `access_token` field is a credential
    /// (RFC 6750 §2.2).
    Form(&'a [u8]),
    /// A JSON body, for request checks that judge it.
    Json(&'a [u8]),
}

/// How the target URI the client addressed is rebuilt: from a configured public base URL (a
/// deployment behind a proxy or a TLS terminator), from `Forwarded` / `X-Forwarded-*` when the
/// operator trusts the proxy in front, or from the request itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetRules {
    public_base: Option<Url>,
    trust_forwarded: bool,
}

impl TargetRules {
    /// The scheme and authority every request is taken to have been sent to, such as
    /// `https://api.example.com`. A path in it (`https://example.com/api`) is the prefix a proxy
    /// strips before the request reaches this service: it goes before the request's path. Checked:
    /// absolute http(s), with a host, no credentials, query or fragment.
    pub fn public_base_url(mut self, url: &str) -> Result<Self, ConfigError> {
        const SETTING: &str = "public_base_url";
        let parsed =
            Url::parse(url).map_err(|e| ConfigError::new(SETTING, format!("not a valid URL: {e}")))?;
        if !matches!(parsed.scheme(), "https" | "http") || parsed.host().is_none() {
            return Err(ConfigError::new(SETTING, "must be an absolute http(s) URL with a host"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(ConfigError::new(SETTING, "must not contain credentials"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(ConfigError::new(SETTING, "must not have a query or a fragment"));
        }
        self.public_base = Some(parsed);
        Ok(self)
    }

    /// Take the scheme and host from `Forwarded` (RFC 7239), else `X-Forwarded-Proto` /
    /// `X-Forwarded-Host`. Only for a service every request reaches through a proxy that sets
    /// them: a client can send these headers too. The last element is used, the one the proxy
    /// nearest to this service wrote. A configured public base URL takes precedence.
    pub fn trust_forwarded_headers(mut self) -> Self {
        self.trust_forwarded = true;
        self
    }

    /// The scheme and authority of `req`'s target under these rules. Without anything better,
    /// the scheme is `http` (the adapter cannot see a TLS terminator in front of it; configure a
    /// public base URL then) and the authority the `Host` header.
    pub(crate) fn origin<'r, R: RequestView>(&self, req: &'r R) -> (Cow<'r, str>, Option<Cow<'r, str>>) {
        if let Some(base) = &self.public_base {
            let authority = match (base.host_str(), base.port()) {
                (Some(host), Some(port)) => format!("{host}:{port}"),
                (Some(host), None) => host.to_owned(),
                (None, _) => String::new(),
            };
            return (Cow::Owned(base.scheme().to_owned()), Some(Cow::Owned(authority)));
        }
        if self.trust_forwarded
            && let Some((proto, host)) = forwarded(req)
        {
            let scheme = proto.map_or(Cow::Borrowed("http"), Cow::Owned);
            let authority = host.map(Cow::Owned).or_else(|| host_of(req).map(Cow::Borrowed));
            return (scheme, authority);
        }
        let scheme = req.scheme().unwrap_or("http");
        (Cow::Borrowed(scheme), host_of(req).map(Cow::Borrowed))
    }

    /// The path prefix of the public base URL, without its trailing `/` (empty when none).
    pub(crate) fn path_prefix(&self) -> &str {
        self.public_base.as_ref().map_or("", |b| b.path().trim_end_matches('/'))
    }

    /// The absolute target URI of `req` (scheme, authority, path, and the query when asked):
    /// what the client addressed, as a DPoP proof's `htu` names it.
    ///
    /// ```
    /// use auth_core::request::{RequestView, TargetRules};
    /// # struct Req;
    /// # impl RequestView for Req {
    /// #     fn method(&self) -> &str { "GET" }
    /// #     fn scheme(&self) -> Option<&str> { None }
    /// #     fn authority(&self) -> Option<&str> { None }
    /// #     fn path(&self) -> &str { "/pets" }
    /// #     fn query(&self) -> Option<&str> { Some("limit=2") }
    /// #     fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
    /// #         (name == "host").then_some(&b"internal:8080"[..]).into_iter()
    /// #     }
    /// # }
    /// let rules = TargetRules::default().public_base_url("https://api.example.com").unwrap();
    /// assert_eq!(rules.target_uri(&Req, false), "https://api.example.com/pets");
    /// let behind = TargetRules::default().public_base_url("https://example.com/api/").unwrap();
    /// assert_eq!(behind.target_uri(&Req, false), "https://example.com/api/pets");
    /// assert_eq!(TargetRules::default().target_uri(&Req, true), "http://internal:8080/pets?limit=2");
    /// ```
    pub fn target_uri<R: RequestView>(&self, req: &R, with_query: bool) -> String {
        let (scheme, authority) = self.origin(req);
        let mut uri = format!("{scheme}://{}{}", authority.as_deref().unwrap_or(""), self.path_prefix());
        let path = req.path();
        if !path.starts_with('/') {
            uri.push('/');
        }
        uri.push_str(path);
        if with_query && let Some(q) = req.query() {
            uri.push('?');
            uri.push_str(q);
        }
        uri
    }
}

/// The target's authority, else the one `Host` header (two are ignored: RFC 9112 §3.2 makes
/// such a request invalid).
fn host_of<R: RequestView>(req: &R) -> Option<&str> {
    if let Some(authority) = req.authority() {
        return Some(authority);
    }
    let mut hosts = req.header_values("host");
    let host = hosts.next()?;
    if hosts.next().is_some() {
        return None;
    }
    std::str::from_utf8(host).ok().map(str::trim).filter(|h| !h.is_empty())
}

/// `proto` and `host` from the last `Forwarded` element, else from the last values of
/// `X-Forwarded-Proto` / `X-Forwarded-Host`; `None` when neither header is there.
fn forwarded<R: RequestView>(req: &R) -> Option<(Option<String>, Option<String>)> {
    let last_element = req
        .header_values("forwarded")
        .filter_map(|v| std::str::from_utf8(v).ok())
        .flat_map(|v| v.split(','))
        .last();
    if let Some(element) = last_element {
        let (mut proto, mut host) = (None, None);
        for pair in element.split(';') {
            let Some((name, value)) = pair.split_once('=') else { continue };
            let value = value.trim().trim_matches('"').to_owned();
            match name.trim().to_ascii_lowercase().as_str() {
                "proto" => proto = Some(value.to_ascii_lowercase()),
                "host" => host = Some(value),
                _ => {}
            }
        }
        return Some((proto.filter(|p| p == "http" || p == "https"), host.filter(|h| !h.is_empty())));
    }
    let last = |name: &'static str| {
        req.header_values(name)
            .filter_map(|v| std::str::from_utf8(v).ok())
            .flat_map(|v| v.split(','))
            .last()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let proto = last("x-forwarded-proto").map(|p| p.to_ascii_lowercase());
    let host = last("x-forwarded-host");
    if proto.is_none() && host.is_none() {
        return None;
    }
    Some((proto.filter(|p| p == "http" || p == "https"), host))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Req {
        headers: Vec<(&'static str, &'static [u8])>,
        authority: Option<&'static str>,
    }

    impl RequestView for Req {
        fn method(&self) -> &str {
            "GET"
        }
        fn scheme(&self) -> Option<&str> {
            None
        }
        fn authority(&self) -> Option<&str> {
            self.authority
        }
        fn path(&self) -> &str {
            "/pets/1"
        }
        fn query(&self) -> Option<&str> {
            Some("x=1")
        }
        fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
            self.headers.iter().filter(move |(n, _)| *n == name).map(|(_, v)| *v)
        }
    }

    fn req(headers: Vec<(&'static str, &'static [u8])>) -> Req {
        Req { headers, authority: None }
    }

    #[test]
    fn from_the_request_itself() {
        let r = req(vec![("host", b"pets.local:8080")]);
        assert_eq!(TargetRules::default().target_uri(&r, true), "http://pets.local:8080/pets/1?x=1");
        let r = Req { authority: Some("h2.example"), ..req(vec![("host", b"ignored")]) };
        assert_eq!(TargetRules::default().target_uri(&r, false), "http://h2.example/pets/1");
    }

    #[test]
    fn forwarded_headers_only_when_trusted() {
        let r = req(vec![
            ("host", b"internal:9000"),
            (
                "forwarded",
                b"for=1.2.3.4;proto=http;host=evil.example, for=5.6.7.8;proto=https;host=api.example",
            ),
        ]);
        assert_eq!(TargetRules::default().target_uri(&r, false), "http://internal:9000/pets/1");
        let trusted = TargetRules::default().trust_forwarded_headers();
        assert_eq!(trusted.target_uri(&r, false), "https://api.example/pets/1");
        let x = req(vec![
            ("host", b"internal"),
            ("x-forwarded-proto", b"https"),
            ("x-forwarded-host", b"api.example"),
        ]);
        assert_eq!(trusted.target_uri(&x, false), "https://api.example/pets/1");
    }

    #[test]
    fn the_public_base_wins() {
        let rules = TargetRules::default()
            .trust_forwarded_headers()
            .public_base_url("https://api.example.com:8443/prefix")
            .unwrap();
        let r = req(vec![("host", b"internal"), ("x-forwarded-host", b"other")]);
        assert_eq!(rules.target_uri(&r, false), "https://api.example.com:8443/prefix/pets/1");
    }

    #[test]
    fn bad_public_bases_name_the_setting() {
        for bad in ["api.example.com", "ftp://x", "https://u:p@x", "https://x/?q", "https://x/#f"] {
            let e = TargetRules::default().public_base_url(bad).unwrap_err();
            assert_eq!(e.setting(), "public_base_url", "{bad}");
        }
    }
}
