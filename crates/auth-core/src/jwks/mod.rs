//! Keys from the network: bounded fetches (`fetch`), issuer metadata (`discovery`) and the
//! cache that keeps them fresh (`cache`).

pub(crate) mod cache;
pub(crate) mod discovery;
pub(crate) mod fetch;
mod options;

pub use options::JwksOptions;
