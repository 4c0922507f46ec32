//! End to end over real parts: an axum router with the layers, served on a loopback port, called
//! with reqwest, validating tokens minted by auth-core's loopback dev issuer.

use auth_core::dev_issuer::{DevIssuer, SigningKey};
use auth_core::{Algorithm, CredentialSources, IssuerConfig, Validator};
use axum::Router;
use axum::routing::get;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use tower_auth::{AuthLayer, Claims, DEFAULT_FORM_BODY_LIMIT, RequireScopesLayer, Verified};

#[derive(Deserialize)]
struct MyClaims {
    sub: String,
    client_id: String,
}

/// A type the dev issuer's tokens do not fit: `tenant` is not in them.
#[derive(Deserialize)]
struct TenantClaims {
    #[allow(dead_code)]
    tenant: String,
}

async fn me(Claims(c): Claims<MyClaims>) -> String {
    format!("{} via {}", c.sub, c.client_id)
}

async fn maybe_me(c: Option<Claims<MyClaims>>) -> String {
    c.map_or_else(|| "anonymous".to_owned(), |Claims(c)| c.sub)
}

async fn scopes(Verified(c): Verified) -> String {
    c.scopes().iter().collect::<Vec<_>>().join(",")
}

async fn written() -> &'static str {
    "written"
}

async fn tenant(Claims(_): Claims<TenantClaims>) -> &'static str {
    "tenant"
}

/// Echoes the caller and the form body it received, byte for byte.
async fn form_echo(Claims(c): Claims<MyClaims>, body: String) -> String {
    format!("{}: {body}", c.sub)
}

async fn idp_and_validator() -> (DevIssuer, Validator) {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let validator = Validator::builder()
        .issuer(IssuerConfig::discover(idp.issuer()))
        .audience("petstore")
        .realm("petstore")
        .build()
        .unwrap();
    (idp, validator)
}

