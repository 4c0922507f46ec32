//! Step-up (RFC 9470) on axum over real sockets: the layer and the attribute, every branch of
//! `acr` and `auth_time`, scopes checked first, and the gRPC shape of the refusal.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::dev_issuer::DevIssuer;
use auth_core::{AcrLevels, Algorithm, IssuerConfig, StepUp, Validator};
use axum::Router;
use axum::routing::post;
use reqwest::StatusCode;
use tower_auth::{AuthLayer, RequireScopesLayer, RequireStepUpLayer, requires_scopes, requires_step_up};

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

async fn paid() -> &'static str {
    "paid"
}

#[requires_scopes("pets:write")]
#[requires_step_up(acr = ["mfa", "hwk"], max_age = 300)]
async fn pay_scopes_first() -> &'static str {
    "paid"
}

#[requires_step_up(acr = ["mfa", "hwk"], max_age = 300)]
#[requires_scopes("pets:write")]
async fn pay_step_up_written_first() -> &'static str {
    "paid"
}

#[requires_step_up(acr_levels = ["pwd", "mfa", "phr"], acr_at_least = "mfa")]
async fn levels() -> &'static str {
    "ok"
}

async fn start() -> (DevIssuer, String) {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let validator = Validator::builder()
        .issuer(IssuerConfig::discover(idp.issuer()))
        .audience("petstore")
        .realm("petstore")
        // No leeway: the boundaries below are exact.
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    let pay = StepUp::acr(["mfa", "hwk"]).max_age(Duration::from_secs(300));
    let app = Router::new()
        .route(
            "/layer",
            post(paid)
                .route_layer(RequireStepUpLayer::new(pay))
                .route_layer(RequireScopesLayer::all(["pets:write"])),
        )
        .route(
            "/layer-levels",
            post(paid).route_layer(RequireStepUpLayer::new(
                AcrLevels::new(["pwd", "mfa", "phr"]).unwrap().at_least("mfa").unwrap(),
            )),
        )
        .route("/macro", post(pay_scopes_first))
        .route("/macro-reversed", post(pay_step_up_written_first))
        .route("/macro-levels", post(levels))
        .route_layer(AuthLayer::new(validator));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (idp, format!("http://{addr}"))
}

async fn call(url: &str, token: &str, grpc: bool) -> reqwest::Response {
    let mut req = reqwest::Client::new().post(url).bearer_auth(token);
    if grpc {
        req = req.header("content-type", "application/grpc");
    }
    req.send().await.unwrap()
}

/// The `insufficient_user_authentication` challenge's (`acr_values`, `max_age`), or `None`.
fn step_up_params(res: &reqwest::Response) -> Option<(Option<String>, Option<String>)> {
    let header = res.headers().get("www-authenticate")?.to_str().unwrap();
    if !header.contains(r#"error="insufficient_user_authentication""#) {
        return None;
    }
    let param = |name: &str| {
        let start = header.find(&format!("{name}=\""))? + name.len() + 2;
        let end = header[start..].find('"')? + start;
        Some(header[start..end].to_owned())
    };
    Some((param("acr_values"), param("max_age")))
}

#[tokio::test]
async fn every_branch_through_the_layer_and_the_attribute() {
    let (idp, base) = start().await;
    let write = || idp.token().scope("pets:write");
    let (acr, age) = (Some("mfa hwk".to_owned()), Some("300".to_owned()));
    let cases = [
        ("accepted and fresh", write().acr("mfa").auth_time(now() - 5).sign(), None),
        ("the other accepted value", write().acr("hwk").auth_time(now()).sign(), None),
        ("acr missing", write().auth_time(now()).sign(), Some((acr.clone(), None))),
        ("acr not accepted", write().acr("pwd").auth_time(now()).sign(), Some((acr.clone(), None))),
        ("auth_time too old", write().acr("mfa").auth_time(now() - 400).sign(), Some((None, age.clone()))),
        ("auth_time missing", write().acr("mfa").sign(), Some((None, age.clone()))),
        ("both", write().acr("pwd").auth_time(now() - 400).sign(), Some((acr.clone(), age.clone()))),
    ];
    for path in ["/layer", "/macro", "/macro-reversed"] {
        for (what, token, expected) in &cases {
            let res = call(&format!("{base}{path}"), token, false).await;
            match expected {
                None => {
                    assert_eq!(res.status(), StatusCode::OK, "{path}: {what}");
                    assert_eq!(res.text().await.unwrap(), "paid");
                }
                Some(params) => {
                    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}: {what}");
                    assert_eq!(step_up_params(&res).as_ref(), Some(params), "{path}: {what}");
                    let body: serde_json::Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
                    assert_eq!(body["error"], "insufficient_user_authentication");
                }
            }
        }
        // Scopes first: a token lacking pets:write is 403 whatever its acr.
        for token in [idp.token().acr("mfa").auth_time(now()).sign(), idp.token().sign()] {
            let res = call(&format!("{base}{path}"), &token, false).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
            assert!(res.headers()["www-authenticate"].to_str().unwrap().contains("insufficient_scope"));
        }
        // An expired token is still invalid_token.
        let expired = write().acr("mfa").auth_time(now() - 7200).issued_at(now() - 7200).sign();
        let res = call(&format!("{base}{path}"), &expired, false).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers()["www-authenticate"].to_str().unwrap().contains(r#"error="invalid_token""#));
    }
}

#[tokio::test]
async fn ordered_levels_weaker_refused_stronger_admitted() {
    let (idp, base) = start().await;
    for path in ["/layer-levels", "/macro-levels"] {
        let url = format!("{base}{path}");
        let weak = call(&url, &idp.token().acr("pwd").sign(), false).await;
        assert_eq!(weak.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(step_up_params(&weak), Some((Some("mfa phr".into()), None)), "{path}");
        assert_eq!(call(&url, &idp.token().acr("mfa").sign(), false).await.status(), StatusCode::OK);
        assert_eq!(call(&url, &idp.token().acr("phr").sign(), false).await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn grpc_requests_get_unauthenticated_with_the_challenge() {
    let (idp, base) = start().await;
    let token = idp.token().scope("pets:write").acr("pwd").sign();
    for path in ["/layer", "/macro"] {
        let res = call(&format!("{base}{path}"), &token, true).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["grpc-status"], "16", "{path}");
        assert_eq!(step_up_params(&res), Some((Some("mfa hwk".into()), Some("300".into()))), "{path}");
    }
}
