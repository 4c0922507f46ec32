//! actix-auth over real sockets: an actix-web `HttpServer` on 127.0.0.1:0, a reqwest client, and
//! tokens from a loopback development issuer whose keys are fetched from inside actix workers.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use actix_auth::{
    AuthLayer, Claims, OptionalClaims, OptionalVerified, RequireScopesLayer, Verified, check_scopes,
};
use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use auth_core::dev_issuer::DevIssuer;
use auth_core::{
    Algorithm, CredentialSources, DEFAULT_FORM_BODY_LIMIT, IssuerConfig, ScopeRequirement, Validator,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[derive(serde::Deserialize)]
struct Caller {
    sub: String,
}

/// A claims type no dev token fits.
#[derive(Debug, serde::Deserialize)]
struct NeedsTenant {
    #[allow(dead_code)]
    tenant: String,
}

struct Server {
    base: String,
    handle: ServerHandle,
}

impl Server {
    async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// Serves `configure` on a real socket; unknown paths answer `404 no route`.
fn start(configure: impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static) -> Server {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        App::new()
            .configure(configure.clone())
            .default_service(web::to(|| async { HttpResponse::NotFound().body("no route") }))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Server { base: format!("http://{addr}"), handle }
}

async fn issuer_and_validator() -> (DevIssuer, Validator) {
    let issuer = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let validator = Validator::builder()
        .issuer(IssuerConfig::jwks_url(issuer.issuer(), issuer.jwks_uri()))
        .audience("petstore")
        .realm("test")
        .build()
        .unwrap();
    (issuer, validator)
}

struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    retry_after: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

async fn send(req: reqwest::RequestBuilder) -> Answer {
    let resp = req.send().await.unwrap();
    let header = |name: &str| resp.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let (challenge, retry_after) = (header("www-authenticate"), header("retry-after"));
    let status = resp.status();
    Answer { status, challenge, retry_after, body: resp.text().await.unwrap() }
}

async fn get(server: &Server, path: &str, auth: Option<&str>) -> Answer {
    let mut req = reqwest::Client::new().get(format!("{}{path}", server.base));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    send(req).await
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn whoami(Claims(caller): Claims<Caller>, Verified(claims): Verified) -> String {
    format!("{} {}", caller.sub, claims.scopes().iter().collect::<Vec<_>>().join(","))
}

#[actix_web::test]
async fn valid_tokens_reach_the_handler_with_typed_and_raw_claims() {
    let (issuer, validator) = issuer_and_validator().await;
    let v = validator.clone();
    let server = start(move |cfg| {
        cfg.service(web::resource("/me").route(web::get().to(whoami)).wrap(AuthLayer::new(v.clone())));
    });
    // Keys are fetched lazily, by a tokio task spawned from inside the actix worker.
    assert!(!validator.is_ready());
    let token = issuer.token().scope("pets:read pets:write").sign();
    let a = get(&server, "/me", Some(&bearer(&token))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body, "dev-user pets:read,pets:write");
    assert!(validator.is_ready());
    // The same token again: answered from the verified-token cache, claims included.
    let a = get(&server, "/me", Some(&bearer(&token))).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "dev-user pets:read,pets:write"));
    let stats = validator.stats();
    assert_eq!((stats.token_cache_misses, stats.token_cache_hits, stats.accepted), (1, 1, 2));
    // Per-resource wrap: other paths are untouched.
    let a = get(&server, "/elsewhere", None).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::NOT_FOUND, "no route"));
    server.stop().await;
}

