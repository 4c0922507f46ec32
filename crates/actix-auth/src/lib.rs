//! actix-web 4 adapter over [`auth_core`]. Not written yet: the middleware, extractors and scope
//! guards are tracked as open work; until then use `auth_core::Validator` directly.
#![forbid(unsafe_code)]

pub use auth_core;
