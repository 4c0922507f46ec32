//! Interop with an independently written, certified OpenID provider (`oidc-provider`, npm):
//! discovery pointed at it, tokens from its token endpoint, every algorithm it signs with, its
//! scopes and audiences enforced, its key rotation followed, and its opaque tokens introspected
//! (and refused once it revokes them).

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

#[tokio::test]
async fn petstore_introspects_the_providers_opaque_tokens() {
    let provider = Provider::start().await;
    let (id, secret) = Provider::RESOURCE_CLIENT;
    for implementation in Implementation::ALL {
        // The introspection endpoint comes from the provider's discovery document; a TTL of one
        // second so a revocation shows soon.
        let vars = [
            ("AUTH_ISSUER", provider.issuer()),
            ("AUTH_INTROSPECTION_CLIENT_ID", id),
            ("AUTH_INTROSPECTION_CLIENT_SECRET", secret),
            ("AUTH_INTROSPECTION_CACHE_TTL", "1"),
        ];
        let store = start(implementation, &vars).await;
        let rw = provider.token("es256-client", "pets:read pets:write", Some("urn:petstore-opaque")).await;
        assert_eq!(rw.matches('.').count(), 0, "an opaque token, not a JWT: {rw}");
        assert_eq!(get(&store.base, "/pets", &rw).await, StatusCode::OK, "{implementation:?}");
        assert_eq!(post(&store.base, &rw).await, StatusCode::CREATED);
        assert_eq!(get(&store.base, "/me", &rw).await, StatusCode::OK);
        let read_only = provider.token("es256-client", "pets:read", Some("urn:petstore-opaque")).await;
        assert_eq!(post(&store.base, &read_only).await, StatusCode::FORBIDDEN, "scope enforced");
        let other = provider.token("es256-client", "pets:read", Some("urn:other-opaque")).await;
        assert_eq!(get(&store.base, "/pets", &other).await, StatusCode::UNAUTHORIZED, "audience enforced");
        // The provider's JWTs are still verified locally beside them.
        let jwt = provider.token("es256-client", "pets:read", None).await;
        assert_eq!(get(&store.base, "/pets", &jwt).await, StatusCode::OK);

        // Revoked at the provider (RFC 7009): refused once the one-second TTL has passed. The
        // provider runs on the real clock, so this polls, bounded.
        provider.revoke("es256-client", &rw).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let status = get(&store.base, "/pets", &rw).await;
            if status == StatusCode::UNAUTHORIZED {
                break;
            }
            assert_eq!(status, StatusCode::OK, "a revoked token is 200 (cached) or 401, nothing else");
            assert!(std::time::Instant::now() < deadline, "still accepted 15 s after its revocation");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        // Another token of the same client is unaffected.
        assert_eq!(get(&store.base, "/pets", &read_only).await, StatusCode::OK);
    }
}

#[tokio::test]
async fn the_gateway_calls_the_petstore_with_the_providers_client_credentials_tokens() {
    let provider = Provider::start().await;
    let petstore = start(Implementation::Axum, &[("AUTH_ISSUER", provider.issuer())]).await;
    let (id, secret) = Provider::GATEWAY_CLIENT;
    let (gateway, _, _server) = petstore_e2e::start_gateway(&[
        ("UPSTREAM_URL", &petstore.base),
        ("AUTH_ISSUER", provider.issuer()),
        ("GATEWAY_CLIENT_ID", id),
        ("GATEWAY_CLIENT_SECRET", secret),
        ("UPSTREAM_AUDIENCE", "urn:petstore"),
    ])
    .await;
    // A caller's token for the gateway (audience petstore-gateway), from the same provider.
    let caller = provider.token("es256-client", "gateway:pets", Some("urn:petstore-gateway")).await;
    assert_eq!(get(&gateway, "/api/pets", &caller).await, StatusCode::OK);
    let me: serde_json::Value = reqwest::Client::new()
        .get(format!("{gateway}/api/me"))
        .bearer_auth(&caller)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["client_id"], id, "the Petstore saw the gateway's own token: {me}");
    // The caller's token does not open the Petstore itself.
    assert_eq!(get(&petstore.base, "/pets", &caller).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_gateway_exchanges_the_callers_token_at_the_provider() {
    let provider = Provider::start().await;
    let petstore = start(Implementation::Actix, &[("AUTH_ISSUER", provider.issuer())]).await;
    let (id, secret) = Provider::GATEWAY_CLIENT;
    let (gateway, _, _server) = petstore_e2e::start_gateway(&[
        ("UPSTREAM_URL", &petstore.base),
        ("AUTH_ISSUER", provider.issuer()),
        ("GATEWAY_CLIENT_ID", id),
        ("GATEWAY_CLIENT_SECRET", secret),
        ("UPSTREAM_AUDIENCE", "urn:petstore"),
        ("GATEWAY_UPSTREAM_AUTH", "token_exchange"),
    ])
    .await;
    // Two callers: each is seen by the Petstore as itself, through the gateway's client.
    for caller in ["es256-client", "eddsa-client"] {
        let token = provider.token(caller, "gateway:pets", Some("urn:petstore-gateway")).await;
        assert_eq!(get(&gateway, "/api/pets", &token).await, StatusCode::OK, "{caller}");
        let me: serde_json::Value = reqwest::Client::new()
            .get(format!("{gateway}/api/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!((me["sub"].as_str(), me["client_id"].as_str()), (Some(caller), Some(id)), "{me}");
    }
}

#[test]
fn a_missing_interop_prerequisite_is_named_in_one_line() {
    // The packages `npm ci` installs are found (the suites above ran), and one that is not
    // installed is named in a single line that says what to run.
    for package in ["oidc-provider", "oauth4webapi", "@modelcontextprotocol/sdk"] {
        assert_eq!(petstore_e2e::interop::missing(package), None, "{package}");
    }
    let line = petstore_e2e::interop::missing("no-such-package").unwrap();
    assert!(line.contains("no-such-package") && line.contains("npm ci"), "{line}");
    assert!(!line.contains('\n'), "{line}");
    let stopped = std::panic::catch_unwind(|| petstore_e2e::interop::require("no-such-package"));
    let payload = stopped.unwrap_err();
    assert_eq!(payload.downcast_ref::<String>(), Some(&line));
}
