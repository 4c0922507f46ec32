//! CORS preflight requests (Fetch standard §3.2.2): a browser asks, before a cross-origin call,
//! whether the call is allowed, and never sends credentials with that question. The pipeline
//! lets such a request through as anonymous, so a CORS layer inside the authentication layer (or
//! an `OPTIONS` handler) can answer it; nothing is admitted that needs claims, since a preflight
//! carries none.

use crate::request::RequestView;

/// Whether `req` is a CORS preflight: `OPTIONS` with an `Access-Control-Request-Method` header
/// (the test tower-http's `CorsLayer` and actix-cors make).
pub(crate) fn is_preflight<R: RequestView>(req: &R) -> bool {
    req.method() == "OPTIONS" && req.header_values("access-control-request-method").next().is_some()
}
