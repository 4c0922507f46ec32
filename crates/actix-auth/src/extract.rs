//! actix-web extractors for the claims the [`AuthLayer`](crate::AuthLayer) middleware verified.
//!
//! actix's blanket `Option<T>` extractor turns *every* error into `None`, including "no `AuthLayer`
//! middleware" and "claims that do not fit `T`". [`OptionalClaims`] and [`OptionalVerified`]
//! keep those as rejections and give `None` only for anonymous requests.

use std::fmt;
use std::future::{Ready, ready};

use actix_web::dev::{Extensions, Payload};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use auth_core::AuthError;
use auth_core::checks::KeyBinding;
use auth_core::requirements::claims_as;
use serde::de::DeserializeOwned;

use crate::response::{AuthContext, misconfigured};

/// The verified token's payload as your own type.
///
/// Anonymous request (an optional [`AuthLayer`](crate::AuthLayer), no credentials): 401 with the
/// middleware's challenge; use [`OptionalClaims`] to accept those. A payload that does not fit
/// `T`: 401 `invalid_token` (the mismatch is logged). No `AuthLayer` in front: 500, logged.
///
/// ```
/// use actix_auth::{Claims, OptionalClaims};
///
/// #[derive(serde::Deserialize)]
/// struct Caller { sub: String }
///
/// async fn whoami(Claims(caller): Claims<Caller>) -> String {
///     caller.sub
/// }
///
/// async fn greet(OptionalClaims(caller): OptionalClaims<Caller>) -> String {
///     match caller {
///         Some(c) => format!("hello {}", c.sub),
///         None => "hello stranger".to_owned(),
///     }
/// }
/// # let _ = (whoami, greet);
/// ```
#[derive(Debug, Clone)]
pub struct Claims<T>(pub T);

impl<T> Claims<T> {
    /// The claims.
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Like [`Claims`](struct@Claims), but `None` for anonymous requests (an optional [`AuthLayer`](crate::AuthLayer) let
/// them through). Claims that do not fit `T` and a missing `AuthLayer` are still rejections — unlike
/// `Option<Claims<T>>`, which actix turns into `None` on any error.
#[derive(Debug, Clone)]
pub struct OptionalClaims<T>(pub Option<T>);

impl<T> OptionalClaims<T> {
    /// The claims, if the request carried a token.
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

/// The verified claims as they are: registered claims, scopes and the raw payload.
///
/// Same rejections as [`Claims`](struct@Claims).
#[derive(Debug, Clone)]
pub struct Verified(pub auth_core::Claims);

/// Like [`Verified`], but `None` for anonymous requests; a missing [`AuthLayer`](crate::AuthLayer) is
/// still a 500.
#[derive(Debug, Clone)]
pub struct OptionalVerified(pub Option<auth_core::Claims>);

/// The key the request proved it holds, to which its token is bound: `Some` for a request
/// accepted with a DPoP proof (its thumbprint is [`KeyBinding::dpop_jkt`]), `None` for a bearer or
/// anonymous request. Never refuses a request the middleware let through (none in front: 500).
///
/// ```
/// use actix_auth::Binding;
///
/// async fn who_holds(Binding(binding): Binding) -> String {
///     binding.as_ref().and_then(|b| b.dpop_jkt()).unwrap_or("a bearer token").to_owned()
/// }
/// # let _ = who_holds;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding(pub Option<KeyBinding>);

/// Why an extractor or a scope check refused a request. Renders as the [`AuthLayer`](crate::AuthLayer)
/// middleware renders its own rejections ([`ResponseError`]), so `?` in a handler returning
/// `Result<_, actix_web::Error>` answers correctly.
#[derive(Debug)]
#[non_exhaustive]
pub struct AuthRejection {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    MiddlewareMissing,
    Auth { error: AuthError, context: AuthContext },
}

impl AuthRejection {
    pub(crate) fn auth(error: AuthError, context: AuthContext) -> Self {
        AuthRejection { kind: Kind::Auth { error, context } }
    }

    /// The authentication error, `None` when the `AuthLayer` middleware is missing (a server error).
    pub fn auth_error(&self) -> Option<&AuthError> {
        match &self.kind {
            Kind::Auth { error, .. } => Some(error),
            Kind::MiddlewareMissing => None,
        }
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::MiddlewareMissing => {
                f.write_str("no actix_auth::AuthLayer middleware is mounted in front of this handler")
            }
            Kind::Auth { error, .. } => fmt::Display::fmt(error, f),
        }
    }
}

impl std::error::Error for AuthRejection {}

impl ResponseError for AuthRejection {
    fn status_code(&self) -> StatusCode {
        let status = match &self.kind {
            Kind::MiddlewareMissing => 500,
            Kind::Auth { error, .. } => error.status(),
        };
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        match &self.kind {
            Kind::MiddlewareMissing => misconfigured(),
            Kind::Auth { error, context } => context.error_response(error),
        }
    }
}

/// The claims (if any) and the context the middleware left, or the 500 rejection when it left
/// none. `what` names the extractor or check in the log.
pub(crate) fn lookup(
    extensions: &Extensions,
    what: &'static str,
) -> Result<(Option<auth_core::Claims>, AuthContext), AuthRejection> {
    match extensions.get::<AuthContext>() {
        Some(context) => Ok((extensions.get::<auth_core::Claims>().cloned(), context.clone())),
        None => {
            tracing::error!(
                extractor = what,
                "no actix_auth::AuthLayer middleware in front of this handler (wrap the app, scope, resource \
                 or route with `AuthLayer`, registered after `RequireScopesLayer`); answering 500"
            );
            Err(AuthRejection { kind: Kind::MiddlewareMissing })
        }
    }
}

fn anonymous(context: AuthContext) -> AuthRejection {
    AuthRejection::auth(AuthError::MissingToken, context)
}

/// `T` from the claims (auth-core's rule: 401 `invalid_token`, the serde message logged only).
fn typed<T: DeserializeOwned>(claims: &auth_core::Claims, context: AuthContext) -> Result<T, AuthRejection> {
    claims_as(claims).map_err(|e| AuthRejection::auth(e, context))
}

impl<T: DeserializeOwned> FromRequest for Claims<T> {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match lookup(&req.extensions(), "Claims") {
            Ok((Some(claims), context)) => typed(&claims, context).map(Claims),
            Ok((None, context)) => Err(anonymous(context)),
            Err(e) => Err(e),
        })
    }
}

impl<T: DeserializeOwned> FromRequest for OptionalClaims<T> {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match lookup(&req.extensions(), "OptionalClaims") {
            Ok((Some(claims), context)) => typed(&claims, context).map(|t| OptionalClaims(Some(t))),
            Ok((None, _)) => Ok(OptionalClaims(None)),
            Err(e) => Err(e),
        })
    }
}

impl FromRequest for Verified {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match lookup(&req.extensions(), "Verified") {
            Ok((Some(claims), _)) => Ok(Verified(claims)),
            Ok((None, context)) => Err(anonymous(context)),
            Err(e) => Err(e),
        })
    }
}

impl FromRequest for OptionalVerified {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(lookup(&req.extensions(), "OptionalVerified").map(|(claims, _)| OptionalVerified(claims)))
    }
}

impl FromRequest for Binding {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let extensions = req.extensions();
        ready(lookup(&extensions, "Binding").map(|_| Binding(extensions.get::<KeyBinding>().cloned())))
    }
}