fn routes() -> Router {
    Router::new()
        .route("/me", get(me).post(me))
        .route("/maybe", get(maybe_me))
        .route("/scopes", get(scopes))
        .route("/tenant", get(tenant))
        .route("/form", axum::routing::post(form_echo))
        .route("/write", get(written).post(written).route_layer(RequireScopesLayer::all(["pets:write"])))
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn get_with(url: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

fn www_authenticate(res: &reqwest::Response) -> &str {
    res.headers()["www-authenticate"].to_str().unwrap()
}

async fn json_body(res: reqwest::Response) -> Value {
    serde_json::from_str(&res.text().await.unwrap()).unwrap()
}

#[tokio::test]
async fn valid_token_reaches_the_handler_with_its_claims() {
    let (idp, validator) = idp_and_validator().await;
    let base = serve(routes().route_layer(AuthLayer::new(validator.clone()))).await;
    let token = idp.token().subject("alice").scope("pets:read pets:write").sign();

    let res = get_with(&format!("{base}/me"), Some(&token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "alice via dev-client");
    // The same token again: answered from the verified-token cache, claims and scopes included.
    let res = get_with(&format!("{base}/scopes"), Some(&token)).await;
    assert_eq!(res.text().await.unwrap(), "pets:read,pets:write");
    let res = get_with(&format!("{base}/write"), Some(&token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = get_with(&format!("{base}/me"), Some(&token)).await;
    assert_eq!(res.text().await.unwrap(), "alice via dev-client");
    let stats = validator.stats();
    assert_eq!((stats.token_cache_misses, stats.token_cache_hits, stats.accepted), (1, 3, 4));
}

#[tokio::test]
async fn missing_bad_and_malformed_credentials_are_rejected() {
    let (idp, validator) = idp_and_validator().await;
    let base = serve(routes().route_layer(AuthLayer::new(validator))).await;
    let me = format!("{base}/me");

    let res = get_with(&me, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www_authenticate(&res), r#"Bearer realm="petstore""#);
    assert_eq!(res.headers()["content-type"], "application/json");

    // Signed by a key the issuer never published.
    let stranger = SigningKey::generate(Algorithm::ES256).unwrap();
    let forged = stranger
        .mint(&json!({"iss": idp.issuer(), "aud": "petstore", "sub": "eve", "exp": 4_000_000_000u64}));
    for bad in [forged.as_str(), "not.a.jwt"] {
        let res = get_with(&me, Some(bad)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(www_authenticate(&res).contains(r#"error="invalid_token""#));
        let body = json_body(res).await;
        assert_eq!(body["error"], "invalid_token");
        assert!(!body.to_string().contains(bad), "the token is never echoed");
    }

    let res = reqwest::Client::new().get(&me).header("authorization", "Bearer a b").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(www_authenticate(&res).contains(r#"error="invalid_request""#));

    let token = idp.token().sign();
    let res = get_with(&format!("{me}?access_token={token}"), Some(&token)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json_body(res).await["error"], "invalid_request");
}

#[tokio::test]
async fn unknown_routes_stay_404_with_route_layer() {
    let (_idp, validator) = idp_and_validator().await;
    let base = serve(routes().route_layer(AuthLayer::new(validator))).await;
    assert_eq!(get_with(&format!("{base}/nowhere"), None).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn optional_mode_lets_anonymous_in_but_not_bad_tokens() {
    let (idp, validator) = idp_and_validator().await;
    let base = serve(routes().route_layer(AuthLayer::new(validator).optional())).await;

    let res = get_with(&format!("{base}/maybe"), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "anonymous");
    let token = idp.token().subject("bob").sign();
    assert_eq!(get_with(&format!("{base}/maybe"), Some(&token)).await.text().await.unwrap(), "bob");

    let res = get_with(&format!("{base}/maybe"), Some("not.a.jwt")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A handler requiring claims answers anonymous callers 401, as does a scope layer.
    let res = get_with(&format!("{base}/me"), None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www_authenticate(&res), r#"Bearer realm="petstore""#);
    assert_eq!(get_with(&format!("{base}/write"), None).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn insufficient_scope_is_403_naming_the_scope() {
    let (idp, validator) = idp_and_validator().await;
    let base = serve(routes().route_layer(AuthLayer::new(validator))).await;
    let token = idp.token().scope("pets:read").sign();

    let res = get_with(&format!("{base}/write"), Some(&token)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let challenge = www_authenticate(&res);
    assert!(challenge.contains(r#"error="insufficient_scope""#), "{challenge}");
    assert!(challenge.contains(r#"scope="pets:write""#), "{challenge}");
    assert_eq!(json_body(res).await["error"], "insufficient_scope");
}

#[tokio::test]
async fn grpc_calls_get_grpc_status() {
    let (idp, validator) = idp_and_validator().await;
    let base = serve(routes().route_layer(AuthLayer::new(validator))).await;
    let grpc = |path: &str, token: Option<&str>| {
        let mut req = reqwest::Client::new()
            .post(format!("{base}{path}"))
            .header("content-type", "application/grpc+proto");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let res = grpc("/me", None).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/grpc");
    assert_eq!(res.headers()["grpc-status"], "16");
    assert!(res.headers().contains_key("grpc-message"));
    assert!(www_authenticate(&res).starts_with("Bearer"));
    assert_eq!(res.text().await.unwrap(), "");

    let token = idp.token().scope("pets:read").sign();
    let res = grpc("/write", Some(&token)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["grpc-status"], "7");
}

#[tokio::test]
async fn unreachable_jwks_is_503_with_retry_after() {
    // A port nothing listens on: bind, note it, close it.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let issuer = format!("http://{closed}");
    let validator = Validator::builder()
        .issuer(IssuerConfig::jwks_url(&issuer, format!("{issuer}/jwks")))
        .audience("petstore")
        .build()
        .unwrap();
    let base = serve(routes().route_layer(AuthLayer::new(validator))).await;
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let token = key.mint(&json!({"iss": issuer, "aud": "petstore", "sub": "x", "exp": 4_000_000_000u64}));

    let res = get_with(&format!("{base}/me"), Some(&token)).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1);
}

#[tokio::test]
async fn claims_that_do_not_fit_the_type_are_401() {
    let (idp, validator) = idp_and_validator().await;
    let base = serve(routes().route_layer(AuthLayer::new(validator))).await;
    let res = get_with(&format!("{base}/tenant"), Some(&idp.token().sign())).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(www_authenticate(&res).contains(r#"error="invalid_token""#));
}

#[tokio::test]
async fn missing_auth_layer_is_500_not_a_pass() {
    let base = serve(routes()).await;
    for path in ["/me", "/maybe", "/scopes", "/write"] {
        let res = get_with(&format!("{base}{path}"), None).await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR, "{path}");
    }
}

#[tokio::test]
async fn custom_renderer_and_cookie_source() {
    let (idp, validator) = idp_and_validator().await;
    let layer = AuthLayer::new(validator)
        .credential_sources(CredentialSources::default().with_cookie("at"))
        .render_errors_with(|error, challenge| {
            let body = json!({"type": "about:blank", "title": error.reason(), "status": challenge.status()});
            let mut res = tower_auth::challenge_response(challenge);
            res.headers_mut().insert("content-type", "application/problem+json".parse().unwrap());
            *res.body_mut() = body.to_string();
            res
        });
    let base = serve(routes().route_layer(layer)).await;

    let res = get_with(&format!("{base}/me"), None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(www_authenticate(&res), r#"Bearer realm="petstore""#);
    assert_eq!(json_body(res).await["title"], "missing_token");

    let token = idp.token().subject("carol").sign();
    let res = reqwest::Client::new()
        .get(format!("{base}/maybe"))
        .header("cookie", format!("theme=dark; at={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), "carol");
}

#[tokio::test]
async fn custom_token_extractor_replaces_the_built_in_sources() {
    let (idp, validator) = idp_and_validator().await;
    let layer = AuthLayer::new(validator).extract_token_with(|headers, _uri| {
        match headers.get("x-access-token").map(|v| v.to_str()) {
            None => Ok(None),
            Some(Ok(t)) => Ok(Some(t.to_owned())),
            Some(Err(_)) => Err(auth_core::RequestProblem::MalformedAuthorization.into()),
        }
    });
    let base = serve(routes().route_layer(layer)).await;
    let token = idp.token().subject("dave").sign();
    let with = |name: &'static str, value: String| {
        reqwest::Client::new().get(format!("{base}/me")).header(name, value).send()
    };

    let res = with("x-access-token", token.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "dave via dev-client");
    // The Authorization header is no longer a source: no credentials.
    let res = with("authorization", format!("Bearer {token}")).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www_authenticate(&res), r#"Bearer realm="petstore""#);
    // The extractor's own error is answered as such: a non-text header value is 400.
    let res = reqwest::Client::new()
        .get(format!("{base}/me"))
        .header("x-access-token", reqwest::header::HeaderValue::from_bytes(b"caf\xe9").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(www_authenticate(&res).contains(r#"error="invalid_request""#));
}

/// The layers over a plain Tower service with another body type (as tonic's would be).
#[tokio::test]
async fn plain_tower_service_with_its_own_body_type() {
    use http_body_util::{BodyExt, Full};
    use tower::{Layer, ServiceExt, service_fn};

    let (idp, validator) = idp_and_validator().await;
    let inner = service_fn(|req: http::Request<Full<bytes::Bytes>>| async move {
        let sub =
            req.extensions().get::<auth_core::Claims>().and_then(|c| c.registered().sub().map(str::to_owned));
        Ok::<_, std::convert::Infallible>(http::Response::new(Full::from(sub.unwrap_or_default())))
    });
    let svc = AuthLayer::new(validator).layer(RequireScopesLayer::any(["a", "b"]).layer(inner));
    let request = |token: Option<String>| {
        let mut b = http::Request::builder().uri("/svc.Pets/List").header("content-type", "application/grpc");
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        b.body(Full::default()).unwrap()
    };

    let res = svc.clone().oneshot(request(Some(idp.token().subject("dan").scope("b").sign()))).await.unwrap();
    assert_eq!(res.into_body().collect().await.unwrap().to_bytes(), "dan");

    let res = svc.clone().oneshot(request(Some(idp.token().sign()))).await.unwrap();
    assert_eq!(res.headers()["grpc-status"], "7");
    assert!(res.into_body().collect().await.unwrap().to_bytes().is_empty());
}

const FORM: &str = "application/x-www-form-urlencoded";

async fn post_form(url: &str, content_type: &str, token: Option<&str>, body: String) -> reqwest::Response {
    let mut req = reqwest::Client::new().post(url).header("content-type", content_type).body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn form_token_sent_with_another_credential_is_invalid_request() {
    let (idp, validator) = idp_and_validator().await;
    // The form source is off: duplicates are refused all the same.
    let base =
        serve(routes().route_layer(AuthLayer::new(validator).inspect_form_body(DEFAULT_FORM_BODY_LIMIT)))
            .await;
    let url = format!("{base}/form");
    let token = idp.token().sign();

    let body = format!("name=rex&access_token={token}");
    for content_type in [FORM, "Application/X-WWW-Form-Urlencoded; charset=UTF-8"] {
        let res = post_form(&url, content_type, Some(&token), body.clone()).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{content_type}");
        assert!(www_authenticate(&res).contains(r#"error="invalid_request""#));
        let json = json_body(res).await;
        assert_eq!(json["error"], "invalid_request");
        assert!(!json.to_string().contains(&token), "the token is never echoed");
    }
    let res = post_form(&format!("{url}?access_token={token}"), FORM, None, body.clone()).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let twice = format!("access_token={token}&access_token={token}");
    let res = post_form(&url, FORM, None, twice).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json_body(res).await["error"], "invalid_request");
}

#[tokio::test]
async fn form_body_without_a_token_reaches_the_handler_intact() {
    let (idp, validator) = idp_and_validator().await;
    let base =
        serve(routes().route_layer(AuthLayer::new(validator).inspect_form_body(DEFAULT_FORM_BODY_LIMIT)))
            .await;
    let token = idp.token().subject("alice").sign();

    let body = format!("name=rex&note=a%20b%26c&tags={}", "x".repeat(20_000));
    let res = post_form(&format!("{base}/form"), FORM, Some(&token), body.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), format!("alice: {body}"));

    // Not a form: the body is not read by the layer, and still arrives whole.
    let json = r#"{"access_token":"ignored"}"#.to_owned();
    let res = post_form(&format!("{base}/form"), "application/json", Some(&token), json.clone()).await;
    assert_eq!(res.text().await.unwrap(), format!("alice: {json}"));
}

#[tokio::test]
async fn form_body_over_the_limit_is_invalid_request() {
    let (idp, validator) = idp_and_validator().await;
    let base = serve(routes().route_layer(AuthLayer::new(validator).inspect_form_body(1024))).await;
    let token = idp.token().sign();
    let res = post_form(&format!("{base}/form"), FORM, Some(&token), "a=".repeat(1024)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json_body(res).await["error"], "invalid_request");
}

#[tokio::test]
async fn form_only_token_counts_only_when_the_form_source_is_on() {
    let (idp, validator) = idp_and_validator().await;
    let token = idp.token().subject("erin").sign();
    let body = format!("access_token={token}&name=rex");

    let off = AuthLayer::new(validator.clone()).inspect_form_body(DEFAULT_FORM_BODY_LIMIT);
    let base = serve(routes().route_layer(off)).await;
    let res = post_form(&format!("{base}/form"), FORM, None, body.clone()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(www_authenticate(&res), r#"Bearer realm="petstore""#, "no error code");

    let on = AuthLayer::new(validator)
        .credential_sources(CredentialSources::default().with_form())
        .inspect_form_body(DEFAULT_FORM_BODY_LIMIT);
    let base = serve(routes().route_layer(on)).await;
    let res = post_form(&format!("{base}/form"), FORM, None, body.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), format!("erin: {body}"));
}

mod dpop {
    //! DPoP through the layer: the proof header reaches the check, the binding reaches the
    //! handler, nonces reach the response, and the scope layer challenges on the request's scheme.

    use auth_core::checks::dpop::DpopNonces;
    use auth_core::dev_issuer::DpopKey;
    use auth_core::{DpopOptions, IssuerConfig};
    use tower_auth::Binding;

    use super::*;

    async fn binding(Binding(binding): Binding) -> String {
        binding.as_ref().and_then(|b| b.dpop_jkt()).unwrap_or("bearer").to_owned()
    }

    async fn start(options: DpopOptions) -> (DevIssuer, String) {
        let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
        let validator = Validator::builder()
            .issuer(IssuerConfig::discover(idp.issuer()))
            .audience("petstore")
            .realm("petstore")
            .dpop(options)
            .build()
            .unwrap();
        let app = Router::new()
            .route("/binding", get(binding))
            .route("/write", get(written).route_layer(RequireScopesLayer::all(["pets:write"])))
            .layer(AuthLayer::new(validator));
        let base = serve(app).await;
        (idp, base)
    }

    async fn send(url: &str, token: &str, proof: Option<&str>) -> reqwest::Response {
        let mut req = reqwest::Client::new().get(url).header("authorization", format!("DPoP {token}"));
        if let Some(proof) = proof {
            req = req.header("dpop", proof);
        }
        req.send().await.unwrap()
    }

    fn challenges(res: &reqwest::Response) -> Vec<String> {
        res.headers().get_all("www-authenticate").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
    }

    #[tokio::test]
    async fn a_proven_request_reaches_the_handler_with_its_binding() {
        let (idp, base) = start(DpopOptions::default()).await;
        let key = DpopKey::generate(Algorithm::EdDSA).unwrap();
        let token = idp.token().scope("pets:read").bound_to(&key).sign();
        let url = format!("{base}/binding");
        let proof = key.proof("GET", &url).access_token(&token).sign();
        let res = send(&url, &token, Some(&proof)).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.text().await.unwrap(), key.thumbprint());
        // The same proof again: refused, with the DPoP challenge first.
        let res = send(&url, &token, Some(&proof)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let c = challenges(&res);
        assert!(c[0].starts_with("DPoP realm=\"petstore\", algs=\"ES256 ES384 RS256 PS256 EdDSA\", error=\"invalid_dpop_proof\""), "{c:?}");
        assert_eq!(c[1], r#"Bearer realm="petstore""#);
        // An unbound bearer token: no binding.
        let res = get_with(&url, Some(&idp.token().sign())).await;
        assert_eq!(res.text().await.unwrap(), "bearer");
        // The bound token as a bearer token: refused.
        let res = get_with(&url, Some(&token)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(challenges(&res)[0].contains(r#"error="invalid_token""#));
    }

    #[tokio::test]
    async fn a_lacking_scope_is_challenged_on_dpop() {
        let (idp, base) = start(DpopOptions::default()).await;
        let key = DpopKey::generate(Algorithm::ES256).unwrap();
        let token = idp.token().scope("pets:read").bound_to(&key).sign();
        let url = format!("{base}/write");
        let res = send(&url, &token, Some(&key.proof("GET", &url).access_token(&token).sign())).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let c = challenges(&res);
        assert!(c[0].starts_with("DPoP ") && c[0].contains(r#"error="insufficient_scope""#), "{c:?}");
        assert_eq!(c[1], r#"Bearer realm="petstore""#);
    }

    #[tokio::test]
    async fn the_nonce_comes_back_on_the_answer() {
        let (idp, base) = start(DpopOptions::default().nonces(DpopNonces::random().unwrap())).await;
        let key = DpopKey::generate(Algorithm::ES256).unwrap();
        let token = idp.token().bound_to(&key).sign();
        let url = format!("{base}/binding");
        let res = send(&url, &token, Some(&key.proof("GET", &url).access_token(&token).sign())).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(challenges(&res)[0].contains(r#"error="use_dpop_nonce""#));
        let nonce = res.headers()["dpop-nonce"].to_str().unwrap().to_owned();
        let proof = key.proof("GET", &url).access_token(&token).nonce(&nonce).sign();
        let res = send(&url, &token, Some(&proof)).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}
