//! One error type for every way a request can fail to authenticate, and its RFC 6750 rendering.
//!
//! Every variant maps to exactly one RFC 6750 outcome; see [`AuthError::kind`] and
//! [`AuthError::rejection`]. Descriptions are fixed texts chosen by this crate: they never contain
//! token contents or internal error messages (those go to `tracing`).

mod challenge;
mod config;
mod reason;
mod rejection;
mod step_up;

use std::time::Duration;

pub use challenge::{Challenge, Scheme};
pub use config::ConfigError;
pub(crate) use reason::Reason;
pub use rejection::Rejection;
pub(crate) use rejection::{ChallengeRules, DpopChallenge};

use crate::claims::{ScopeRequirement, StepUpFailure};

/// Why a request was not authenticated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The request carried no bearer credentials at all (401, challenge without an error code).
    #[error("no bearer token in the request")]
    MissingToken,
    /// The request was malformed (400 `invalid_request`).
    #[error("invalid request: {}", .0.description())]
    InvalidRequest(RequestProblem),
    /// The token was rejected (401 `invalid_token`).
    #[error("invalid token: {}", .0.description())]
    InvalidToken(TokenProblem),
    /// The token is valid but lacks required scopes (403 `insufficient_scope`).
    #[error("insufficient scope: requires {0}")]
    InsufficientScope(ScopeRequirement),
    /// The token's user authentication is not strong or recent enough for this resource (401
    /// `insufficient_user_authentication`, RFC 9470 §3, with `acr_values` and/or `max_age`).
    #[error("insufficient user authentication: requires {0}")]
    InsufficientUserAuthentication(StepUpFailure),
    /// The DPoP proof is missing or fails a rule (401 `invalid_dpop_proof`, RFC 9449 §7.1).
    #[error("invalid DPoP proof: {}", .0.description())]
    InvalidDpopProof(DpopProblem),
    /// The DPoP proof lacks a valid server nonce (401 `use_dpop_nonce` with a fresh `DPoP-Nonce`,
    /// RFC 9449 §8).
    #[error("the DPoP proof needs a fresh server nonce")]
    UseDpopNonce,
    /// Keys cannot be obtained right now, so no token can be validated (503 with `Retry-After`).
    #[error("cannot validate tokens now; retry after {}s", retry_after.as_secs())]
    Unavailable {
        /// How long the client should wait before retrying.
        retry_after: Duration,
    },
}

/// The RFC 6750 class of an [`AuthError`], for adapters that map it to their own status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No credentials: 401, no error code.
    MissingToken,
    /// 400 `invalid_request`.
    InvalidRequest,
    /// 401 `invalid_token`.
    InvalidToken,
    /// 403 `insufficient_scope`.
    InsufficientScope,
    /// 401 `insufficient_user_authentication` (RFC 9470).
    InsufficientUserAuthentication,
    /// 401 `invalid_dpop_proof`.
    InvalidDpopProof,
    /// 401 `use_dpop_nonce`.
    UseDpopNonce,
    /// 503, `Retry-After`.
    Unavailable,
}

