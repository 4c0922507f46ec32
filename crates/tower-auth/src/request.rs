//! The view of an `http` request that auth-core's pipeline reads.

use auth_core::{RequestBody, RequestView};
use http::{HeaderMap, Method, Uri, header};

/// Method, URI and headers of an `http` request, borrowed, with a form body the layer read.
pub(crate) struct HttpParts<'a> {
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    form: Option<&'a [u8]>,
}

impl<'a> HttpParts<'a> {
    pub(crate) fn new(method: &'a Method, uri: &'a Uri, headers: &'a HeaderMap) -> Self {
        HttpParts { method, uri, headers, form: None }
    }

    pub(crate) fn with_form(mut self, body: &'a [u8]) -> Self {
        self.form = Some(body);
        self
    }
}

impl RequestView for HttpParts<'_> {
    fn method(&self) -> &str {
        self.method.as_str()
    }

    fn scheme(&self) -> Option<&str> {
        self.uri.scheme_str()
    }

    fn authority(&self) -> Option<&str> {
        self.uri.authority().map(|a| a.as_str())
    }

    fn path(&self) -> &str {
        self.uri.path()
    }

    fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers.get_all(name).into_iter().map(|v| v.as_bytes())
    }

    fn body(&self) -> Option<RequestBody<'_>> {
        self.form.map(RequestBody::Form)
    }
}

pub(crate) fn is_grpc(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}

#[cfg(test)]
mod tests {
    use auth_core::{CredentialSources, TargetRules, TokenLocator};

    use super::*;

    #[test]
    fn locates_header_and_query() {
        let req = http::Request::builder()
            .uri("/pets?access_token=a.b.c")
            .header("cookie", "x=1")
            .body(())
            .unwrap();
        let locator = TokenLocator::new(CredentialSources::default().with_query());
        let parts = HttpParts::new(req.method(), req.uri(), req.headers());
        assert_eq!(locator.locate(&parts).unwrap().as_deref(), Some("a.b.c"));
    }

    #[test]
    fn the_target_as_addressed() {
        let req = http::Request::builder().uri("/pets?x=1").header("host", "pets.local").body(()).unwrap();
        let parts = HttpParts::new(req.method(), req.uri(), req.headers());
        assert_eq!(TargetRules::default().target_uri(&parts, true), "http://pets.local/pets?x=1");
        let h2 = http::Request::builder().uri("https://api.example/pets").body(()).unwrap();
        let parts = HttpParts::new(h2.method(), h2.uri(), h2.headers());
        assert_eq!(TargetRules::default().target_uri(&parts, false), "https://api.example/pets");
    }

    #[test]
    fn grpc_content_types() {
        let mut h = HeaderMap::new();
        assert!(!is_grpc(&h));
        h.insert(header::CONTENT_TYPE, "application/grpc+proto".parse().unwrap());
        assert!(is_grpc(&h));
        h.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        assert!(!is_grpc(&h));
    }
}
