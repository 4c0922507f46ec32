//! The view of an actix-web request that auth-core's pipeline reads, so every rule is the same as
//! with `tower-auth`.

use actix_web::dev::RequestHead;
use actix_web::http::header;
use auth_core::{RequestBody, RequestView, is_form_urlencoded};

/// Method, URI and headers of an actix request, borrowed from its head, with a form body the
/// middleware read.
pub(crate) struct HeadParts<'a> {
    pub(crate) head: &'a RequestHead,
    pub(crate) form: Option<&'a [u8]>,
}

impl RequestView for HeadParts<'_> {
    fn method(&self) -> &str {
        self.head.method.as_str()
    }

    fn scheme(&self) -> Option<&str> {
        self.head.uri.scheme_str()
    }

    fn authority(&self) -> Option<&str> {
        self.head.uri.authority().map(|a| a.as_str())
    }

    fn path(&self) -> &str {
        self.head.uri.path()
    }

    fn query(&self) -> Option<&str> {
        self.head.uri.query()
    }

    fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.head.headers().get_all(name).map(|v| v.as_bytes())
    }

    fn body(&self) -> Option<RequestBody<'_>> {
        self.form.map(RequestBody::Form)
    }
}

/// Whether the body is `application/x-www-form-urlencoded` (RFC 6750 §2.2 bodies).
pub(crate) fn is_form(head: &RequestHead) -> bool {
    head.headers().get(header::CONTENT_TYPE).is_some_and(|v| is_form_urlencoded(v.as_bytes()))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;
    use auth_core::{AuthError, CredentialSources, TokenLocator};

    use super::*;

    #[test]
    fn every_authorization_header_is_seen() {
        let req = TestRequest::default()
            .append_header(("authorization", "Bearer a"))
            .append_header(("authorization", "Bearer b"))
            .to_srv_request();
        let parts = HeadParts { head: req.head(), form: None };
        assert!(matches!(TokenLocator::default().locate(&parts), Err(AuthError::InvalidRequest(_))));
    }

    #[test]
    fn query_and_form_detection() {
        let req = TestRequest::with_uri("/pets?access_token=a.b.c")
            .insert_header(("content-type", "Application/X-WWW-Form-Urlencoded; charset=utf-8"))
            .to_srv_request();
        let locator = TokenLocator::new(CredentialSources::default().with_query());
        let parts = HeadParts { head: req.head(), form: None };
        assert_eq!(locator.locate(&parts).unwrap().as_deref(), Some("a.b.c"));
        assert!(is_form(req.head()));
        assert!(!is_form(TestRequest::default().to_srv_request().head()));
    }
}
