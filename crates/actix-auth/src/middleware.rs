//! [`Auth`]: the actix-web middleware that validates the access token of every request.

use std::fmt;
use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::EitherBody;
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse};
use auth_core::token::FoundToken;
use auth_core::{
    AuthError, Challenge, Claims, CredentialSources, Decision, RequestProblem, TokenLocator, Validator,
};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;

use crate::request::{HeadParts, is_form};
use crate::response::{AuthContext, RenderFn};

/// Validates the access token of every request it wraps with an [`auth_core::Validator`]: on
/// success the verified [`auth_core::Claims`] (and an [`AuthContext`]) are put in the request
/// extensions, where the [`Claims`](struct@crate::Claims) / [`Verified`](crate::Verified) extractors
/// and [`RequireScopes`](crate::RequireScopes) find them; otherwise the request is answered with
/// the RFC 6750 challenge rendered by auth-core — the answers `tower-auth` gives, byte for byte.
///
/// Works with `App::wrap`, `web::scope(..).wrap(..)`, `web::resource(..).wrap(..)` and
/// `Route::wrap`. With actix, the middleware registered **last** runs **first**: add
/// `RequireScopes` before `Auth` (`.wrap(RequireScopes::all([..])).wrap(Auth::new(v))`).
/// Wrap resources or scopes rather than the whole `App` if unknown paths must still answer 404
/// (an `App`-wide `Auth` also wraps the default service, so they would answer 401).
///
/// Validation is asynchronous and never blocks a worker; the JWKS refresh runs as a tokio task on
/// the worker's (tokio-based) actix runtime. Cheap to clone: the configuration is shared.
///
/// ```
/// use actix_auth::Auth;
/// use auth_core::{Algorithm, CredentialSources, DEFAULT_FORM_BODY_LIMIT, IssuerConfig, StaticKey, Validator};
///
/// # fn demo() -> Result<(), auth_core::ConfigError> {
/// let validator = Validator::builder()
///     .issuer(IssuerConfig::static_keys("internal", [StaticKey::hmac(vec![7; 32])]))
///     .algorithms([Algorithm::HS256])
///     .audience("petstore")
///     .build()?;
/// let auth = Auth::new(validator)
///     .optional()
///     .credential_sources(CredentialSources::default().with_cookie("access_token"))
///     .inspect_form_body(DEFAULT_FORM_BODY_LIMIT);
/// # let _ = auth; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Auth {
    config: Arc<Config>,
}

#[derive(Clone)]
struct Config {
    validator: Validator,
    locator: TokenLocator,
    custom: Option<TokenExtractor>,
    optional: bool,
    form_limit: Option<usize>,
    realm: Option<Arc<str>>,
    renderer: Option<Arc<RenderFn>>,
}

/// A user-supplied way to find the token in a request (see [`Auth::extract_token_with`]).
pub type TokenExtractor = Arc<dyn Fn(&HttpRequest) -> Result<Option<String>, AuthError> + Send + Sync>;

impl Auth {
    /// A middleware requiring a valid token on every request, read from the `Authorization` header.
    pub fn new(validator: Validator) -> Self {
        let realm = validator.realm().map(Arc::from);
        let config = Config {
            validator,
            locator: TokenLocator::default(),
            custom: None,
            optional: false,
            form_limit: None,
            realm,
            renderer: None,
        };
        Auth { config: Arc::new(config) }
    }

    /// Lets requests without any credentials through, without claims (handlers see
    /// [`OptionalClaims`](crate::OptionalClaims) as `None`). Requests with bad or malformed
    /// credentials are still rejected: a broken token is never silently treated as anonymous.
    pub fn optional(self) -> Self {
        self.map(|c| c.optional = true)
    }

    /// Also accept the token from a cookie or the `access_token` query parameter. A token sent
    /// by more than one method is always refused (400 `invalid_request`). The form source
    /// ([`CredentialSources::with_form`]) needs the body: it takes effect only with
    /// [`inspect_form_body`](Self::inspect_form_body).
    pub fn credential_sources(self, sources: CredentialSources) -> Self {
        self.map(|c| c.locator = TokenLocator::new(sources))
    }

    /// Also reads `application/x-www-form-urlencoded` bodies (content-type compared
    /// case-insensitively, parameters allowed), up to `max_bytes` (e.g.
    /// [`auth_core::DEFAULT_FORM_BODY_LIMIT`]), for an `access_token` field (RFC 6750 §2.2), and
    /// hands the same bytes on to the handler. Sent along with another credential, or twice, that
    /// field is 400 `invalid_request` whether or not the form source is on; alone, it is the
    /// token only when [`CredentialSources::form`] is on. A larger body, or one that fails to
    /// arrive, is 400 `invalid_request` too. Other content types are never buffered.
    pub fn inspect_form_body(self, max_bytes: usize) -> Self {
        self.map(|c| c.form_limit = Some(max_bytes))
    }

