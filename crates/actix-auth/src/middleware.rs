//! [`AuthLayer`]: the actix-web middleware that validates the access token of every request.

use std::fmt;
use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::EitherBody;
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse};
use auth_core::{
    AuthError, Authenticated, Authentication, Authenticator, Credential, CredentialSources, Outcome,
    Rejection, RequestProblem, Validator,
};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;

use crate::request::{HeadParts, is_form};
use crate::response::{AuthContext, RenderFn};

/// Validates the access token of every request it wraps with an [`auth_core::Validator`]: on
/// success the verified [`auth_core::Claims`] (and an [`AuthContext`]) are put in the request
/// extensions, where the [`Claims`](struct@crate::Claims) / [`Verified`](crate::Verified) extractors
/// and [`RequireScopesLayer`](crate::RequireScopesLayer) find them; otherwise the request is answered with
/// the RFC 6750 challenge rendered by auth-core — the answers `tower-auth` gives, byte for byte.
///
/// Works with `App::wrap`, `web::scope(..).wrap(..)`, `web::resource(..).wrap(..)` and
/// `Route::wrap`. With actix, the middleware registered **last** runs **first**: add
/// `RequireScopesLayer` before `AuthLayer` (`.wrap(RequireScopesLayer::all([..])).wrap(AuthLayer::new(v))`).
/// Wrap resources or scopes rather than the whole `App` if unknown paths must still answer 404
/// (an `App`-wide `AuthLayer` also wraps the default service, so they would answer 401).
///
/// Validation is asynchronous and never blocks a worker; the JWKS refresh runs as a tokio task on
/// the worker's (tokio-based) actix runtime. Cheap to clone: the configuration is shared.
///
/// ```
/// use actix_auth::AuthLayer;
/// use auth_core::{Algorithm, CredentialSources, DEFAULT_FORM_BODY_LIMIT, IssuerConfig, StaticKey, Validator};
///
/// # fn demo() -> Result<(), auth_core::ConfigError> {
/// let validator = Validator::builder()
///     .issuer(IssuerConfig::static_keys("internal", [StaticKey::hmac(vec![7; 32])]))
///     .algorithms([Algorithm::HS256])
///     .audience("petstore")
///     .build()?;
/// let auth = AuthLayer::new(validator)
///     .optional()
///     .credential_sources(CredentialSources::default().with_cookie("access_token"))
///     .inspect_form_body(DEFAULT_FORM_BODY_LIMIT);
/// # let _ = auth; Ok(()) }
/// ```
#[derive(Clone)]
pub struct AuthLayer {
    config: Arc<Config>,
}

#[derive(Clone)]
struct Config {
    authenticator: Authenticator,
    custom: Option<TokenExtractor>,
    renderer: Option<Arc<RenderFn>>,
}

/// A user-supplied way to find the token in a request (see [`AuthLayer::extract_token_with`]).
pub type TokenExtractor = Arc<dyn Fn(&HttpRequest) -> Result<Option<String>, AuthError> + Send + Sync>;

impl AuthLayer {
    /// A middleware requiring a valid token on every request, read from the `Authorization` header.
    pub fn new(validator: Validator) -> Self {
        AuthLayer::from_authenticator(Authenticator::new(validator))
    }

    /// A middleware with this pipeline configuration (shared with `tower-auth`'s): its credential
    /// sources, optional mode, form-body limit and target rules.
    pub fn from_authenticator(authenticator: Authenticator) -> Self {
        AuthLayer { config: Arc::new(Config { authenticator, custom: None, renderer: None }) }
    }

    /// Lets requests without any credentials through, without claims (handlers see
    /// [`OptionalClaims`](crate::OptionalClaims) as `None`). Requests with bad or malformed
    /// credentials are still rejected: a broken token is never silently treated as anonymous.
    pub fn optional(self) -> Self {
        self.map(|c| c.authenticator = c.authenticator.clone().optional())
    }

    /// Also accept the token from a cookie or the `access_token` query parameter. A token sent
    /// by more than one method is always refused (400 `invalid_request`). The form source
    /// ([`CredentialSources::with_form`]) needs the body: it takes effect only with
    /// [`inspect_form_body`](Self::inspect_form_body).
    pub fn credential_sources(self, sources: CredentialSources) -> Self {
        self.map(|c| c.authenticator = c.authenticator.clone().credential_sources(sources))
    }

