#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod algorithm;
mod builder;
pub mod checks;
pub mod claims;
pub mod client;
mod clock;
mod config;
mod cors;
mod crypto;
pub mod error;
mod issuer;
mod jwks;
mod keys;
pub mod metadata;
pub mod metrics;
#[cfg(feature = "utoipa")]
#[cfg_attr(docsrs, doc(cfg(feature = "utoipa")))]
pub mod openapi;
mod pipeline;
pub mod request;
pub mod requirements;
mod stats;
#[cfg(feature = "redis")]
pub mod store;
pub mod token;
mod token_cache;
mod validator;
mod verify;

#[cfg(feature = "dev-issuer")]
pub mod dev_issuer;

pub use algorithm::{Algorithm, AlgorithmSet, KeyFamily};
pub use builder::{DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_BYTES, ValidatorBuilder};
pub use checks::dpop::{DpopMode, DpopOptions};
pub use claims::{
    AcrLevels, Claims, Profile, RegisteredClaims, ScopeRequirement, Scopes, StepUp, StepUpFailure,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{DpopSettings, IntrospectionSettings, IssuerSettings, ValidatorConfig};
pub use error::{
    AuthError, Challenge, ConfigError, DpopProblem, ErrorKind, Rejection, RequestProblem, Scheme,
    TokenProblem,
};
pub use issuer::{IssuerConfig, KeySource};
pub use jwks::JwksOptions;
pub use keys::StaticKey;
pub use pipeline::{Authenticated, Authentication, Authenticator, Outcome, Refusal};
pub use request::{RequestBody, RequestView, TargetRules};
pub use requirements::{ScopeSet, StepUpSet};
pub use stats::StatsSnapshot;
pub use token::{
    Credential, CredentialSource, CredentialSources, DEFAULT_FORM_BODY_LIMIT, TokenLocator, bearer_token,
    is_form_urlencoded,
};
pub use token_cache::{
    DEFAULT_TOKEN_CACHE_BYTES, DEFAULT_TOKEN_CACHE_ENTRIES, DEFAULT_TOKEN_CACHE_MAX_TOKEN_BYTES,
    TokenCacheOptions,
};
pub use validator::Validator;
pub use verify::introspection::{
    ClientAuth, DEFAULT_INACTIVE_TTL, DEFAULT_INTROSPECTION_TTL, IntrospectionOptions,
};

/// What the adapters' macros generate calls to. Not a public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::requirements::registry::{ScopeRegistration, StepUpRegistration};
    pub use crate::requirements::step_up::validate_step_up;
    pub use crate::requirements::{DeriveClaims, derive_claims, validate_scopes};
    pub use inventory;
}

#[cfg(feature = "fuzzing")]
mod fuzzing;

/// The harnesses of the fuzz targets (`fuzz/` in the repository) and of their corpus replay
/// test. Not a public API: only with the `fuzzing` feature, and it may change in any release.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod __fuzz {
    pub use crate::fuzzing::*;
}
