//! Step-up (RFC 9470) on actix-web over real sockets: the middleware, `check_step_up` and the
//! attribute, every branch of `acr` and `auth_time`, scopes checked first.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_auth::{
    AuthLayer, RequireScopesLayer, RequireStepUpLayer, check_step_up, requires_scopes, requires_step_up,
};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use auth_core::dev_issuer::DevIssuer;
use auth_core::{AcrLevels, Algorithm, IssuerConfig, StepUp, Validator};
use reqwest::StatusCode;

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn pay() -> StepUp {
    StepUp::acr(["mfa", "hwk"]).max_age(Duration::from_secs(300))
}

async fn paid() -> &'static str {
    "paid"
}

#[requires_scopes("pets:write")]
#[requires_step_up(acr = ["mfa", "hwk"], max_age = 300)]
async fn pay_macro() -> &'static str {
    "paid"
}

#[requires_step_up(acr = ["mfa", "hwk"], max_age = 300)]
#[requires_scopes("pets:write")]
async fn pay_macro_reversed() -> &'static str {
    "paid"
}

#[requires_step_up(acr_levels = ["pwd", "mfa", "phr"], acr_at_least = "mfa")]
async fn levels_macro() -> &'static str {
    "paid"
}

async fn pay_in_code(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    actix_auth::check_scopes(&req, &auth_core::ScopeRequirement::all(["pets:write"]))?;
    check_step_up(&req, &pay())?;
    Ok(HttpResponse::Ok().body("paid"))
}

async fn start() -> (DevIssuer, String, actix_web::dev::ServerHandle) {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let validator = Validator::builder()
        .issuer(IssuerConfig::jwks_url(idp.issuer(), idp.jwks_uri()))
        .audience("petstore")
        .realm("test")
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        let levels = AcrLevels::new(["pwd", "mfa", "phr"]).unwrap().at_least("mfa").unwrap();
        App::new().service(
            web::scope("")
                .route(
                    "/layer",
                    web::post()
                        .to(paid)
                        .wrap(RequireStepUpLayer::new(pay()))
                        .wrap(RequireScopesLayer::all(["pets:write"])),
                )
                .route("/layer-levels", web::post().to(paid).wrap(RequireStepUpLayer::new(levels)))
                .route("/code", web::post().to(pay_in_code))
                .route("/macro", web::post().to(pay_macro))
                .route("/macro-reversed", web::post().to(pay_macro_reversed))
                .route("/macro-levels", web::post().to(levels_macro))
                .wrap(AuthLayer::new(validator.clone())),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (idp, format!("http://{addr}"), handle)
}

async fn call(url: &str, token: &str) -> (StatusCode, String, String) {
    let res = reqwest::Client::new().post(url).bearer_auth(token).send().await.unwrap();
    let status = res.status();
    let challenge =
        res.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, challenge, res.text().await.unwrap())
}

/// (`acr_values`, `max_age`) of an `insufficient_user_authentication` challenge.
fn params(challenge: &str) -> Option<(Option<String>, Option<String>)> {
    if !challenge.contains(r#"error="insufficient_user_authentication""#) {
        return None;
    }
    let param = |name: &str| {
        let start = challenge.find(&format!("{name}=\""))? + name.len() + 2;
        let end = challenge[start..].find('"')? + start;
        Some(challenge[start..end].to_owned())
    };
    Some((param("acr_values"), param("max_age")))
}

#[actix_web::test]
async fn every_branch_through_the_middleware_the_check_and_the_attribute() {
    let (idp, base, handle) = start().await;
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
    for path in ["/layer", "/code", "/macro", "/macro-reversed"] {
        let url = format!("{base}{path}");
        for (what, token, expected) in &cases {
            let (status, challenge, body) = call(&url, token).await;
            match expected {
                None => assert_eq!((status, body.as_str()), (StatusCode::OK, "paid"), "{path}: {what}"),
                Some(p) => {
                    assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {what}");
                    assert_eq!(params(&challenge).as_ref(), Some(p), "{path}: {what}");
                    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
                    assert_eq!(body["error"], "insufficient_user_authentication");
                }
            }
        }
        for token in [idp.token().acr("mfa").auth_time(now()).sign(), idp.token().sign()] {
            let (status, challenge, _) = call(&url, &token).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
            assert!(challenge.contains("insufficient_scope"), "{challenge}");
        }
        let expired = write().acr("mfa").auth_time(now() - 7200).issued_at(now() - 7200).sign();
        let (status, challenge, _) = call(&url, &expired).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(challenge.contains(r#"error="invalid_token""#), "{challenge}");
    }
    for path in ["/layer-levels", "/macro-levels"] {
        let url = format!("{base}{path}");
        let (status, challenge, _) = call(&url, &idp.token().acr("pwd").sign()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(params(&challenge), Some((Some("mfa phr".into()), None)), "{path}");
        assert_eq!(call(&url, &idp.token().acr("mfa").sign()).await.0, StatusCode::OK);
        assert_eq!(call(&url, &idp.token().acr("phr").sign()).await.0, StatusCode::OK);
    }
    handle.stop(true).await;
}