    /// Also reads `application/x-www-form-urlencoded` bodies (content-type compared
    /// case-insensitively, parameters allowed), up to `max_bytes` (e.g.
    /// [`auth_core::DEFAULT_FORM_BODY_LIMIT`]), for an `access_token` field (RFC 6750 §2.2), and
    /// hands the same bytes on to the handler. Sent along with another credential, or twice, that
    /// field is 400 `invalid_request` whether or not the form source is on; alone, it is the
    /// token only when [`CredentialSources::form`] is on. A larger body, or one that fails to
    /// arrive, is 400 `invalid_request` too. Other content types are never buffered.
    pub fn inspect_form_body(self, max_bytes: usize) -> Self {
        self.map(|c| c.authenticator = c.authenticator.clone().inspect_form_body(max_bytes))
    }

    /// Renders rejections with `f` (a `problem+json` body, say), given the error and its default
    /// [`Rejection`]: the middleware's own, and those of [`RequireScopesLayer`](crate::RequireScopesLayer),
    /// [`check_scopes`](crate::check_scopes) and the extractors behind it. The status and the
    /// `WWW-Authenticate` / `Retry-After` (and extra) headers are kept unless `f` sets them: a
    /// response left at `200 OK` gets the rejection's status ([`Rejection::fill_in`], the rule
    /// `tower-auth` applies too). [`challenge_response`](crate::challenge_response)
    /// is the default rendering to start from. (A missing `AuthLayer` is still the plain 500: there
    /// is no `AuthLayer` to ask.)
    ///
    /// ```
    /// use actix_web::HttpResponse;
    /// # use auth_core::{Algorithm, IssuerConfig, StaticKey, Validator};
    /// # let validator = Validator::builder()
    /// #     .issuer(IssuerConfig::static_keys("internal", [StaticKey::hmac(vec![7; 32])]))
    /// #     .algorithms([Algorithm::HS256]).audience("petstore").build().unwrap();
    ///
    /// let auth = actix_auth::AuthLayer::new(validator).render_errors_with(|error, rejection| {
    ///     // Status and WWW-Authenticate are filled in from `rejection`.
    ///     HttpResponse::Ok()
    ///         .content_type("application/problem+json")
    ///         .body(format!(r#"{{"title":"{}","status":{}}}"#, error.reason(), rejection.status()))
    /// });
    /// # let _ = auth;
    /// ```
    pub fn render_errors_with<F>(self, f: F) -> Self
    where
        F: Fn(&AuthError, &Rejection) -> HttpResponse + Send + Sync + 'static,
    {
        self.map(|c| c.renderer = Some(Arc::new(f)))
    }

    /// Finds the token with `f` instead of the built-in sources: a custom header, a signed
    /// cookie, a gateway's forwarding header. `Ok(None)` means no credentials (401, or anonymous
    /// in optional mode); an `Err` (say `RequestProblem::MalformedAuthorization`) is answered as
    /// that error. The built-in sources, including [`inspect_form_body`](Self::inspect_form_body)
    /// (the body is not read), are not consulted when `f` is set.
    ///
    /// ```
    /// # use auth_core::{Algorithm, IssuerConfig, StaticKey, Validator};
    /// # let validator = Validator::builder()
    /// #     .issuer(IssuerConfig::static_keys("internal", [StaticKey::hmac(vec![7; 32])]))
    /// #     .algorithms([Algorithm::HS256]).audience("petstore").build().unwrap();
    /// let auth = actix_auth::AuthLayer::new(validator).extract_token_with(|req| {
    ///     Ok(req.headers().get("x-access-token").and_then(|v| v.to_str().ok()).map(str::to_owned))
    /// });
    /// # let _ = auth;
    /// ```
    pub fn extract_token_with<F>(self, f: F) -> Self
    where
        F: Fn(&HttpRequest) -> Result<Option<String>, AuthError> + Send + Sync + 'static,
    {
        self.map(|c| c.custom = Some(Arc::new(f)))
    }

    /// The validator.
    pub fn validator(&self) -> &Validator {
        self.config.authenticator.validator()
    }

    /// The pipeline configuration.
    pub fn authenticator(&self) -> &Authenticator {
        &self.config.authenticator
    }

    fn map(self, f: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::clone(&self.config);
        f(&mut config);
        AuthLayer { config: Arc::new(config) }
    }
}

impl fmt::Debug for AuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        f.debug_struct("AuthLayer")
            .field("authenticator", &c.authenticator)
            .field("custom_extractor", &c.custom.is_some())
            .field("custom_renderer", &c.renderer.is_some())
            .finish()
    }
}

