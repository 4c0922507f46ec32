//! The request the benchmarks authenticate: `GET /pets` with one `Authorization` field, as an
//! adapter shows it.

use auth_core::RequestView;

/// `GET /pets`; the field is `Authorization`'s value.
pub(crate) struct Request(pub(crate) Vec<u8>);

impl RequestView for Request {
    fn method(&self) -> &str {
        "GET"
    }
    fn scheme(&self) -> Option<&str> {
        None
    }
    fn authority(&self) -> Option<&str> {
        None
    }
    fn path(&self) -> &str {
        "/pets"
    }
    fn query(&self) -> Option<&str> {
        None
    }
    fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
        (name == "authorization").then_some(self.0.as_slice()).into_iter()
    }
}
