//! The DPoP client behind the `dpop-request` binary the banner prints: one request with
//! `Authorization: DPoP <token>` and a fresh proof, retried once with the server's nonce when the
//! server asks for one (RFC 9449 §8). [`proof`] and [`asks_for_nonce`] serve the gRPC client
//! (`petstore-grpc`) too.

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
        let mut req = client
            .request(method.clone(), url)
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", proof(key, method.as_str(), htu, token, nonce.as_deref()));
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

/// A fresh proof for `method htu`, bound to `token` (`ath`), with the server's `nonce` when it
/// gave one: what each request (HTTP or gRPC) carries in its `DPoP` header or `dpop` metadata.
pub fn proof(key: &DpopKey, method: &str, htu: &str, token: &str, nonce: Option<&str>) -> String {
    let mut proof = key.proof(method, htu).access_token(token);
    if let Some(n) = nonce {
        proof = proof.nonce(n);
    }
    proof.sign()
}

/// Whether the `WWW-Authenticate` challenges of a refusal (HTTP 401, gRPC `UNAUTHENTICATED`)
/// ask for a server nonce (`error="use_dpop_nonce"`, RFC 9449 §8).
pub fn asks_for_nonce<'a>(challenges: impl IntoIterator<Item = &'a [u8]>) -> bool {
    challenges
        .into_iter()
        .any(|v| std::str::from_utf8(v).is_ok_and(|v| v.contains(r#"error="use_dpop_nonce""#)))
}

/// The nonce of a `401 … error="use_dpop_nonce"` answer.
fn asked_nonce(response: &reqwest::Response) -> Option<String> {
    let asks = response.status() == reqwest::StatusCode::UNAUTHORIZED
        && asks_for_nonce(response.headers().get_all("www-authenticate").iter().map(|v| v.as_bytes()));
    if !asks {
        return None;
    }
    response.headers().get("dpop-nonce")?.to_str().ok().map(str::to_owned)
}
