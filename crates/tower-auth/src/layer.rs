//! [`AuthLayer`]: the configuration of the authentication middleware.

use std::fmt;
use std::sync::Arc;

use auth_core::token::FoundToken;
use auth_core::{AuthError, Challenge, CredentialSources, TokenLocator, Validator};
use http::Response;
use tower_layer::Layer;

use crate::request::HttpParts;
use crate::response::Renderer;
use crate::service::Auth;

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

pub(crate) struct Config {
    pub(crate) validator: Validator,
    pub(crate) locator: TokenLocator,
    pub(crate) custom: Option<TokenExtractor>,
    pub(crate) optional: bool,
    pub(crate) renderer: Renderer,
}

/// A user-supplied way to find the token in a request (see [`AuthLayer::extract_token_with`]).
pub type TokenExtractor =
    Arc<dyn Fn(&http::HeaderMap, &http::Uri) -> Result<Option<String>, AuthError> + Send + Sync>;

impl Config {
    /// The request's token: the custom extractor's answer when one is set, else the built-in
    /// sources (header, and the configured cookie, query and form methods), borrowed from the
    /// request; the header token's syntax is left for [`Validator::decide`] to check.
    pub(crate) fn find<'r>(
        &self,
        parts: &'r HttpParts<'r>,
        form_body: Option<&'r [u8]>,
    ) -> Result<Option<FoundToken<'r>>, AuthError> {
        match &self.custom {
            Some(extract) => Ok(extract(parts.headers(), parts.uri())?.map(FoundToken::trusted)),
            None => self.locator.find_with_form(parts, form_body),
        }
    }
}

impl AuthLayer {
    /// A layer requiring a valid token on every request, read from the `Authorization` header.
    pub fn new(validator: Validator) -> Self {
        let renderer = Renderer::new(validator.realm());
        AuthLayer {
            config: Arc::new(Config {
                validator,
                locator: TokenLocator::default(),
                custom: None,
                optional: false,
                renderer,
            }),
        }
    }

    /// Lets requests without any credentials through, without claims (handlers see
    /// `Option<Claims<T>>` as `None`). Requests with bad or malformed credentials are still
    /// rejected: a broken token is never silently treated as anonymous.
    pub fn optional(self) -> Self {
        self.map(|c| c.optional = true)
    }

    /// Also accept the token from a cookie or the `access_token` query parameter. A token sent
    /// by more than one method is always refused (400 `invalid_request`). The form source
    /// ([`CredentialSources::with_form`]) needs the body: it takes effect only through
    /// [`inspect_form_body`](Self::inspect_form_body).
    pub fn credential_sources(self, sources: CredentialSources) -> Self {
        self.map(|c| c.locator = TokenLocator::new(sources))
    }

    /// Renders HTTP rejections with `f` (a `problem+json` body, say), given the error and its
    /// default [`Challenge`]. The status and the `WWW-Authenticate` / `Retry-After` headers are
    /// kept unless `f` sets them: a response left at `200 OK` gets the challenge's status.
    /// [`challenge_response`](crate::challenge_response) is the default rendering to start from.
    /// gRPC calls are always answered with `grpc-status`, whatever `f` does.
    pub fn render_errors_with<F>(self, f: F) -> Self
    where
        F: Fn(&AuthError, Challenge) -> Response<String> + Send + Sync + 'static,
    {
        self.map(|c| c.renderer = c.renderer.clone().with_custom(Arc::new(f)))
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
        &self.config.validator
    }

    fn map(self, f: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config {
            validator: self.config.validator.clone(),
            locator: self.config.locator.clone(),
            custom: self.config.custom.clone(),
            optional: self.config.optional,
            renderer: self.config.renderer.clone(),
        };
        f(&mut config);
        AuthLayer { config: Arc::new(config) }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Auth { inner, config: Arc::clone(&self.config) }
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
            .field("validator", &self.validator)
            .field("sources", self.locator.sources())
            .field("custom_extractor", &self.custom.is_some())
            .field("optional", &self.optional)
            .field("renderer", &self.renderer)
            .finish()
    }
}
