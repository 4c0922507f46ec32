//! The `reqwest-middleware` form.

use auth_core::client::{AccessToken, OutboundTokens, SubjectToken};
use http::Extensions;
use reqwest_middleware::reqwest::{Request, Response, header};
use reqwest_middleware::{Middleware, Next, Result};

/// A [`reqwest_middleware`] middleware adding this service's token (and a DPoP proof for a
/// DPoP-bound one) to every request, with the same retry on 401 `invalid_token` or
/// `use_dpop_nonce` as the tower layer (a request whose body can be cloned is sent again once).
/// A token exchange reads the [`SubjectToken`] from the middleware extensions
/// (`client.get(url).with_extension(SubjectToken(..))`).
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

fn fail(e: impl std::error::Error + Send + Sync + 'static) -> reqwest_middleware::Error {
    reqwest_middleware::Error::middleware(e)
}

fn authorize(req: &mut Request, tokens: &OutboundTokens, token: &AccessToken) -> Result<()> {
    let proof = tokens.proof(req.method().as_str(), req.url().as_str(), token).map_err(fail)?;
    req.headers_mut().insert(header::AUTHORIZATION, token.authorization_header().clone());
    if let Some(proof) = proof {
        req.headers_mut().insert("dpop", header::HeaderValue::try_from(proof).map_err(fail)?);
    }
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
        let token = self.tokens.token(subject.as_ref()).await.map_err(fail)?;
        authorize(&mut req, &self.tokens, &token)?;
        let uri = req.url().to_string();
        let again = req.try_clone();
        let response = next.clone().run(req, extensions).await?;
        let headers = response.headers();
        let challenges = headers.get_all(header::WWW_AUTHENTICATE).iter().map(|v| v.as_bytes());
        let nonce = headers.get("dpop-nonce").map(|v| v.as_bytes());
        let status = response.status().as_u16();
        let retry = self.tokens.should_retry(&uri, status, challenges, nonce, subject.as_ref(), &token);
        let Some(mut again) = again.filter(|_| retry) else { return Ok(response) };
        let token = self.tokens.token(subject.as_ref()).await.map_err(fail)?;
        authorize(&mut again, &self.tokens, &token)?;
        next.run(again, extensions).await
    }
}