impl AuthError {
    /// The RFC 6750 class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            AuthError::MissingToken => ErrorKind::MissingToken,
            AuthError::InvalidRequest(_) => ErrorKind::InvalidRequest,
            AuthError::InvalidToken(_) => ErrorKind::InvalidToken,
            AuthError::InsufficientScope(_) => ErrorKind::InsufficientScope,
            AuthError::InsufficientUserAuthentication(_) => ErrorKind::InsufficientUserAuthentication,
            AuthError::InvalidDpopProof(_) => ErrorKind::InvalidDpopProof,
            AuthError::UseDpopNonce => ErrorKind::UseDpopNonce,
            AuthError::Unavailable { .. } => ErrorKind::Unavailable,
        }
    }

    /// A short, stable label for logs and counters (`expired`, `bad_signature`, `missing_token`, …).
    pub fn reason(&self) -> &'static str {
        self.reason_code().label()
    }

    /// The reason as the enum the counters are indexed by.
    pub(crate) fn reason_code(&self) -> Reason {
        match self {
            AuthError::MissingToken => Reason::MissingToken,
            AuthError::InvalidRequest(p) => p.reason(),
            AuthError::InvalidToken(p) => p.reason(),
            AuthError::InsufficientScope(_) => Reason::InsufficientScope,
            AuthError::InsufficientUserAuthentication(_) => Reason::InsufficientUserAuthentication,
            AuthError::InvalidDpopProof(p) => p.reason(),
            AuthError::UseDpopNonce => Reason::UseDpopNonce,
            AuthError::Unavailable { .. } => Reason::Unavailable,
        }
    }

    /// The HTTP status RFC 6750 (and RFC 9449, RFC 9470) gives this error: 401, 400, 403 or 503.
    pub fn status(&self) -> u16 {
        match self.kind() {
            ErrorKind::MissingToken
            | ErrorKind::InvalidToken
            | ErrorKind::InsufficientUserAuthentication
            | ErrorKind::InvalidDpopProof
            | ErrorKind::UseDpopNonce => 401,
            ErrorKind::InvalidRequest => 400,
            ErrorKind::InsufficientScope => 403,
            ErrorKind::Unavailable => 503,
        }
    }

    /// The text for `error_description`: fixed per cause, never derived from the token.
    pub fn description(&self) -> &'static str {
        match self {
            AuthError::MissingToken => "no bearer token was presented",
            AuthError::InvalidRequest(p) => p.description(),
            AuthError::InvalidToken(p) => p.description(),
            AuthError::InsufficientScope(_) => "the token lacks a scope this resource requires",
            AuthError::InsufficientUserAuthentication(_) => {
                "a stronger or more recent user authentication is required"
            }
            AuthError::InvalidDpopProof(p) => p.description(),
            AuthError::UseDpopNonce => "the DPoP proof must carry the server's current nonce",
            AuthError::Unavailable { .. } => "the token cannot be validated right now; retry later",
        }
    }
}

impl From<TokenProblem> for AuthError {
    fn from(p: TokenProblem) -> Self {
        AuthError::InvalidToken(p)
    }
}

impl From<DpopProblem> for AuthError {
    fn from(p: DpopProblem) -> Self {
        AuthError::InvalidDpopProof(p)
    }
}

impl From<RequestProblem> for AuthError {
    fn from(p: RequestProblem) -> Self {
        AuthError::InvalidRequest(p)
    }
}

/// Why a request is malformed (RFC 6750 `invalid_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestProblem {
    /// The `Authorization` header is not valid `Bearer` syntax (RFC 6750 §2.1), or is not text.
    MalformedAuthorization,
    /// `Bearer` with no token after it.
    EmptyCredentials,
    /// The token sent by more than one method (header, query, cookie, form), or one method twice.
    MultipleCredentials,
    /// More than one `Authorization` header field.
    MultipleAuthorizationHeaders,
    /// An `application/x-www-form-urlencoded` body inspected for `access_token` (RFC 6750 §2.2)
    /// is larger than the adapter's limit, or could not be read.
    UnreadableFormBody,
}

impl RequestProblem {
    fn reason(self) -> Reason {
        match self {
            RequestProblem::MalformedAuthorization => Reason::MalformedAuthorization,
            RequestProblem::EmptyCredentials => Reason::EmptyCredentials,
            RequestProblem::MultipleCredentials => Reason::MultipleCredentials,
            RequestProblem::MultipleAuthorizationHeaders => Reason::MultipleAuthorizationHeaders,
            RequestProblem::UnreadableFormBody => Reason::UnreadableFormBody,
        }
    }

    /// The `error_description` text.
    pub fn description(self) -> &'static str {
        match self {
            RequestProblem::MalformedAuthorization => "the Authorization header is malformed",
            RequestProblem::EmptyCredentials => "the Bearer credentials are empty",
            RequestProblem::MultipleCredentials => "the access token was sent by more than one method",
            RequestProblem::MultipleAuthorizationHeaders => {
                "the request has more than one Authorization header"
            }
            RequestProblem::UnreadableFormBody => "the form body is too large or could not be read",
        }
    }
}

