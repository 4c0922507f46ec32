//! Shared state across instances: the [`redis`] store (feature `redis`) behind the DPoP replay
//! store and the revocation list.

#[cfg(feature = "redis")]
pub mod redis;
