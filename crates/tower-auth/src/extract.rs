//! axum extractors for the claims the [`AuthLayer`](crate::AuthLayer) verified.

use std::fmt;

use auth_core::AuthError;
use auth_core::checks::KeyBinding;
use auth_core::requirements::claims_as;
use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::context::AuthContext;
use crate::request::is_grpc;
use crate::response::misconfigured;

/// The verified token's payload as your own type.
///
/// Anonymous request (an optional layer, no credentials): 401 with the layer's challenge; use
/// `Option<Claims<T>>` to accept those. A payload that does not fit `T`: 401 `invalid_token`
/// (the mismatch is logged). No [`AuthLayer`](crate::AuthLayer) in front: 500, logged.
///
/// ```
/// use tower_auth::Claims;
///
/// #[derive(serde::Deserialize)]
/// struct Caller { sub: String }
///
/// async fn whoami(Claims(caller): Claims<Caller>) -> String {
///     caller.sub
/// }
///
/// async fn greet(caller: Option<Claims<Caller>>) -> String {
///     match caller {
///         Some(Claims(c)) => format!("hello {}", c.sub),
///         None => "hello stranger".to_owned(),
///     }
/// }
/// # let _ = (whoami, greet);
/// ```
#[derive(Debug, Clone)]
pub struct Claims<T>(pub T);

/// The verified claims as they are: registered claims, scopes and the raw payload.
///
/// Same rejections as [`Claims`](struct@Claims); `Option<Verified>` is `None` for anonymous requests.
#[derive(Debug, Clone)]
pub struct Verified(pub auth_core::Claims);

/// The key the request proved it holds, to which its token is bound: `Some` for a request
/// accepted with a DPoP proof (its thumbprint is [`KeyBinding::dpop_jkt`]), `None` for a bearer or
/// anonymous request. Never refuses a request the layer let through (no layer in front: 500).
///
/// ```
/// use tower_auth::Binding;
///
/// async fn who_holds(Binding(binding): Binding) -> String {
///     binding.as_ref().and_then(|b| b.dpop_jkt()).unwrap_or("a bearer token").to_owned()
/// }
/// # let _ = who_holds;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding(pub Option<KeyBinding>);

/// Why a claims extractor refused a request.
#[derive(Debug)]
#[non_exhaustive]
pub struct AuthRejection {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    LayerMissing { grpc: bool },
    Auth { error: AuthError, context: AuthContext },
}

impl AuthRejection {
    /// The authentication error, `None` when the `AuthLayer` is missing (a server error).
    pub fn auth_error(&self) -> Option<&AuthError> {
        match &self.kind {
            Kind::Auth { error, .. } => Some(error),
            Kind::LayerMissing { .. } => None,
        }
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::LayerMissing { .. } => f.write_str("no AuthLayer is mounted in front of this handler"),
            Kind::Auth { error, .. } => fmt::Display::fmt(error, f),
        }
    }
}

impl std::error::Error for AuthRejection {}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let res = match &self.kind {
            Kind::LayerMissing { grpc } => misconfigured(*grpc),
            Kind::Auth { error, context } => context.error_response(error),
        };
        res.map(axum_core::body::Body::from)
    }
}

/// The claims (if any) and the context the layer left, or the 500 rejection when it left none.
pub(crate) fn lookup(
    parts: &Parts,
    extractor: &'static str,
) -> Result<(Option<auth_core::Claims>, AuthContext), AuthRejection> {
    match parts.extensions.get::<AuthContext>() {
        Some(context) => Ok((parts.extensions.get::<auth_core::Claims>().cloned(), context.clone())),
        None => {
            tracing::error!(
                extractor,
                "no AuthLayer in front of this handler (mount it with `route_layer`); answering 500"
            );
            Err(AuthRejection { kind: Kind::LayerMissing { grpc: is_grpc(&parts.headers) } })
        }
    }
}

pub(crate) fn anonymous(context: AuthContext) -> AuthRejection {
    rejection(AuthError::MissingToken, context)
}

/// `error`, rendered with the layer's context.
pub(crate) fn rejection(error: AuthError, context: AuthContext) -> AuthRejection {
    AuthRejection { kind: Kind::Auth { error, context } }
}

/// `T` from the claims (auth-core's rule: 401 `invalid_token`, the serde message logged only).
fn typed<T: DeserializeOwned>(claims: &auth_core::Claims, context: AuthContext) -> Result<T, AuthRejection> {
    claims_as(claims).map_err(|e| rejection(e, context))
}

impl<T, S> FromRequestParts<S> for Claims<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match lookup(parts, "Claims")? {
            (Some(claims), context) => typed(&claims, context).map(Claims),
            (None, context) => Err(anonymous(context)),
        }
    }
}

impl<T, S> OptionalFromRequestParts<S> for Claims<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        match lookup(parts, "Option<Claims>")? {
            (Some(claims), context) => typed(&claims, context).map(|t| Some(Claims(t))),
            (None, _) => Ok(None),
        }
    }
}

impl<S> FromRequestParts<S> for Verified
where
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match lookup(parts, "Verified")? {
            (Some(claims), _) => Ok(Verified(claims)),
            (None, context) => Err(anonymous(context)),
        }
    }
}

impl<S> OptionalFromRequestParts<S> for Verified
where
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(lookup(parts, "Option<Verified>")?.0.map(Verified))
    }
}

impl<S> FromRequestParts<S> for Binding
where
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        lookup(parts, "Binding")?;
        Ok(Binding(parts.extensions.get::<KeyBinding>().cloned()))
    }
}
