//! Outbound tokens through the tower layer and the reqwest middleware: tokens from the dev
//! issuer's token endpoint, checked by a downstream API behind tower-auth's own AuthLayer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_core::client::{ClientCredentials, OutboundTokens, SubjectToken, Target, TokenClient};
use auth_core::dev_issuer::DevIssuer;
use auth_core::{Algorithm, IssuerConfig, Validator};
use axum::Router;
use axum::body::Body;
use axum::response::IntoResponse;
use axum::routing::get;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::{Layer, ServiceExt};
use tower_auth::outbound::OutboundAuthLayer;
use tower_auth::{AuthLayer, Verified};

const API: &str = "https://pets.example.com";

async fn whoami(Verified(c): Verified) -> String {
    let act = c.get("act").and_then(|a| a.get("sub")).and_then(|s| s.as_str()).unwrap_or("-").to_owned();
    format!("{} via {act}", c.registered().sub().unwrap_or("?"))
}

/// The downstream API: tokens of the dev issuer for [`API`]; `/flaky` refuses the first token it sees.
fn downstream(idp: &DevIssuer, refusals: Arc<AtomicUsize>) -> Router {
    let validator =
        Validator::builder().issuer(IssuerConfig::discover(idp.issuer())).audience(API).build().unwrap();
    let flaky = move |Verified(c): Verified| {
        let refusals = Arc::clone(&refusals);
        async move {
            if refusals.fetch_add(1, Ordering::SeqCst) == 0 {
                let challenge = r#"Bearer error="invalid_token", error_description="revoked""#;
                return (StatusCode::UNAUTHORIZED, [("www-authenticate", challenge)], String::new())
                    .into_response();
            }
            c.registered().jti().unwrap_or_default().to_owned().into_response()
        }
    };
    Router::new()
        .route("/whoami", get(whoami))
        .route("/flaky", get(flaky.clone()).post(flaky))
        .layer(AuthLayer::new(validator))
}

fn client(idp: &DevIssuer) -> TokenClient {
    let (id, secret) = idp.service_client();
    TokenClient::builder(id)
        .credentials(ClientCredentials::SecretBasic { secret: secret.into() })
        .issuer(idp.issuer())
        .build()
        .unwrap()
}

async fn text(res: http::Response<Body>) -> String {
    String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

#[tokio::test]
async fn every_call_carries_the_service_token() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let tokens = OutboundTokens::client_credentials(client(&idp), Target::resource(API).scope("pets:read"));
    let service = OutboundAuthLayer::new(tokens).layer(downstream(&idp, Arc::default()));
    for _ in 0..3 {
        let res =
            service.clone().oneshot(Request::get("/whoami").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(text(res).await, "dev-service via -");
    }
}

#[tokio::test]
async fn a_401_invalid_token_is_retried_once_with_a_new_token() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let c = client(&idp);
    let tokens = OutboundTokens::client_credentials(c.clone(), Target::resource(API));
    let refusals = Arc::new(AtomicUsize::new(0));
    let service = OutboundAuthLayer::new(tokens).layer(downstream(&idp, Arc::clone(&refusals)));
    let res = service.clone().oneshot(Request::get("/flaky").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!((refusals.load(Ordering::SeqCst), c.requests()), (2, 2), "one retry with one new token");
    // A body that cannot be sent again is not retried: the 401 comes back, the next call is new.
    refusals.store(0, Ordering::SeqCst);
    let res =
        service.clone().oneshot(Request::post("/flaky").body(Body::from("pet")).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res =
        service.clone().oneshot(Request::post("/flaky").body(Body::from("pet")).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(c.requests(), 3);
}

#[tokio::test]
async fn token_exchange_speaks_for_the_caller() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let tokens = OutboundTokens::token_exchange(client(&idp), Target::resource(API));
    let service = OutboundAuthLayer::new(tokens).layer(downstream(&idp, Arc::default()));
    let caller = idp.token().subject("alice").sign();
    let mut req = Request::get("/whoami").body(Body::empty()).unwrap();
    req.extensions_mut().insert(SubjectToken(caller.into()));
    let res = service.clone().oneshot(req).await.unwrap();
    assert_eq!(text(res).await, "alice via dev-service");
    // Without a subject token the call is not sent.
    let err = service.oneshot(Request::get("/whoami").body(Body::empty()).unwrap()).await.unwrap_err();
    assert!(err.to_string().contains("SubjectToken"), "{err}");
}

#[cfg(feature = "reqwest")]
#[tokio::test]
async fn the_reqwest_middleware_does_the_same() {
    use tower_auth::outbound::OutboundAuthMiddleware;
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let c = client(&idp);
    let refusals = Arc::new(AtomicUsize::new(0));
    let app = downstream(&idp, Arc::clone(&refusals));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(OutboundAuthMiddleware::new(OutboundTokens::client_credentials(
            c.clone(),
            Target::resource(API),
        )))
        .build();
    let res = http.get(format!("{base}/whoami")).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), "dev-service via -");
    // A clonable body is sent again after the 401.
    let res = http.post(format!("{base}/flaky")).body("pet").send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    assert_eq!((refusals.load(Ordering::SeqCst), c.requests()), (2, 2));
}

