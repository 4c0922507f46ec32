//! Opaque tokens by introspection (RFC 7662) through every Petstore: the dev issuer as the
//! provider (discovery, a real introspection endpoint that checks the client), the same answers
//! as for JWTs, revocation seen once the cache allows, and the provider's faults.

use auth_core::Algorithm;
use auth_core::dev_issuer::DevIssuer;
use petstore_e2e::{Implementation, Petstore, start};
use petstore_tonic::proto::pet_store_client::PetStoreClient;
use petstore_tonic::proto::{GetMeRequest, ListPetsRequest};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tonic::transport::Channel;

/// What a client sees of an answer.
#[derive(Debug, PartialEq)]
struct Seen {
    status: StatusCode,
    challenge: Option<String>,
    retry_after: bool,
    body: Value,
}

async fn call(store: &Petstore, method: Method, path: &str, token: &str) -> Seen {
    let mut req = reqwest::Client::new()
        .request(method.clone(), format!("{}{path}", store.base))
        .header("authorization", format!("Bearer {token}"));
    if method == Method::POST {
        req = req.json(&serde_json::json!({"name": "Kit"}));
    }
    let res = req.send().await.unwrap();
    let challenge = res.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
    let retry_after = res.headers().contains_key("retry-after");
    let status = res.status();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Seen { status, challenge, retry_after, body }
}

fn vars<'a>(idp: &'a DevIssuer, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let (id, secret) = idp.introspection_client();
    let mut vars = vec![
        ("AUTH_ISSUER", idp.issuer()),
        ("AUTH_INTROSPECTION_CLIENT_ID", id),
        ("AUTH_INTROSPECTION_CLIENT_SECRET", secret),
    ];
    vars.extend_from_slice(extra);
    vars
}

