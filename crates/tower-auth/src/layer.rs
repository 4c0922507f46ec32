//! [`AuthLayer`]: the configuration of the authentication middleware.

use std::fmt;
use std::sync::Arc;

use auth_core::{
    AuthError, Authenticated, Authentication, Authenticator, Credential, CredentialSources, Rejection,
    Validator,
};
use http::{HeaderMap, Method, Request, Response, Uri};
use tower_layer::Layer;

use crate::context::AuthContext;
use crate::future::ExtraHeaders;
use crate::request::{HttpParts, is_grpc};
use crate::response::Renderer;
use crate::service::AuthService;

/// Validates the access token of every request with an [`auth_core::Validator`]; on success the
/// verified [`auth_core::Claims`] are put in the request extensions, otherwise the request is
/// answered with the RFC 6750 challenge (or a `grpc-status` for gRPC calls).
///
/// Cheap to clone: the configuration is shared.
///
/// ```
/// use auth_core::{CredentialSources, IssuerConfig, StaticKey, Validator, Algorithm};
/// use tower_auth::AuthLayer;
///
/// # fn demo() -> Result<(), auth_core::ConfigError> {
/// let validator = Validator::builder()
///     .issuer(IssuerConfig::static_keys("internal", [StaticKey::hmac(vec![7; 32])]))
///     .algorithms([Algorithm::HS256])
///     .audience("petstore")
///     .build()?;
/// let layer = AuthLayer::new(validator)
///     .optional()
///     .credential_sources(CredentialSources::default().with_cookie("access_token"));
/// # let _ = layer; Ok(()) }
/// ```
#[derive(Clone)]
pub struct AuthLayer {
    pub(crate) config: Arc<Config>,
}

#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) authenticator: Authenticator,
    pub(crate) custom: Option<TokenExtractor>,
    pub(crate) renderer: Renderer,
}

/// A user-supplied way to find the token in a request (see [`AuthLayer::extract_token_with`]).
pub type TokenExtractor = Arc<dyn Fn(&HeaderMap, &Uri) -> Result<Option<String>, AuthError> + Send + Sync>;

impl Config {
    /// Runs the pipeline on a request's head (and the form body the form path read): the custom
    /// extractor's token when one is set, else the built-in sources.
    pub(crate) fn authenticate(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        form: Option<&[u8]>,
    ) -> Authentication {
        let mut parts = HttpParts::new(method, uri, headers);
        if let Some(body) = form {
            parts = parts.with_form(body);
        }
        match &self.custom {
            Some(extract) => {
                let found = extract(headers, uri).map(|token| token.map(Credential::bearer));
                self.authenticator.authenticate_with(&parts, found)
            }
            None => self.authenticator.authenticate(&parts),
        }
    }

    /// What later layers and extractors of this request render with.
    pub(crate) fn context(&self, headers: &HeaderMap) -> AuthContext {
        AuthContext {
            authenticator: self.authenticator.clone(),
            renderer: self.renderer.clone(),
            grpc: is_grpc(headers),
            scheme: None,
        }
    }
}

/// Puts what the pipeline learned into the request: the claims, the key binding, the context;
/// returns the headers the response must carry, if any.
pub(crate) fn admit<B>(
    req: &mut Request<B>,
    authenticated: Authenticated,
    mut context: AuthContext,
) -> ExtraHeaders {
    context.scheme = authenticated.scheme;
    let extensions = req.extensions_mut();
    if let Some(claims) = authenticated.claims {
        extensions.insert(claims);
    }
    if let Some(binding) = authenticated.binding {
        extensions.insert(binding);
    }
    extensions.insert(context);
    let headers = authenticated.response_headers;
    (!headers.is_empty()).then(|| headers.into_boxed_slice())
}

impl AuthLayer {
    /// A layer requiring a valid token on every request, read from the `Authorization` header.
    pub fn new(validator: Validator) -> Self {
        AuthLayer::from_authenticator(Authenticator::new(validator))
    }

    /// A layer with this pipeline configuration (shared with `actix-auth`'s): its credential
    /// sources, optional mode, form-body limit and target rules.
    pub fn from_authenticator(authenticator: Authenticator) -> Self {
        AuthLayer { config: Arc::new(Config { authenticator, custom: None, renderer: Renderer::default() }) }
    }

    /// Lets requests without any credentials through, without claims (handlers see
    /// `Option<Claims<T>>` as `None`). Requests with bad or malformed credentials are still
    /// rejected: a broken token is never silently treated as anonymous.
    pub fn optional(self) -> Self {
        self.map(|c| c.authenticator = c.authenticator.clone().optional())
    }

    /// Also accept the token from a cookie or the `access_token` query parameter. A token sent
    /// by more than one method is always refused (400 `invalid_request`). The form source
    /// ([`CredentialSources::with_form`]) needs the body: it takes effect only through
    /// [`inspect_form_body`](Self::inspect_form_body).
    pub fn credential_sources(self, sources: CredentialSources) -> Self {
        self.map(|c| c.authenticator = c.authenticator.clone().credential_sources(sources))
    }

    /// Renders HTTP rejections with `f` (a `problem+json` body, say), given the error and its
    /// default [`Rejection`]. The status and the `WWW-Authenticate` / `Retry-After` (and extra)
    /// headers are kept unless `f` sets them: a response left at `200 OK` gets the rejection's
    /// status ([`Rejection::fill_in`], the rule `actix-auth` applies too).
    /// [`challenge_response`](crate::challenge_response) is the default rendering to start from.
    /// gRPC calls are always answered with `grpc-status`, whatever `f` does.
    pub fn render_errors_with<F>(self, f: F) -> Self
    where
        F: Fn(&AuthError, &Rejection) -> Response<String> + Send + Sync + 'static,
    {
        self.map(|c| c.renderer = Renderer::with_custom(Arc::new(f)))
    }

    /// Finds the token with `f` instead of the built-in sources: a custom header, a signed
    /// cookie, a gateway's forwarding header. `Ok(None)` means no credentials (401, or anonymous
    /// in optional mode); an `Err` (say `RequestProblem::MalformedAuthorization`) is answered as
    /// that error. The built-in sources, including [`inspect_form_body`](Self::inspect_form_body),
    /// are not consulted when `f` is set.
    ///
    /// ```
    /// # use auth_core::{Algorithm, IssuerConfig, StaticKey, Validator};
    /// # let validator = Validator::builder()
    /// #     .issuer(IssuerConfig::static_keys("internal", [StaticKey::hmac(vec![7; 32])]))
    /// #     .algorithms([Algorithm::HS256]).audience("petstore").build().unwrap();
    /// let layer = tower_auth::AuthLayer::new(validator).extract_token_with(|headers, _uri| {
    ///     Ok(headers.get("x-access-token").and_then(|v| v.to_str().ok()).map(str::to_owned))
    /// });
    /// # let _ = layer;
    /// ```
    pub fn extract_token_with<F>(self, f: F) -> Self
    where
        F: Fn(&http::HeaderMap, &http::Uri) -> Result<Option<String>, AuthError> + Send + Sync + 'static,
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

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService { inner, config: Arc::clone(&self.config) }
    }
}

impl fmt::Debug for AuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.config.fmt(f)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthLayer")
            .field("authenticator", &self.authenticator)
            .field("custom_extractor", &self.custom.is_some())
            .field("renderer", &self.renderer)
            .finish()
    }
}
