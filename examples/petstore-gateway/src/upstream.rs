//! The upstream call: the Petstore, with the gateway's own token, never the caller's.

use std::sync::Arc;
use std::time::Duration;

use auth_core::client::{OutboundError, OutboundTokens, SubjectToken, TokenError};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use petstore::api::ErrorBody;
use reqwest_middleware::ClientWithMiddleware;
use tower_auth::outbound::OutboundAuthMiddleware;

/// How long the upstream has to answer, body included.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest upstream body passed back.
pub const MAX_UPSTREAM_BODY: usize = 4 * 1024 * 1024;

/// The Petstore behind the gateway, and how the gateway gets tokens for it.
#[derive(Clone)]
pub struct Upstream {
    client: ClientWithMiddleware,
    base_url: Arc<str>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream").field("base_url", &self.base_url).finish()
    }
}

impl Upstream {
    /// Calls under `base_url` (no trailing slash) with tokens from `tokens`.
    pub fn new(base_url: &str, tokens: OutboundTokens) -> Upstream {
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(OutboundAuthMiddleware::new(tokens))
            .build();
        Upstream { client, base_url: Arc::from(base_url) }
    }

    /// The upstream's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `GET {base}{path}` for a caller holding `caller_token` (used only as the subject of a token
    /// exchange). The upstream's status, `Content-Type`, `WWW-Authenticate` (a 401 must carry
    /// one) and body come back as they are; its `DPoP-Nonce` is for the gateway and stays here.
    pub async fn get(&self, path: &str, caller_token: &str) -> Response {
        // The subject of a token exchange; tokens of the gateway's own ignore it. Never sent.
        let request = self
            .client
            .get(format!("{}{path}", self.base_url))
            .timeout(UPSTREAM_TIMEOUT)
            .with_extension(SubjectToken(Arc::from(caller_token)));
        let response = match request.send().await {
            Ok(response) => response,
            Err(reqwest_middleware::Error::Middleware(e)) => {
                return token_unavailable(e.downcast_ref::<OutboundError>());
            }
            Err(reqwest_middleware::Error::Reqwest(e)) => {
                tracing::warn!(error = %e, "the upstream did not answer");
                return upstream_unavailable("the upstream service did not answer");
            }
        };
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
        let challenges: Vec<HeaderValue> =
            response.headers().get_all(header::WWW_AUTHENTICATE).iter().cloned().collect();
        let body = match read_bounded(response).await {
            Ok(body) => body,
            Err(why) => {
                tracing::warn!(why, "the upstream's answer was not passed back");
                return upstream_unavailable("the upstream service's answer could not be read");
            }
        };
        let mut answer = (status, body).into_response();
        if let Some(content_type) = content_type {
            answer.headers_mut().insert(header::CONTENT_TYPE, content_type);
        }
        for challenge in challenges {
            answer.headers_mut().append(header::WWW_AUTHENTICATE, challenge);
        }
        answer
    }
}

async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, &'static str> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| "the body could not be read in time")? {
        if body.len() + chunk.len() > MAX_UPSTREAM_BODY {
            return Err("the body is over 4 MiB");
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn upstream_unavailable(message: &str) -> Response {
    let body = ErrorBody { error: "upstream_unavailable".into(), message: message.into() };
    (StatusCode::BAD_GATEWAY, axum::Json(body)).into_response()
}

/// 503 + `Retry-After`: no token for the upstream can be had now.
fn token_unavailable(error: Option<&OutboundError>) -> Response {
    let retry_after = match error {
        Some(OutboundError::Token(TokenError::Unavailable { retry_after })) => retry_after.as_secs().max(1),
        other => {
            // A refusal by the provider is a configuration problem: logged, retried later.
            tracing::error!(error = ?other, "no upstream token: check GATEWAY_CLIENT_ID and GATEWAY_CLIENT_SECRET");
            30
        }
    };
    let body = ErrorBody {
        error: "token_unavailable".into(),
        message: "no token for the upstream service can be obtained now".into(),
    };
    let mut answer = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    answer.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    answer
}