#[actix_web::test]
async fn failures_are_rfc6750_answers_without_the_token() {
    let (issuer, validator) = issuer_and_validator().await;
    let v = validator.clone();
    let server = start(move |cfg| {
        cfg.service(web::resource("/me").route(web::get().to(whoami)).wrap(AuthLayer::new(v.clone())));
    });

    let a = get(&server, "/me", None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.challenge.as_deref(), Some(r#"Bearer realm="test""#));
    assert_eq!(a.json()["error"], "unauthorized");

    for header in ["Bearer", "Bearer a b", "Bearer a,b"] {
        let a = get(&server, "/me", Some(header)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{header:?}");
        assert!(a.challenge.clone().unwrap().contains(r#"error="invalid_request""#));
        assert_eq!(a.json()["error"], "invalid_request");
    }

    let token = issuer.token().sign();
    let a = get(&server, &format!("/me?access_token={token}"), Some(&bearer(&token))).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "header and query together");

    let expired = issuer.token().expires_in(std::time::Duration::ZERO).issued_at(0).sign();
    let wrong_audience = issuer.token().audience("another-api").sign();
    for token in [expired, wrong_audience, "abc.def.ghi".to_owned()] {
        let a = get(&server, "/me", Some(&bearer(&token))).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        let challenge = a.challenge.clone().unwrap();
        assert!(challenge.starts_with(r#"Bearer realm="test", error="invalid_token""#), "{challenge}");
        assert_eq!(a.json()["error"], "invalid_token");
        let payload = token.split('.').nth(1).unwrap();
        assert!(!a.body.contains(payload) && !challenge.contains(payload), "token echoed");
    }
    server.stop().await;
}

#[actix_web::test]
async fn scopes_all_of_and_any_of_on_routes_scopes_and_the_app() {
    let (issuer, validator) = issuer_and_validator().await;
    let v = validator.clone();
    let server = start(move |cfg| {
        cfg.service(
            web::scope("/admin")
                .wrap(RequireScopesLayer::all(["pets:write", "admin"]))
                .wrap(AuthLayer::new(v.clone()))
                .route("/stats", web::get().to(HttpResponse::Ok)),
        )
        .service(
            web::resource("/pets")
                .route(web::get().to(HttpResponse::Ok).wrap(RequireScopesLayer::any(["pets:read", "admin"])))
                .route(web::post().to(HttpResponse::Created).wrap(RequireScopesLayer::all(["pets:write"])))
                .wrap(AuthLayer::new(v.clone())),
        );
    });
    let token = |scope: &str| bearer(&issuer.token().scope(scope).sign());
    let post = |auth: String| {
        reqwest::Client::new().post(format!("{}/pets", server.base)).header("authorization", auth)
    };

    assert_eq!(get(&server, "/pets", Some(&token("admin"))).await.status, StatusCode::OK);
    assert_eq!(get(&server, "/pets", Some(&token("pets:read"))).await.status, StatusCode::OK);
    let a = get(&server, "/pets", Some(&token("pets:write"))).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let challenge = a.challenge.clone().unwrap();
    assert!(challenge.contains(r#"error="insufficient_scope""#), "{challenge}");
    assert!(challenge.ends_with(r#"scope="pets:read admin""#), "{challenge}");
    assert_eq!(a.json()["error"], "insufficient_scope");

    assert_eq!(send(post(token("pets:write"))).await.status, StatusCode::CREATED);
    assert_eq!(send(post(token("pets:read"))).await.status, StatusCode::FORBIDDEN);

    let a = get(&server, "/admin/stats", Some(&token("admin"))).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.challenge.clone().unwrap().ends_with(r#"scope="pets:write admin""#));
    assert_eq!(get(&server, "/admin/stats", Some(&token("admin pets:write"))).await.status, StatusCode::OK);
    assert_eq!(get(&server, "/admin/stats", None).await.status, StatusCode::UNAUTHORIZED);
    server.stop().await;

    // `App::wrap`: everything behind it needs a token.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app_wide = HttpServer::new(move || {
        App::new().wrap(AuthLayer::new(validator.clone())).route("/me", web::get().to(whoami))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = app_wide.handle();
    actix_web::rt::spawn(app_wide);
    let app_wide = Server { base, handle };
    assert_eq!(get(&app_wide, "/me", None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&app_wide, "/me", Some(&token(""))).await.status, StatusCode::OK);
    app_wide.stop().await;
}

async fn inventory(OptionalClaims(caller): OptionalClaims<Caller>, raw: OptionalVerified) -> String {
    match (caller, raw.0) {
        (Some(c), Some(_)) => format!("full {}", c.sub),
        (None, None) => "public".to_owned(),
        _ => "inconsistent".to_owned(),
    }
}

async fn tenant(OptionalClaims(t): OptionalClaims<NeedsTenant>) -> String {
    format!("{t:?}")
}

#[actix_web::test]
async fn optional_mode_serves_anonymous_callers_and_still_refuses_bad_tokens() {
    let (issuer, validator) = issuer_and_validator().await;
    let server = start(move |cfg| {
        cfg.service(
            web::scope("/store")
                .wrap(AuthLayer::new(validator.clone()).optional())
                .route("/inventory", web::get().to(inventory))
                .route("/tenant", web::get().to(tenant))
                .route("/me", web::get().to(whoami)),
        );
    });
    let token = bearer(&issuer.token().sign());
    assert_eq!(get(&server, "/store/inventory", None).await.body, "public");
    assert_eq!(get(&server, "/store/inventory", Some(&token)).await.body, "full dev-user");
    let a = get(&server, "/store/inventory", Some("Bearer abc.def.ghi")).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.challenge.clone().unwrap().contains("invalid_token"));
    // `Claims<T>` on an anonymous request: the bare challenge, not a 500.
    let a = get(&server, "/store/me", None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.challenge.as_deref(), Some(r#"Bearer realm="test""#));
    // Claims that do not fit the handler's type are a rejection, never `None`.
    let a = get(&server, "/store/tenant", Some(&token)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.json()["error"], "invalid_token");
    assert_eq!(get(&server, "/store/tenant", None).await.body, "None");
    server.stop().await;
}

async fn echo(body: web::Bytes) -> web::Bytes {
    body
}

#[actix_web::test]
async fn form_bodies_are_inspected_bounded_and_handed_on_unchanged() {
    let (issuer, validator) = issuer_and_validator().await;
    let v = validator.clone();
    let server = start(move |cfg| {
        let body_off = AuthLayer::new(v.clone()).inspect_form_body(1024);
        let body_on = AuthLayer::new(v.clone())
            .credential_sources(CredentialSources::default().with_form())
            .inspect_form_body(DEFAULT_FORM_BODY_LIMIT);
        cfg.service(web::resource("/off").route(web::post().to(echo)).wrap(body_off))
            .service(web::resource("/on").route(web::post().to(echo)).wrap(body_on))
            .service(web::resource("/blind").route(web::post().to(echo)).wrap(AuthLayer::new(v.clone())));
    });
    let token = issuer.token().sign();
    let post = |path: &str, content_type: &str, auth: Option<&str>, body: String| {
        let mut req = reqwest::Client::new()
            .post(format!("{}{path}", server.base))
            .header("content-type", content_type)
            .body(body);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        send(req)
    };
    let form = "application/x-www-form-urlencoded; charset=UTF-8";
    let with_field = format!("name=Rex&access_token={token}");

    for path in ["/off", "/on"] {
        let a = post(path, form, Some(&bearer(&token)), with_field.clone()).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{path}: header and form field together");
        assert!(a.challenge.clone().unwrap().contains(r#"error="invalid_request""#));
        // No field: the handler reads the very bytes that were sent.
        let a = post(path, form, Some(&bearer(&token)), "name=Rex&tag=dog".into()).await;
        assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "name=Rex&tag=dog"), "{path}");
    }
    // The field alone: the token only when the form source is on.
    assert_eq!(post("/off", form, None, with_field.clone()).await.status, StatusCode::UNAUTHORIZED);
    let a = post("/on", form, None, with_field.clone()).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, with_field.as_str()));
    // Over the limit: 400 invalid_request, not buffered without bound.
    let a = post("/off", form, Some(&bearer(&token)), "x=".repeat(600)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.json()["error"], "invalid_request");
    // Other content types are never read by the middleware, whatever their size.
    let big = format!(r#"{{"access_token":"{token}","pad":"{}"}}"#, "x".repeat(1000));
    let a = post("/off", "application/json", Some(&bearer(&token)), big.clone()).await;
    assert_eq!((a.status, a.body.len()), (StatusCode::OK, big.len()));
    // Without `inspect_form_body` a form body is not looked at.
    assert_eq!(post("/blind", form, Some(&bearer(&token)), with_field).await.status, StatusCode::OK);
    server.stop().await;
}

/// The problem+json body a custom renderer writes: status and challenge come from the middleware.
fn problem(error: &auth_core::AuthError, rejection: &auth_core::Rejection) -> HttpResponse {
    let body = json!({"type": "about:blank", "title": error.reason(), "status": rejection.status()});
    let mut res = match error.kind() {
        // A status the renderer sets itself is kept.
        auth_core::ErrorKind::InvalidRequest => HttpResponse::UnprocessableEntity(),
        _ => HttpResponse::Ok(),
    };
    res.content_type("application/problem+json").body(body.to_string())
}

#[actix_web::test]
async fn custom_renderer_answers_every_rejection_keeping_status_and_challenge() {
    let (issuer, validator) = issuer_and_validator().await;
    let server = start(move |cfg| {
        let auth = AuthLayer::new(validator.clone()).render_errors_with(problem);
        cfg.service(
            web::scope("/api")
                .wrap(auth)
                .route("/me", web::get().to(whoami))
                .route("/tenant", web::get().to(tenant))
                .route(
                    "/write",
                    web::get().to(HttpResponse::Ok).wrap(RequireScopesLayer::all(["pets:write"])),
                ),
        );
    });
    let title = |a: &Answer| a.json()["title"].as_str().map(str::to_owned);

    // The middleware's own rejection: status and challenge filled in from the default.
    let a = get(&server, "/api/me", None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.challenge.as_deref(), Some(r#"Bearer realm="test""#));
    assert_eq!((title(&a).as_deref(), a.json()["status"].as_u64()), (Some("missing_token"), Some(401)));
    // A status set by the renderer wins; the challenge header is still added.
    let a = get(&server, "/api/me", Some("Bearer a b")).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.challenge.clone().unwrap().contains(r#"error="invalid_request""#));
    assert_eq!(a.json()["status"], 400);
    // Rejections further in (scope middleware, extractors) use the same renderer.
    let token = bearer(&issuer.token().scope("pets:read").sign());
    let a = get(&server, "/api/write", Some(&token)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.challenge.clone().unwrap().ends_with(r#"scope="pets:write""#));
    assert_eq!(title(&a).as_deref(), Some("insufficient_scope"));
    let a = get(&server, "/api/tenant", Some(&token)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.challenge.clone().unwrap().contains(r#"error="invalid_token""#));
    assert_eq!((a.json()["type"].as_str(), a.json()["status"].as_u64()), (Some("about:blank"), Some(401)));
    // Accepted requests are untouched.
    let a = get(&server, "/api/me", Some(&token)).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "dev-user pets:read"));
    server.stop().await;
}

#[actix_web::test]
async fn custom_token_extractor_replaces_the_built_in_sources() {
    let (issuer, validator) = issuer_and_validator().await;
    let server = start(move |cfg| {
        let auth = AuthLayer::new(validator.clone())
            .inspect_form_body(DEFAULT_FORM_BODY_LIMIT)
            .extract_token_with(|req| match req.headers().get("x-access-token").map(|v| v.to_str()) {
                None => Ok(None),
                Some(Ok(t)) => Ok(Some(t.to_owned())),
                Some(Err(_)) => Err(auth_core::RequestProblem::MalformedAuthorization.into()),
            });
        cfg.service(web::resource("/me").route(web::get().to(whoami)).route(web::post().to(echo)).wrap(auth));
    });
    let token = issuer.token().scope("pets:read").sign();
    let with = |name: &'static str, value: reqwest::header::HeaderValue| {
        send(reqwest::Client::new().get(format!("{}/me", server.base)).header(name, value))
    };

    let a = with("x-access-token", token.parse().unwrap()).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "dev-user pets:read"));
    // The Authorization header is no longer a source: no credentials.
    let a = with("authorization", bearer(&token).parse().unwrap()).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.challenge.as_deref(), Some(r#"Bearer realm="test""#));
    // The extractor's own error is answered as such: a non-text header value is 400.
    let a = with("x-access-token", reqwest::header::HeaderValue::from_bytes(b"caf\xe9").unwrap()).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.challenge.clone().unwrap().contains(r#"error="invalid_request""#));
    // Nor is the form body read: a header and a form field together are no longer a conflict,
    // and the handler gets the body as sent.
    let form = format!("name=Rex&access_token={token}");
    let a = send(
        reqwest::Client::new()
            .post(format!("{}/me", server.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("authorization", bearer(&token))
            .header("x-access-token", token.as_str())
            .body(form.clone()),
    )
    .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, form.as_str()));
    server.stop().await;
}

async fn guarded(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    check_scopes(&req, &ScopeRequirement::all(["admin"]))?;
    Ok(HttpResponse::Ok().finish())
}

#[actix_web::test]
async fn a_missing_auth_middleware_is_a_500_never_an_open_route() {
    let (issuer, _) = issuer_and_validator().await;
    let server = start(|cfg| {
        cfg.route("/claims", web::get().to(whoami))
            .route("/optional", web::get().to(inventory))
            .route("/check", web::get().to(guarded))
            .service(
                web::resource("/scoped")
                    .route(web::get().to(HttpResponse::Ok))
                    .wrap(RequireScopesLayer::all(["admin"])),
            );
    });
    let token = bearer(&issuer.token().scope("admin").sign());
    for path in ["/claims", "/optional", "/check", "/scoped"] {
        for auth in [None, Some(token.as_str())] {
            let a = get(&server, path, auth).await;
            assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
            assert_eq!(a.json()["error"], "server_error", "{path}");
            assert_eq!(a.challenge, None);
        }
    }
    server.stop().await;
}

#[actix_web::test]
async fn unreachable_keys_are_503_with_retry_after() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let validator = Validator::builder()
        .issuer(IssuerConfig::jwks_url("http://127.0.0.1/issuer", format!("http://{closed}/jwks")))
        .audience("petstore")
        .realm("test")
        .build()
        .unwrap();
    let server = start(move |cfg| {
        cfg.service(
            web::resource("/me").route(web::get().to(whoami)).wrap(AuthLayer::new(validator.clone())),
        );
    });
    let issuer = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let token = issuer.token().claim("iss", json!("http://127.0.0.1/issuer")).sign();
    let a = get(&server, "/me", Some(&bearer(&token))).await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.body);
    let secs: u64 = a.retry_after.clone().expect("Retry-After").parse().unwrap();
    assert!((1..=30).contains(&secs));
    assert_eq!(a.challenge, None);
    assert_eq!(a.json()["error"], "temporarily_unavailable");
    server.stop().await;
}

mod dpop {
    //! DPoP through the middleware: the proof header reaches the check, the binding the handler.

    use actix_auth::Binding;
    use auth_core::dev_issuer::DpopKey;
    use auth_core::{DpopOptions, IssuerConfig};

    use super::*;

    async fn binding(Binding(binding): Binding) -> String {
        binding.as_ref().and_then(|b| b.dpop_jkt()).unwrap_or("bearer").to_owned()
    }

    #[actix_web::test]
    async fn a_proven_request_reaches_the_handler_with_its_binding() {
        let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
        let validator = Validator::builder()
            .issuer(IssuerConfig::discover(idp.issuer()))
            .audience("petstore")
            .realm("petstore")
            .dpop(DpopOptions::default())
            .build()
            .unwrap();
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new().service(
                actix_web::web::resource("/binding")
                    .route(actix_web::web::get().to(binding))
                    .wrap(actix_auth::AuthLayer::new(validator.clone())),
            )
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);

        let key = DpopKey::generate(Algorithm::ES256).unwrap();
        let token = idp.token().bound_to(&key).sign();
        let url = format!("http://{addr}/binding");
        let client = reqwest::Client::new();
        let send = |proof: String| {
            client.get(&url).header("authorization", format!("DPoP {token}")).header("dpop", proof).send()
        };
        let proof = key.proof("GET", &url).access_token(&token).sign();
        let res = send(proof.clone()).await.unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::OK);
        assert_eq!(res.text().await.unwrap(), key.thumbprint());
        let res = send(proof).await.unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::UNAUTHORIZED);
        let first =
            res.headers().get_all("www-authenticate").iter().next().unwrap().to_str().unwrap().to_owned();
        assert!(first.starts_with("DPoP ") && first.contains(r#"error="invalid_dpop_proof""#), "{first}");
        let wrong_uri = key.proof("GET", "http://elsewhere/binding").access_token(&token).sign();
        assert_eq!(send(wrong_uri).await.unwrap().status(), reqwest::StatusCode::UNAUTHORIZED);
        handle.stop(true).await;
    }
}