#[tokio::test]
async fn dpop_bound_tokens_travel_with_fresh_proofs_and_follow_the_servers_nonce() {
    use auth_core::checks::dpop::DpopNonces;
    use auth_core::client::DpopSigner;
    use auth_core::dev_issuer::DpopKey;
    use auth_core::{Authenticator, DpopOptions};
    use base64::Engine;
    use tower_auth::Binding;

    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let key = DpopKey::generate(Algorithm::ES256).unwrap();
    let der = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(key.to_base64url()).unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(der)
    );
    let signer = DpopSigner::from_pem(Algorithm::ES256, pem.as_bytes()).unwrap();
    assert_eq!(signer.thumbprint(), key.thumbprint());
    let (id, secret) = idp.service_client();
    let c = TokenClient::builder(id)
        .credentials(ClientCredentials::SecretPost { secret: secret.into() })
        .issuer(idp.issuer())
        .dpop(signer)
        .build()
        .unwrap();
    let token = c.token(&Target::resource(API)).await.unwrap();
    assert!(token.is_dpop(), "the token request carried a proof, so the token is bound");

    // The downstream API requires DPoP with server nonces.
    let validator = Validator::builder()
        .issuer(IssuerConfig::discover(idp.issuer()))
        .audience(API)
        .dpop(DpopOptions::new(auth_core::DpopMode::Required).nonces(DpopNonces::random().unwrap()))
        .build()
        .unwrap();
    let authenticator = Authenticator::new(validator).public_base_url("http://pets.test").unwrap();
    let app = Router::new()
        .route(
            "/jkt",
            get(|Binding(b): Binding| async move {
                b.and_then(|b| b.dpop_jkt().map(str::to_owned)).unwrap_or_default()
            }),
        )
        .layer(AuthLayer::from_authenticator(authenticator));
    let tokens = OutboundTokens::client_credentials(c.clone(), Target::resource(API));
    let service = OutboundAuthLayer::new(tokens).origin("http://pets.test").layer(app);
    for _ in 0..2 {
        let res = service.clone().oneshot(Request::get("/jkt").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(text(res).await, key.thumbprint());
    }
    // The nonce retry kept the token: one token request in all.
    assert_eq!(c.requests(), 1);

    // A nonce handed out ahead on a 200 (RFC 9449 §8.2) is the one the next proof carries.
    let echo = Router::new().route(
        "/nonce",
        get(|headers: http::HeaderMap| async move {
            let proof = headers["dpop"].to_str().unwrap().to_owned();
            let payload = proof.split('.').nth(1).unwrap().to_owned();
            let claims: serde_json::Value = serde_json::from_slice(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap(),
            )
            .unwrap();
            ([("dpop-nonce", "ahead-1")], claims["nonce"].as_str().unwrap_or("none").to_owned())
        }),
    );
    let tokens = OutboundTokens::client_credentials(c.clone(), Target::resource(API));
    let service = OutboundAuthLayer::new(tokens).origin("http://echo.test").layer(echo);
    let mut seen = Vec::new();
    for _ in 0..2 {
        let res = service.clone().oneshot(Request::get("/nonce").body(Body::empty()).unwrap()).await.unwrap();
        seen.push(text(res).await);
    }
    assert_eq!(seen, ["none", "ahead-1"]);
}