#[tokio::test]
async fn opaque_tokens_get_the_answers_jwts_get_on_every_route() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    for implementation in Implementation::ALL {
        // The endpoint comes from the issuer's discovery document.
        let store = start(implementation, &vars(&idp, &[])).await;
        for scopes in ["pets:read", "pets:read pets:write", "pets:read pets:write admin"] {
            let jwt = idp.token().scope(scopes).sign();
            let opaque = idp.token().scope(scopes).opaque();
            assert_eq!(opaque.matches('.').count(), 0, "not JWT-shaped");
            for (method, path) in [
                (Method::GET, "/pets"),
                (Method::GET, "/pets/2"),
                (Method::GET, "/me"),
                (Method::GET, "/store/inventory"),
                (Method::POST, "/pets"),
                (Method::DELETE, "/pets/999"),
            ] {
                let (a, mut b) = (
                    call(&store, method.clone(), path, &jwt).await,
                    call(&store, method.clone(), path, &opaque).await,
                );
                let what = format!("{implementation:?} {method} {path} with {scopes}");
                if method == Method::POST && a.status == StatusCode::CREATED {
                    // Each creates its own pet: the same answer but for the id.
                    b.body["id"] = a.body["id"].clone();
                }
                assert_eq!(a, b, "{what}");
            }
        }
        // An opaque token the provider does not know: 401 invalid_token, like a forged JWT.
        let unknown = call(&store, Method::GET, "/pets", "bm90LWEtdG9rZW4tdGhlLXByb3ZpZGVyLWtub3dz").await;
        assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
        assert!(unknown.challenge.unwrap().contains(r#"error="invalid_token""#));
        // The wrong audience, for an opaque token too.
        let other = idp.token().scope("pets:read").audience("another-api").opaque();
        assert_eq!(call(&store, Method::GET, "/pets", &other).await.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_revoked_token_is_refused_once_the_cache_ttl_allows() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    for implementation in Implementation::ALL {
        let cached = start(implementation, &vars(&idp, &[])).await;
        let uncached = start(implementation, &vars(&idp, &[("AUTH_INTROSPECTION_CACHE_TTL", "0")])).await;
        let token = idp.token().scope("pets:read").opaque();
        assert_eq!(call(&cached, Method::GET, "/pets", &token).await.status, StatusCode::OK);
        assert_eq!(call(&uncached, Method::GET, "/pets", &token).await.status, StatusCode::OK);
        idp.revoke(&token);
        // The default TTL (300 s) reuses the active answer; a TTL of 0 asks every time.
        assert_eq!(call(&cached, Method::GET, "/pets", &token).await.status, StatusCode::OK);
        let refused = call(&uncached, Method::GET, "/pets", &token).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{implementation:?}");
        assert!(refused.challenge.unwrap().contains(r#"error="invalid_token""#));
    }
}

#[tokio::test]
async fn a_configured_endpoint_and_the_providers_faults() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let endpoint = idp.introspection_endpoint();
    let jwks = idp.jwks_uri();
    let token = idp.token().scope("pets:read").opaque();
    for implementation in Implementation::ALL {
        // AUTH_JWKS_URL leaves no discovery: the endpoint is configured.
        let extra = [("AUTH_JWKS_URL", jwks.as_str()), ("AUTH_INTROSPECTION_URL", endpoint.as_str())];
        let store = start(implementation, &vars(&idp, &extra)).await;
        assert_eq!(call(&store, Method::GET, "/me", &token).await.status, StatusCode::OK);
        // Wrong client credentials: the provider says 401, the client gets 503 (it is the
        // Petstore's configuration that is wrong, not the token).
        let (id, _) = idp.introspection_client();
        let wrong = [
            ("AUTH_ISSUER", idp.issuer()),
            ("AUTH_INTROSPECTION_CLIENT_ID", id),
            ("AUTH_INTROSPECTION_CLIENT_SECRET", "not-the-secret"),
        ];
        let store = start(implementation, &wrong).await;
        let answer = call(&store, Method::GET, "/pets", &token).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{implementation:?}");
        assert!(answer.retry_after);
        // An endpoint that is down: 503 too, never 401.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
        let down = format!("http://{closed}/introspect");
        let store = start(implementation, &vars(&idp, &[("AUTH_INTROSPECTION_URL", down.as_str())])).await;
        let answer = call(&store, Method::GET, "/pets", &token).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(answer.retry_after);
        // JWTs are still verified locally meanwhile.
        let jwt = idp.token().scope("pets:read").sign();
        assert_eq!(call(&store, Method::GET, "/pets", &jwt).await.status, StatusCode::OK);
    }
}

#[test]
fn introspection_settings_are_checked_at_startup() {
    let (issuer, id, secret) = ("https://idp.example.com", "petstore", "s3cret");
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut vars = vec![
            ("AUTH_ISSUER", issuer),
            ("AUTH_JWKS_URL", "https://idp.example.com/jwks"),
            ("AUTH_INTROSPECTION_CLIENT_ID", id),
            ("AUTH_INTROSPECTION_CLIENT_SECRET", secret),
        ];
        vars.extend_from_slice(extra);
        petstore_e2e::settings(&vars)
            .map_err(|e| e.to_string())
            .and_then(|s| petstore::build_validator(&s).map(|_| ()).map_err(|e| e.to_string()))
    };
    // No discovery (AUTH_JWKS_URL) and no endpoint.
    let err = with(&[]).unwrap_err();
    assert!(err.contains("AUTH_INTROSPECTION_URL"), "{err}");
    // Plain http to another host.
    let err = with(&[("AUTH_INTROSPECTION_URL", "http://idp.example.com/introspect")]).unwrap_err();
    assert!(err.contains("AUTH_INTROSPECTION_URL"), "{err}");
    assert!(with(&[("AUTH_INTROSPECTION_URL", "https://idp.example.com/introspect")]).is_ok());
}

#[tokio::test]
async fn grpc_takes_opaque_tokens() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let (addr, _, _server) =
        petstore_e2e::start_grpc(&vars(&idp, &[("AUTH_INTROSPECTION_CACHE_TTL", "0")])).await;
    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let mut client = PetStoreClient::new(channel);
    let token = idp.token().scope("pets:read").opaque();
    let request = |token: &str| {
        let mut r = tonic::Request::new(ListPetsRequest {});
        r.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        r
    };
    assert!(!client.list_pets(request(&token)).await.unwrap().into_inner().pets.is_empty());
    let mut me = tonic::Request::new(GetMeRequest {});
    me.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    assert_eq!(client.get_me(me).await.unwrap().into_inner().sub.as_deref(), Some("dev-user"));
    idp.revoke(&token);
    let refused = client.list_pets(request(&token)).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
}

#[tokio::test]
async fn the_banners_opaque_token_works() {
    for implementation in Implementation::ALL {
        let store = start(implementation, &[]).await;
        let dev = store.dev.clone().expect("dev issuer without a provider");
        let banner = petstore::banner::http_banner("petstore", store.addr, &store.auth);
        assert!(banner.contains(&format!("OPAQUE_TOKEN={}", dev.opaque_token)));
        assert!(banner.contains("Authorization: Bearer $OPAQUE_TOKEN"));
        let me = call(&store, Method::GET, "/me", &dev.opaque_token).await;
        assert_eq!(me.status, StatusCode::OK, "{implementation:?}");
        let jwt_me = call(&store, Method::GET, "/me", &dev.token).await;
        assert_eq!(me.body, jwt_me.body, "the same user and scopes as TOKEN");
    }
}
