//! The DPoP client behind the `dpop-request` binary the banner prints: one request with
//! `Authorization: DPoP <token>` and a fresh proof, retried once with the server's nonce when the
//! server asks for one (RFC 9449 §8).

use auth_core::dev_issuer::DpopKey;

/// What [`send`] did: the final answer, and whether the server asked for a nonce first.
#[derive(Debug)]
pub struct DpopAnswer {
    /// The answer to the last request made.
    pub response: reqwest::Response,
    /// `true` when the first answer was `401 use_dpop_nonce` and the request was retried with
    /// the nonce it carried.
    pub retried_with_nonce: bool,
}

/// Sends `method url` with `token` and a proof signed by `key` (`htu` is `url` without query and
/// fragment; `ath` binds the proof to `token`), and a JSON `body` when given.
///
/// # Errors
/// The transport error of either request.
pub async fn send(
    client: &reqwest::Client,
    key: &DpopKey,
    token: &str,
    method: reqwest::Method,
    url: &str,
    body: Option<&str>,
) -> Result<DpopAnswer, reqwest::Error> {
    let htu = htu(url);
    let mut nonce: Option<String> = None;
    loop {
        let mut proof = key.proof(method.as_str(), htu).access_token(token);
        if let Some(n) = &nonce {
            proof = proof.nonce(n);
        }
        let mut req = client
            .request(method.clone(), url)
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", proof.sign());
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body.to_owned());
        }
        let response = req.send().await?;
        let retried_with_nonce = nonce.is_some();
        if !retried_with_nonce && let Some(asked) = asked_nonce(&response) {
            nonce = Some(asked);
            continue;
        }
        return Ok(DpopAnswer { response, retried_with_nonce });
    }
}

/// A proof's `htu` for a request to `url`: the URL without its query and fragment.
pub fn htu(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or_default()
}

/// The nonce of a `401 … error="use_dpop_nonce"` answer.
fn asked_nonce(response: &reqwest::Response) -> Option<String> {
    let asks = response.status() == reqwest::StatusCode::UNAUTHORIZED
        && response
            .headers()
            .get_all("www-authenticate")
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.contains(r#"error="use_dpop_nonce""#)));
    if !asks {
        return None;
    }
    response.headers().get("dpop-nonce")?.to_str().ok().map(str::to_owned)
}
