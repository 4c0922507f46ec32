//! Request checks: what runs after a token is verified, on every request — answered from the
//! verified-token cache or verified in full — in a fixed order:
//!
//! 1. key binding (the DPoP proof, when DPoP is configured);
//! 2. revocation (when a deny-list is configured);
//! 3. the user's own checks, in the order they were added
//!    ([`ValidatorBuilder::custom_check`](crate::ValidatorBuilder::custom_check) for a check of the
//!    claims alone, [`ValidatorBuilder::request_check`](crate::ValidatorBuilder::request_check)
//!    for one that reads the request or waits).
//!
//! Each check may refuse with its own error, or answer "cannot decide now"
//! ([`AuthError::Unavailable`], 503): a check that cannot decide never lets a request through.
//! The first refusal ends the request; what the checks that passed learned (a key binding,
//! response headers) is handed to the adapter with the claims.

pub mod dpop;
mod facts;
pub mod revocation;
mod user;

use std::future::Future;
use std::pin::Pin;

pub use facts::{CheckInput, RequestFacts};
pub(crate) use user::ClaimsCheck;

use crate::error::AuthError;

/// A check of a verified request. Cheap checks answer at once ([`Checked::Ready`]); a check
/// that waits (a shared store, a remote service) answers [`Checked::Pending`].
///
/// `check` must not act before its future is polled: when a check answers `Pending` on a path
/// that cannot wait in place, the pipeline drops that future unpolled, copies what the checks
/// read of the request, and calls `check` again on the copy.
///
/// ```
/// use auth_core::checks::{CheckInput, Checked, Passed, RequestCheck};
/// use auth_core::{AuthError, TokenProblem};
///
/// /// Refuses writes by tokens of the `reporting` client.
/// struct ReadOnlyReporting;
///
/// impl RequestCheck for ReadOnlyReporting {
///     fn check<'a>(&'a self, input: &'a CheckInput<'a>) -> Checked<'a> {
///         let reporting = input.claims().registered().client_id() == Some("reporting");
///         if reporting && input.request().method() != "GET" {
///             return Checked::Ready(Err(TokenProblem::Rejected("this client may only read").into()));
///         }
///         Checked::Ready(Ok(Passed::default()))
///     }
/// }
/// ```
pub trait RequestCheck: Send + Sync + 'static {
    /// The request headers this check reads (lowercase names); only these are kept for it.
    fn headers(&self) -> &'static [&'static str] {
        &[]
    }

    /// Whether this check reads a body the adapter read ([`RequestBody::Json`](crate::request::RequestBody::Json)).
    fn reads_body(&self) -> bool {
        false
    }

    /// Whether this check reads the request at all (method, target, headers, body). A check of
    /// the claims alone says `false`: when no check reads the request, the pipeline does not
    /// gather what it would read.
    fn reads_request(&self) -> bool {
        true
    }

    /// Judges one verified request.
    fn check<'a>(&'a self, input: &'a CheckInput<'a>) -> Checked<'a>;
}

/// A check's answer.
#[non_exhaustive]
pub enum Checked<'a> {
    /// Decided at once.
    Ready(Result<Passed, AuthError>),
    /// Decided once the future completes.
    Pending(Pin<Box<dyn Future<Output = Result<Passed, AuthError>> + Send + 'a>>),
}

/// What a check that passed learned, handed on with the claims.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Passed {
    /// The key the token is bound to, when the check proved possession of it.
    pub binding: Option<KeyBinding>,
    /// Headers to add to the response (such as `DPoP-Nonce`).
    pub headers: Vec<(&'static str, String)>,
}

impl Passed {
    /// Records the key binding the check proved.
    pub fn with_binding(mut self, binding: KeyBinding) -> Self {
        self.binding = Some(binding);
        self
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// A key the client proved it holds, to which the token is bound.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyBinding {
    /// A DPoP key (RFC 9449), by its JWK SHA-256 thumbprint (`cnf.jkt`).
    Dpop {
        /// The base64url thumbprint.
        jkt: String,
    },
}

impl KeyBinding {
    /// The DPoP key's thumbprint, when the binding is a DPoP one.
    pub fn dpop_jkt(&self) -> Option<&str> {
        match self {
            KeyBinding::Dpop { jkt } => Some(jkt),
        }
    }
}

/// Where a check runs in the fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Stage {
    /// Proof of possession (DPoP).
    KeyBinding,
    /// The revocation deny-list.
    Revocation,
    /// The user's checks.
    User,
}