/// Why a token was rejected (RFC 6750 `invalid_token`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenProblem {
    /// Not a compact JWS: wrong number of parts, bad base64url, bad JSON, or too large.
    Malformed,
    /// The header names an algorithm that is unknown, `none`, or not on the allow-list.
    AlgorithmNotAllowed,
    /// The `typ` header is not accepted by the configured profile.
    TypeNotAccepted,
    /// The `crit` header names an extension this validator does not understand.
    UnsupportedCritical,
    /// The token's issuer is not one this validator trusts.
    UnknownIssuer,
    /// No trusted key matches the token's `kid` and algorithm.
    UnknownKey,
    /// The signature does not verify.
    BadSignature,
    /// `exp` is in the past (beyond leeway).
    Expired,
    /// `nbf` is in the future (beyond leeway).
    NotYetValid,
    /// `iat` is in the future (beyond leeway).
    IssuedInFuture,
    /// `iat` is older than the configured maximum token age.
    TooOld,
    /// A required claim is missing.
    MissingClaim(&'static str),
    /// A registered claim has the wrong JSON type (a string `exp`, an array `iss`, …).
    WrongClaimType(&'static str),
    /// No configured audience is in `aud`.
    WrongAudience,
    /// `client_id`/`azp` is not in the allowed list.
    ClientNotAllowed,
    /// A required custom claim is missing (named by the operator's configuration).
    MissingCustomClaim(std::sync::Arc<str>),
    /// The operator's custom check refused the token.
    Rejected(&'static str),
    /// The provider's introspection answer says the token is not active (RFC 7662).
    Inactive,
    /// A DPoP-bound token (`cnf.jkt`) sent with the `Bearer` scheme (RFC 9449 §7.2).
    DpopBoundAsBearer,
    /// A token without `cnf.jkt` sent with the `DPoP` scheme.
    NotDpopBound,
    /// A bearer token where only DPoP-bound tokens are accepted.
    DpopRequired,
    /// The token is on the revocation deny-list.
    Revoked,
}

impl TokenProblem {
    fn reason(&self) -> Reason {
        match self {
            TokenProblem::Malformed => Reason::Malformed,
            TokenProblem::AlgorithmNotAllowed => Reason::AlgorithmNotAllowed,
            TokenProblem::TypeNotAccepted => Reason::TypeNotAccepted,
            TokenProblem::UnsupportedCritical => Reason::UnsupportedCritical,
            TokenProblem::UnknownIssuer => Reason::UnknownIssuer,
            TokenProblem::UnknownKey => Reason::UnknownKey,
            TokenProblem::BadSignature => Reason::BadSignature,
            TokenProblem::Expired => Reason::Expired,
            TokenProblem::NotYetValid => Reason::NotYetValid,
            TokenProblem::IssuedInFuture => Reason::IssuedInFuture,
            TokenProblem::TooOld => Reason::TooOld,
            TokenProblem::MissingClaim(_) | TokenProblem::MissingCustomClaim(_) => Reason::MissingClaim,
            TokenProblem::WrongClaimType(_) => Reason::WrongClaimType,
            TokenProblem::WrongAudience => Reason::WrongAudience,
            TokenProblem::ClientNotAllowed => Reason::ClientNotAllowed,
            TokenProblem::Rejected(_) => Reason::Rejected,
            TokenProblem::Inactive => Reason::Inactive,
            TokenProblem::DpopBoundAsBearer => Reason::DpopBoundAsBearer,
            TokenProblem::NotDpopBound => Reason::NotDpopBound,
            TokenProblem::DpopRequired => Reason::DpopRequired,
            TokenProblem::Revoked => Reason::Revoked,
        }
    }

    /// The `error_description` text.
    pub fn description(&self) -> &'static str {
        match self {
            TokenProblem::Malformed => "the token is malformed",
            TokenProblem::AlgorithmNotAllowed => "the token's signing algorithm is not accepted",
            TokenProblem::TypeNotAccepted => "the token's type is not accepted",
            TokenProblem::UnsupportedCritical => "the token uses an unsupported critical extension",
            TokenProblem::UnknownIssuer => "the token's issuer is not trusted",
            TokenProblem::UnknownKey => "the token's signing key is not known",
            TokenProblem::BadSignature => "the token's signature is invalid",
            TokenProblem::Expired => "the token has expired",
            TokenProblem::NotYetValid => "the token is not valid yet",
            TokenProblem::IssuedInFuture => "the token was issued in the future",
            TokenProblem::TooOld => "the token is too old",
            TokenProblem::MissingClaim(_) | TokenProblem::MissingCustomClaim(_) => {
                "the token lacks a required claim"
            }
            TokenProblem::WrongClaimType(_) => "a token claim has the wrong type",
            TokenProblem::WrongAudience => "the token is not meant for this audience",
            TokenProblem::ClientNotAllowed => "the token's client is not allowed",
            TokenProblem::Rejected(why) => why,
            TokenProblem::Inactive => "the token is not active",
            TokenProblem::DpopBoundAsBearer => {
                "the token is bound to a DPoP key and must be sent with the DPoP scheme"
            }
            TokenProblem::NotDpopBound => "the token is not bound to a DPoP key",
            TokenProblem::DpopRequired => "this resource accepts only DPoP-bound tokens",
            TokenProblem::Revoked => "the token has been revoked",
        }
    }
}

/// Why a DPoP proof was refused (RFC 9449 `invalid_dpop_proof`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DpopProblem {
    /// The request has no `DPoP` header.
    Missing,
    /// The request has more than one `DPoP` header.
    Multiple,
    /// The proof is larger than 8 KiB.
    TooLarge,
    /// Not a compact JWS with a JSON header and claims of the right types.
    Malformed,
    /// `typ` is not `dpop+jwt`.
    WrongType,
    /// `alg` is not on the proof allow-list (or is symmetric, or `none`).
    AlgorithmNotAllowed,
    /// `jwk` is missing, not a public key (a private member), too weak, or unusable.
    BadKey,
    /// The signature does not verify with `jwk`.
    BadSignature,
    /// `htm` is not the request method.
    WrongMethod,
    /// `htu` is not the request's target URI.
    WrongUri,
    /// `iat` is older than the window.
    TooOld,
    /// `iat` is further ahead than the window.
    FromTheFuture,
    /// `ath` is missing or is not the hash of the access token.
    WrongTokenHash,
    /// The proof key is not the key the token is bound to (`cnf.jkt`).
    WrongKey,
    /// The proof was used before.
    Replayed,
}

