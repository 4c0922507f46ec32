//! Interop with an independently written, certified OpenID provider (`oidc-provider`, npm):
//! discovery pointed at it, tokens from its token endpoint, every algorithm it signs with, its
//! scopes and audiences enforced, and its key rotation followed.

use petstore_e2e::{Implementation, Provider, start};
use reqwest::StatusCode;

const CLIENTS: [&str; 4] = ["rs256-client", "ps256-client", "es256-client", "eddsa-client"];

async fn get(base: &str, path: &str, token: &str) -> StatusCode {
    reqwest::Client::new().get(format!("{base}{path}")).bearer_auth(token).send().await.unwrap().status()
}

async fn post(base: &str, token: &str) -> StatusCode {
    reqwest::Client::new()
        .post(format!("{base}/pets"))
        .bearer_auth(token)
        .json(&serde_json::json!({"name": "Interop"}))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn petstore_accepts_a_certified_providers_tokens() {
    let provider = Provider::start().await;
    for implementation in Implementation::ALL {
        // Discovery from the issuer URL, RFC 9068 profile (the example's default), audience petstore.
        let store = start(implementation, &[("AUTH_ISSUER", provider.issuer())]).await;
        for client in CLIENTS {
            let rw = provider.token(client, "pets:read pets:write", None).await;
            assert_eq!(get(&store.base, "/pets", &rw).await, StatusCode::OK, "{implementation:?} {client}");
            assert_eq!(post(&store.base, &rw).await, StatusCode::CREATED, "{client}");
            assert_eq!(get(&store.base, "/me", &rw).await, StatusCode::OK, "{client}");

            let read_only = provider.token(client, "pets:read", None).await;
            assert_eq!(
                post(&store.base, &read_only).await,
                StatusCode::FORBIDDEN,
                "{client}: scope enforced"
            );

            let other_audience = provider.token(client, "pets:read", Some("urn:other")).await;
            assert_eq!(
                get(&store.base, "/pets", &other_audience).await,
                StatusCode::UNAUTHORIZED,
                "{client}: audience"
            );
        }
    }
}

#[tokio::test]
async fn petstore_follows_the_providers_key_rotation() {
    let provider = Provider::start().await;
    for implementation in Implementation::ALL {
        let store = start(implementation, &[("AUTH_ISSUER", provider.issuer())]).await;
        let before = provider.token("es256-client", "pets:read", None).await;
        assert_eq!(get(&store.base, "/pets", &before).await, StatusCode::OK);

        provider.rotate().await;
        // New kids the Petstore has never seen: each verifies on its first request.
        for client in CLIENTS {
            let after = provider.token(client, "pets:read", None).await;
            assert_eq!(
                get(&store.base, "/pets", &after).await,
                StatusCode::OK,
                "{implementation:?} {client} after rotation"
            );
        }
    }
}
