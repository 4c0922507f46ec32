//! API-to-API calls: `petstore-gateway` in front of a real Petstore, with tokens of its own
//! (client credentials, token exchange) from a real token endpoint; its faults; and a tonic
//! client whose calls carry the service's token through the outbound layer.

use std::time::Duration;

use auth_core::Algorithm;
use auth_core::client::{ClientCredentials, OutboundTokens, Target, TokenClient};
use auth_core::dev_issuer::DevIssuer;
use petstore_e2e::{Implementation, start, start_gateway};
use petstore_tonic::proto::pet_store_client::PetStoreClient;
use petstore_tonic::proto::{GetMeRequest, ListPetsRequest};
use reqwest::StatusCode;
use serde_json::Value;
use tonic::transport::Channel;
use tower_auth::outbound::OutboundAuthLayer;

async fn get(url: &str, token: Option<&str>) -> (StatusCode, Option<String>, Value) {
    let mut req = reqwest::Client::new().get(url);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let challenge = header("www-authenticate").or_else(|| header("retry-after"));
    let text = res.text().await.unwrap();
    (status, challenge, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test]
async fn out_of_the_box_the_gateway_calls_the_petstore_with_its_own_token() {
    let (base, gateway, _server) = start_gateway(&[]).await;
    let dev = gateway.dev.clone().expect("the development setup");
    let banner = petstore_gateway::banner("127.0.0.1:8090".parse().unwrap(), &gateway);
    assert!(banner.contains(&format!("TOKEN={}", dev.token)) && banner.contains("/api/pets"), "{banner}");

    let (status, _, pets) = get(&format!("{base}/api/pets"), Some(&dev.token)).await;
    assert_eq!(status, StatusCode::OK, "{pets}");
    assert_eq!(pets.as_array().map(Vec::len), Some(2), "the Petstore's two seeded pets: {pets}");
    // The Petstore saw the gateway's client, not the caller.
    let (status, _, me) = get(&format!("{base}/api/me"), Some(&dev.token)).await;
    assert_eq!(status, StatusCode::OK);
    let (service, _) = dev.issuer.service_client();
    assert_eq!(me["sub"], service, "{me}");
    assert_eq!(me["scopes"], serde_json::json!(["pets:read"]));
    // The caller's token itself would not do upstream: it was not forwarded.
    let upstream = format!("http://{}/pets", dev.upstream_addr);
    assert_eq!(get(&upstream, Some(&dev.token)).await.0, StatusCode::UNAUTHORIZED);

    // Callers need a valid token with the gateway's scope.
    let (status, challenge, _) = get(&format!("{base}/api/pets"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge.as_deref(), Some(r#"Bearer realm="petstore-gateway""#));
    let other = dev.issuer.token().audience("petstore-gateway").scope("pets:read").sign();
    let (status, challenge, _) = get(&format!("{base}/api/pets"), Some(&other)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(challenge.unwrap().contains(r#"scope="gateway:pets""#));
    assert_eq!(get(&format!("{base}/health"), None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn by_token_exchange_the_petstore_sees_the_caller() {
    let (base, gateway, _server) = start_gateway(&[("GATEWAY_UPSTREAM_AUTH", "token_exchange")]).await;
    let dev = gateway.dev.clone().unwrap();
    let caller =
        dev.issuer.token().audience("petstore-gateway").scope("gateway:pets").subject("alice").sign();
    let (status, _, me) = get(&format!("{base}/api/me"), Some(&caller)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["sub"], "alice", "{me}");
    assert_eq!(get(&format!("{base}/api/pets"), Some(&caller)).await.0, StatusCode::OK);
}

/// A provider and a Petstore configured apart, the gateway pointed at them by its variables.
#[tokio::test]
async fn configured_by_its_variables_and_its_faults() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let petstore =
        start(Implementation::Actix, &[("AUTH_ISSUER", idp.issuer()), ("AUTH_AUDIENCE", "urn:petstore")])
            .await;
    let (id, secret) = idp.service_client();
    let caller = idp.token().audience("petstore-gateway").scope("gateway:pets").sign();
    let vars_for = |upstream: &str, secret: &str, audience: &str| {
        vec![
            ("UPSTREAM_URL".to_owned(), upstream.to_owned()),
            ("AUTH_ISSUER".to_owned(), idp.issuer().to_owned()),
            ("GATEWAY_CLIENT_ID".to_owned(), id.to_owned()),
            ("GATEWAY_CLIENT_SECRET".to_owned(), secret.to_owned()),
            ("UPSTREAM_AUDIENCE".to_owned(), audience.to_owned()),
        ]
    };
    let vars = |upstream: &str, secret: &str| vars_for(upstream, secret, "urn:petstore");
    let start_with = |vars: Vec<(String, String)>| async move {
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        start_gateway(&vars).await
    };
    let (base, _, _server) = start_with(vars(&petstore.base, secret)).await;
    let (status, _, me) = get(&format!("{base}/api/me"), Some(&caller)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["sub"], id);

    // The Petstore refuses the gateway's token (another audience), after the one retry: its 401
    // comes back as it is, challenge included.
    let (base, _, _server) = start_with(vars_for(&petstore.base, secret, "urn:elsewhere")).await;
    let (status, challenge, body) = get(&format!("{base}/api/pets"), Some(&caller)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(challenge.unwrap().contains(r#"error="invalid_token""#));
    assert_eq!(body["error"], "invalid_token");

    // The provider refuses the gateway's credentials: 503 token_unavailable, with Retry-After.
    let (base, _, _server) = start_with(vars(&petstore.base, "not-the-secret")).await;
    let (status, retry_after, body) = get(&format!("{base}/api/pets"), Some(&caller)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("token_unavailable"))
    );
    assert!(retry_after.is_some());

    // An upstream that is down: 502 upstream_unavailable.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let (base, _, _server) = start_with(vars(&format!("http://{closed}"), secret)).await;
    let (status, _, body) = get(&format!("{base}/api/pets"), Some(&caller)).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_GATEWAY, Some("upstream_unavailable")));

    // An upstream that accepts and never answers: 502 within the 5 s bound, not a hang.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let _held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let (base, _, _server) = start_with(vars(&format!("http://{silent_addr}"), secret)).await;
    let answer =
        tokio::time::timeout(Duration::from_secs(15), get(&format!("{base}/api/pets"), Some(&caller)))
            .await
            .expect("answered within the upstream timeout");
    assert_eq!(
        (answer.0, answer.2["error"].as_str()),
        (StatusCode::BAD_GATEWAY, Some("upstream_unavailable"))
    );
}

#[tokio::test]
async fn a_tonic_client_calls_through_the_outbound_layer() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let (addr, _, _server) =
        petstore_e2e::start_grpc(&[("AUTH_ISSUER", idp.issuer()), ("AUTH_AUDIENCE", "urn:petstore")]).await;
    let (id, secret) = idp.service_client();
    let client = TokenClient::builder(id)
        .credentials(ClientCredentials::SecretBasic { secret: secret.to_owned() })
        .token_endpoint(idp.token_endpoint())
        .build()
        .unwrap();
    let tokens = OutboundTokens::client_credentials(
        client.clone(),
        Target::resource("urn:petstore").scope("pets:read"),
    );
    let origin = format!("http://{addr}");
    let channel = Channel::from_shared(origin.clone()).unwrap().connect().await.unwrap();
    let channel =
        tower::ServiceBuilder::new().layer(OutboundAuthLayer::new(tokens).origin(&origin)).service(channel);
    let mut pets = PetStoreClient::new(channel);
    for _ in 0..3 {
        assert!(!pets.list_pets(ListPetsRequest {}).await.unwrap().into_inner().pets.is_empty());
    }
    let me = pets.get_me(GetMeRequest {}).await.unwrap().into_inner();
    assert_eq!(me.sub.as_deref(), Some(id));
    assert_eq!(client.requests(), 1, "one token request for every call");
}
