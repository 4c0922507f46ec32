//! Outbound calls with tokens of this service's own: a tower layer that puts `Authorization` on
//! every outgoing `http::Request` (a tonic `Channel`, a hyper client, any tower HTTP client),
//! and a [`reqwest-middleware`](https://docs.rs/reqwest-middleware) middleware (feature
//! `reqwest`). The tokens come from an [`OutboundTokens`] (auth-core's token client: cached,
//! refreshed ahead, one request per key).
//!
//! When the downstream API answers 401 `invalid_token`, the token is dropped if it is still the
//! one sent, and the call is retried once with a new one — when its body can be sent again: an
//! empty body (`GET`s, most gRPC health checks) always can; for other bodies the next call gets
//! the new token. Never a loop.

mod layer;
#[cfg(feature = "reqwest")]
mod reqwest;

pub use auth_core::client::{OutboundError, OutboundTokens, SubjectToken};
pub use layer::{OutboundAuthLayer, OutboundAuthService};
#[cfg(feature = "reqwest")]
pub use reqwest::OutboundAuthMiddleware;

/// A boxed error, as tower clients (tonic's among them) take.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
