//! The `reqwest-middleware` form.

use auth_core::client::{OutboundTokens, SubjectToken};
use http::Extensions;
use reqwest_middleware::reqwest::{Request, Response, header};
use reqwest_middleware::{Middleware, Next, Result};

/// A [`reqwest_middleware`] middleware adding this service's token to every request, with the
/// same retry on 401 `invalid_token` as the tower layer (a request whose body can be cloned is
/// sent again once). A token exchange reads the [`SubjectToken`] from the middleware
/// extensions (`client.get(url).with_extension(SubjectToken(..))`).
///
/// ```no_run
/// # fn demo(tokens: auth_core::client::OutboundTokens) {
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(tower_auth::outbound::OutboundAuthMiddleware::new(tokens))
///     .build();
/// # let _ = client; }
/// ```
#[derive(Debug, Clone)]
pub struct OutboundAuthMiddleware {
    tokens: OutboundTokens,
}

impl OutboundAuthMiddleware {
    /// A middleware sending the tokens of `tokens`.
    pub fn new(tokens: OutboundTokens) -> Self {
        OutboundAuthMiddleware { tokens }
    }
}

fn authorize(req: &mut Request, token: &str) -> Result<()> {
    let mut value = header::HeaderValue::try_from(format!("Bearer {token}"))
        .map_err(|e| reqwest_middleware::Error::Middleware(e.into()))?;
    value.set_sensitive(true);
    req.headers_mut().insert(header::AUTHORIZATION, value);
    Ok(())
}

#[async_trait::async_trait]
impl Middleware for OutboundAuthMiddleware {
    async fn handle(
        &self,
        mut req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> Result<Response> {
        let subject = extensions.get::<SubjectToken>().cloned();
        let token = self
            .tokens
            .token(subject.as_ref())
            .await
            .map_err(|e| reqwest_middleware::Error::Middleware(e.into()))?;
        authorize(&mut req, token.secret())?;
        let again = req.try_clone();
        let response = next.clone().run(req, extensions).await?;
        let challenges = response.headers().get_all(header::WWW_AUTHENTICATE).iter().map(|v| v.as_bytes());
        let retry =
            self.tokens.should_retry(response.status().as_u16(), challenges, subject.as_ref(), &token);
        let Some(mut again) = again.filter(|_| retry) else { return Ok(response) };
        let token = self
            .tokens
            .token(subject.as_ref())
            .await
            .map_err(|e| reqwest_middleware::Error::Middleware(e.into()))?;
        authorize(&mut again, token.secret())?;
        next.run(again, extensions).await
    }
}