    /// Renders rejections with `f` (a `problem+json` body, say), given the error and its default
    /// [`Challenge`]: the middleware's own, and those of [`RequireScopes`](crate::RequireScopes),
    /// [`check_scopes`](crate::check_scopes) and the extractors behind it. The status and the
    /// `WWW-Authenticate` / `Retry-After` headers are kept unless `f` sets them: a response left
    /// at `200 OK` gets the challenge's status. [`challenge_response`](crate::challenge_response)
    /// is the default rendering to start from. (A missing `Auth` is still the plain 500: there
    /// is no `Auth` to ask.)
    ///
    /// ```
    /// use actix_web::HttpResponse;
    /// # use auth_core::{Algorithm, IssuerConfig, StaticKey, Validator};
    /// # let validator = Validator::builder()
    /// #     .issuer(IssuerConfig::static_keys("internal", [StaticKey::hmac(vec![7; 32])]))
    /// #     .algorithms([Algorithm::HS256]).audience("petstore").build().unwrap();
    ///
    /// let auth = actix_auth::Auth::new(validator).render_errors_with(|error, challenge| {
    ///     // Status and WWW-Authenticate are filled in from `challenge`.
    ///     HttpResponse::Ok()
    ///         .content_type("application/problem+json")
    ///         .body(format!(r#"{{"title":"{}","status":{}}}"#, error.reason(), challenge.status))
    /// });
    /// # let _ = auth;
    /// ```
    pub fn render_errors_with<F>(self, f: F) -> Self
    where
        F: Fn(&AuthError, Challenge) -> HttpResponse + Send + Sync + 'static,
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
    /// let auth = actix_auth::Auth::new(validator).extract_token_with(|req| {
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
        &self.config.validator
    }

    fn map(self, f: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::clone(&self.config);
        f(&mut config);
        Auth { config: Arc::new(config) }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        f.debug_struct("Auth")
            .field("validator", &c.validator)
            .field("sources", c.locator.sources())
            .field("custom_extractor", &c.custom.is_some())
            .field("optional", &c.optional)
            .field("form_limit", &c.form_limit)
            .field("custom_renderer", &c.renderer.is_some())
            .finish()
    }
}

impl<S, B> Transform<S, ServiceRequest> for Auth
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = AuthMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AuthMiddleware { service: Rc::new(service), config: Arc::clone(&self.config) }))
    }
}

/// The service built by [`Auth`] around the wrapped service.
pub struct AuthMiddleware<S> {
    service: Rc<S>,
    config: Arc<Config>,
}

impl<S> fmt::Debug for AuthMiddleware<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthMiddleware").finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for AuthMiddleware<S>
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
        let context = AuthContext::new(config.realm.clone(), config.renderer.clone());
        // Everything but a form body to read or a validation that must wait is decided here, so
        // a token the verified-token cache knows costs no copy and no future of its own.
        let reads_body = config.custom.is_none() && config.form_limit.is_some() && is_form(req.head());
        let head = HeadParts(req.head());
        let found = if reads_body { None } else { Some(find(config, &req, &head)) };
        let now = match found {
            None => None,
            Some(Err(e)) => Some(Err(e)),
            Some(Ok(found)) => match config.validator.decide(found, config.optional) {
                Decision::Now(answer) => Some(answer),
                Decision::Validate(token) => {
                    let (token, service) = (token.into_owned(), Rc::clone(&self.service));
                    let validator = config.validator.clone();
                    return Box::pin(async move {
                        let answer = validator.validate_in_full(&token).await.map(Some);
                        respond(&*service, req, context, answer).await
                    });
                }
            },
        };
        match now {
            Some(answer) => respond(&*self.service, req, context, answer),
            None => {
                let (service, config) = (Rc::clone(&self.service), Arc::clone(&self.config));
                Box::pin(async move {
                    let answer = authenticate_form(&config, &mut req).await;
                    respond(&*service, req, context, answer).await
                })
            }
        }
    }
}

/// Calls `service` with the claims in the request's extensions, or answers the rejection.
fn respond<S, B: 'static>(
    service: &S,
    req: ServiceRequest,
    context: AuthContext,
    answer: Result<Option<Claims>, AuthError>,
) -> LocalBoxFuture<'static, Result<ServiceResponse<EitherBody<B>>, Error>>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
{
    match answer {
        Ok(claims) => {
            {
                let mut extensions = req.extensions_mut();
                if let Some(claims) = claims {
                    extensions.insert(claims);
                }
                extensions.insert(context);
            }
            let response = service.call(req);
            Box::pin(async move { response.await.map(ServiceResponse::map_into_left_body) })
        }
        Err(e) => {
            let response = req.into_response(context.error_response(&e)).map_into_right_body();
            Box::pin(ready(Ok(response)))
        }
    }
}

/// The request's token from its head: the custom extractor's answer when one is set, else the
/// configured sources (header, cookie, query), the header token's syntax left for
/// [`Validator::decide`] to check.
fn find<'r>(
    config: &Config,
    req: &ServiceRequest,
    head: &'r HeadParts<'r>,
) -> Result<Option<FoundToken<'r>>, AuthError> {
    match &config.custom {
        Some(extract) => Ok(extract(req.request())?.map(FoundToken::trusted)),
        None => config.locator.find_with_form(head, None),
    }
}

/// For a form-encoded request when form bodies are inspected: reads the body (handed on to the
/// handler unchanged), locates the one token among the body and the head, and decides on it as
/// the body-blind path does ([`Validator::decide`]). `Ok(None)` for an anonymous request the
/// optional mode lets through.
async fn authenticate_form(config: &Config, req: &mut ServiceRequest) -> Result<Option<Claims>, AuthError> {
    let max_bytes = config.form_limit.unwrap_or(auth_core::DEFAULT_FORM_BODY_LIMIT);
    let body = read_form(req, max_bytes).await?;
    let head = HeadParts(req.head());
    let found = config.locator.find_with_form(&head, Some(&body[..]))?;
    let token = match config.validator.decide(found, config.optional) {
        Decision::Now(answer) => {
            // The handler reads the very same bytes.
            req.set_payload(Payload::from(body));
            return answer;
        }
        Decision::Validate(token) => token.into_owned(),
    };
    req.set_payload(Payload::from(body));
    config.validator.validate_in_full(&token).await.map(Some)
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