impl<S, B> Transform<S, ServiceRequest> for AuthLayer
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = AuthService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AuthService { service: Rc::new(service), config: Arc::clone(&self.config) }))
    }
}

/// The service built by [`AuthLayer`] around the wrapped service.
pub struct AuthService<S> {
    service: Rc<S>,
    config: Arc<Config>,
}

impl<S> fmt::Debug for AuthService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthService").finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for AuthService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let config = &*self.config;
        let context = AuthContext::new(config.authenticator.clone(), config.renderer.clone());
        // Everything but a form body to read or an authentication that must wait is decided
        // here, so a token the verified-token cache knows costs no copy and no future of its own.
        let reads_body = config.custom.is_none()
            && config.authenticator.form_body_limit().is_some()
            && is_form(req.head());
        if reads_body {
            let (service, config) = (Rc::clone(&self.service), Arc::clone(&self.config));
            return Box::pin(async move {
                let outcome = authenticate_form(&config, &mut req).await;
                respond(&*service, req, context, outcome).await
            });
        }
        match config.authenticate(&req, None) {
            Authentication::Ready(outcome) => respond(&*self.service, req, context, outcome),
            Authentication::Pending(pending) => {
                let service = Rc::clone(&self.service);
                Box::pin(async move { respond(&*service, req, context, pending.await).await })
            }
        }
    }
}

impl Config {
    /// Runs the pipeline on a request's head (and the form body the form path read): the custom
    /// extractor's token when one is set, else the built-in sources.
    fn authenticate(&self, req: &ServiceRequest, form: Option<&[u8]>) -> Authentication {
        let head = HeadParts { head: req.head(), form };
        match &self.custom {
            Some(extract) => {
                let found = extract(req.request()).map(|token| token.map(Credential::bearer));
                self.authenticator.authenticate_with(&head, found)
            }
            None => self.authenticator.authenticate(&head),
        }
    }
}

/// Calls `service` with what the pipeline learned in the request's extensions (and its response
/// headers on the answer), or answers the rejection.
fn respond<S, B: 'static>(
    service: &S,
    req: ServiceRequest,
    context: AuthContext,
    outcome: Outcome,
) -> LocalBoxFuture<'static, Result<ServiceResponse<EitherBody<B>>, Error>>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
{
    match outcome {
        Ok(Authenticated { claims, binding, response_headers, scheme, .. }) => {
            {
                let mut extensions = req.extensions_mut();
                if let Some(claims) = claims {
                    extensions.insert(claims);
                }
                if let Some(binding) = binding {
                    extensions.insert(binding);
                }
                extensions.insert(context.with_scheme(scheme));
            }
            let response = service.call(req);
            Box::pin(async move {
                let mut response = response.await?;
                for (name, value) in response_headers {
                    if let Ok(value) = HeaderValue::from_str(&value) {
                        response.headers_mut().append(HeaderName::from_static(name), value);
                    }
                }
                Ok(response.map_into_left_body())
            })
        }
        Err(refusal) => {
            let response = req.into_response(context.render(&refusal)).map_into_right_body();
            Box::pin(ready(Ok(response)))
        }
    }
}

/// For a form-encoded request when form bodies are inspected: reads the body (handed on to the
/// handler unchanged) and authenticates with it in the request view.
async fn authenticate_form(config: &Config, req: &mut ServiceRequest) -> Outcome {
    let max_bytes = config.authenticator.form_body_limit().unwrap_or(auth_core::DEFAULT_FORM_BODY_LIMIT);
    let body = match read_form(req, max_bytes).await {
        Ok(body) => body,
        Err(error) => return Err(config.authenticator.refuse(error)),
    };
    let authentication = config.authenticate(req, Some(&body[..]));
    let outcome = authentication.outcome().await;
    // The handler reads the very same bytes.
    req.set_payload(Payload::from(body));
    outcome
}

/// Buffers the request body, at most `max_bytes`.
async fn read_form(req: &mut ServiceRequest, max_bytes: usize) -> Result<Bytes, AuthError> {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| {
            tracing::debug!(%error, max_bytes, "form body not read");
            RequestProblem::UnreadableFormBody
        })?;
        if body.len() + chunk.len() > max_bytes {
            tracing::debug!(max_bytes, "form body over the limit");
            return Err(RequestProblem::UnreadableFormBody.into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
