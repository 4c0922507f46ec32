//! The view of an `http` request that auth-core's [`TokenLocator`](auth_core::TokenLocator) reads.

use auth_core::RequestParts;
use http::{HeaderMap, Uri, header};

/// Headers and URI of a request, borrowed (from an `http::Request` or its `Parts`).
pub(crate) struct HttpParts<'a> {
    headers: &'a HeaderMap,
    uri: &'a Uri,
}

impl<'a> HttpParts<'a> {
    pub(crate) fn new(headers: &'a HeaderMap, uri: &'a Uri) -> Self {
        HttpParts { headers, uri }
    }

    pub(crate) fn headers(&self) -> &'a HeaderMap {
        self.headers
    }

    pub(crate) fn uri(&self) -> &'a Uri {
        self.uri
    }
}

impl RequestParts for HttpParts<'_> {
    fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers.get_all(name).into_iter().map(|v| v.as_bytes())
    }

    fn query(&self) -> Option<&str> {
        self.uri.query()
    }
}

/// Whether the request is a gRPC call (`content-type: application/grpc`, `application/grpc+proto`, …),
/// which must be answered with a `grpc-status` rather than an HTTP error status.
pub(crate) fn is_grpc(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}

#[cfg(test)]
mod tests {
    use auth_core::{CredentialSources, TokenLocator};

    use super::*;

    #[test]
    fn locates_header_and_query() {
        let req = http::Request::builder()
            .uri("/pets?access_token=a.b.c")
            .header("cookie", "x=1")
            .body(())
            .unwrap();
        let locator = TokenLocator::new(CredentialSources::default().with_query());
        let parts = HttpParts::new(req.headers(), req.uri());
        assert_eq!(locator.locate(&parts).unwrap().as_deref(), Some("a.b.c"));
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