impl DpopProblem {
    fn reason(self) -> Reason {
        match self {
            DpopProblem::Missing => Reason::DpopMissing,
            DpopProblem::Multiple => Reason::DpopMultiple,
            DpopProblem::TooLarge => Reason::DpopTooLarge,
            DpopProblem::Malformed => Reason::DpopMalformed,
            DpopProblem::WrongType => Reason::DpopWrongType,
            DpopProblem::AlgorithmNotAllowed => Reason::DpopAlgorithmNotAllowed,
            DpopProblem::BadKey => Reason::DpopBadKey,
            DpopProblem::BadSignature => Reason::DpopBadSignature,
            DpopProblem::WrongMethod => Reason::DpopWrongMethod,
            DpopProblem::WrongUri => Reason::DpopWrongUri,
            DpopProblem::TooOld => Reason::DpopTooOld,
            DpopProblem::FromTheFuture => Reason::DpopFromTheFuture,
            DpopProblem::WrongTokenHash => Reason::DpopWrongTokenHash,
            DpopProblem::WrongKey => Reason::DpopWrongKey,
            DpopProblem::Replayed => Reason::DpopReplayed,
        }
    }

    /// The `error_description` text.
    pub fn description(self) -> &'static str {
        match self {
            DpopProblem::Missing => "the request has no DPoP proof",
            DpopProblem::Multiple => "the request has more than one DPoP proof",
            DpopProblem::TooLarge => "the DPoP proof is too large",
            DpopProblem::Malformed => "the DPoP proof is malformed",
            DpopProblem::WrongType => "the DPoP proof's type is not dpop+jwt",
            DpopProblem::AlgorithmNotAllowed => "the DPoP proof's algorithm is not accepted",
            DpopProblem::BadKey => "the DPoP proof's key is not an acceptable public key",
            DpopProblem::BadSignature => "the DPoP proof's signature is invalid",
            DpopProblem::WrongMethod => "the DPoP proof is for another HTTP method",
            DpopProblem::WrongUri => "the DPoP proof is for another URI",
            DpopProblem::TooOld => "the DPoP proof is too old",
            DpopProblem::FromTheFuture => "the DPoP proof was issued in the future",
            DpopProblem::WrongTokenHash => "the DPoP proof is not for this access token",
            DpopProblem::WrongKey => "the DPoP proof's key is not the key the token is bound to",
            DpopProblem::Replayed => "the DPoP proof was already used",
        }
    }
}
