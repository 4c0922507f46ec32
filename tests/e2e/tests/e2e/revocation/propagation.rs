//! Instances sharing one real `redis-server`: a revocation taken by one is refused by the others
//! (cache hits included), lifted on all, the `iat` cut-off, gRPC reading the same list, a DPoP
//! proof used on one refused on the others, and `/health` saying where the list lives.

use auth_core::Algorithm;
use auth_core::dev_issuer::DpopKey;
use petstore_e2e::{Implementation, Petstore, start};
use petstore_tonic::proto::ListPetsRequest;
use petstore_tonic::proto::pet_store_client::PetStoreClient;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tonic::transport::Channel;

use super::{Answer, Cluster, Cred, admin, eventually, get, now, revocation_state, token};

#[tokio::test]
async fn each_form_revoked_on_one_instance_is_refused_on_the_other_then_lifted() {
    let cluster = Cluster::new().await;
    let (a, b) = cluster.pair(&[]).await;
    let (a, b, idp) = (&a, &b, &cluster.idp);
    let key = DpopKey::generate(Algorithm::ES256).unwrap();
    let by_jti = token(idp, "s-jti", "c-jti").claim("jti", json!("jti-revoked")).sign();
    let by_sub = token(idp, "s-sub", "c-sub").sign();
    let by_client = token(idp, "s-client", "c-client").sign();
    let by_jkt = token(idp, "s-jkt", "c-jkt").bound_to(&key).sign();
    let kept = token(idp, "s-kept", "c-kept").sign();
    let jkt_body = format!(r#"{{"jkt": "{}"}}"#, key.thumbprint());
    let cases = [
        (r#"{"jti": "jti-revoked"}"#, Cred::Bearer(&by_jti)),
        (r#"{"sub": "s-sub"}"#, Cred::Bearer(&by_sub)),
        (r#"{"client_id": "c-client"}"#, Cred::Bearer(&by_client)),
        (jkt_body.as_str(), Cred::Dpop(&by_jkt, &key)),
    ];
    // B serves each token first: its refusals below are answered from the verified-token cache.
    for (body, cred) in cases {
        assert_eq!(get(b, "/pets", cred).await.status, StatusCode::OK, "{body} before");
    }
    let hits = b.auth.validator.stats().token_cache_hits;
    for (body, cred) in cases {
        assert_eq!(
            admin(a, Method::POST, &cluster.admin, body).await.status,
            StatusCode::NO_CONTENT,
            "{body}"
        );
        get(a, "/pets", cred).await.assert_revoked(&format!("{body}: on A, at once"));
        eventually(
            &format!("{body}: refused on B"),
            || async move { get(b, "/pets", cred).await.is_revoked() },
        )
        .await;
        get(b, "/me", cred).await.assert_revoked(&format!("{body}: every route on B"));
        for store in [a, b] {
            let inventory = get(store, "/store/inventory", cred).await;
            inventory.assert_revoked(&format!("{body}: the optional route, never the public view"));
        }
    }
    assert!(b.auth.validator.stats().token_cache_hits > hits, "B's refusals were cache hits");
    for store in [a, b] {
        assert_eq!(get(store, "/pets", Cred::Bearer(&kept)).await.status, StatusCode::OK, "not revoked");
    }

    for (body, cred) in cases {
        assert_eq!(
            admin(a, Method::DELETE, &cluster.admin, body).await.status,
            StatusCode::NO_CONTENT,
            "{body}"
        );
        assert_eq!(get(a, "/pets", cred).await.status, StatusCode::OK, "{body}: lifted on A at once");
        eventually(&format!("{body}: lifted on B"), || async move {
            get(b, "/pets", cred).await.status == StatusCode::OK
        })
        .await;
    }
}

#[tokio::test]
async fn a_cut_off_refuses_tokens_issued_before_it_and_accepts_its_second() {
    let cluster = Cluster::new().await;
    let (a, b) = cluster.pair(&[]).await;
    let (a, b, idp) = (&a, &b, &cluster.idp);
    let t = now() - 100;
    let issued = |sub: &str, client: &str, iat: i64| token(idp, sub, client).issued_at(iat).sign();
    let (sub_before, sub_at) = (issued("s-cut", "c-1", t - 1), issued("s-cut", "c-2", t));
    let (client_before, client_at) = (issued("s-1", "c-cut", t - 1), issued("s-2", "c-cut", t));
    for token in [&sub_before, &sub_at, &client_before, &client_at] {
        assert_eq!(get(b, "/pets", Cred::Bearer(token)).await.status, StatusCode::OK);
    }
    for body in [
        format!(r#"{{"sub": "s-cut", "before": {t}}}"#),
        format!(r#"{{"client_id": "c-cut", "before": {t}}}"#),
    ] {
        assert_eq!(admin(a, Method::POST, &cluster.admin, &body).await.status, StatusCode::NO_CONTENT);
    }
    for token in [&sub_before, &client_before] {
        let cred = Cred::Bearer(token);
        eventually("iat T-1 refused on B", || async move { get(b, "/pets", cred).await.is_revoked() }).await;
        get(a, "/pets", cred).await.assert_revoked("iat T-1 on A");
    }
    for store in [a, b] {
        for token in [&sub_at, &client_at] {
            assert_eq!(
                get(store, "/pets", Cred::Bearer(token)).await.status,
                StatusCode::OK,
                "iat = T stays valid"
            );
        }
    }
    // A later cut-off for the same subject widens the entry.
    let later = format!(r#"{{"sub": "s-cut", "before": {}}}"#, t + 1);
    assert_eq!(admin(a, Method::POST, &cluster.admin, &later).await.status, StatusCode::NO_CONTENT);
    let cred = Cred::Bearer(&sub_at);
    eventually(
        "the widened cut-off refused on B",
        || async move { get(b, "/pets", cred).await.is_revoked() },
    )
    .await;
}

/// `ListPets` with `token`.
async fn list_pets(mut client: PetStoreClient<Channel>, token: &str) -> Result<(), tonic::Status> {
    let mut request = tonic::Request::new(ListPetsRequest {});
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    client.list_pets(request).await.map(drop)
}

#[tokio::test]
async fn grpc_reads_the_same_list() {
    let cluster = Cluster::new().await;
    let a = cluster.instance(Implementation::Axum, &[]).await;
    let url = cluster.redis.url();
    let vars =
        [("AUTH_ISSUER", cluster.idp.issuer()), ("AUTH_REDIS_URL", &url), ("AUTH_REVOCATION_MAX_STALE", "1")];
    let (addr, _, _server) = petstore_e2e::start_grpc(&vars).await;
    let client =
        PetStoreClient::new(Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap());
    let victim = token(&cluster.idp, "s-grpc", "c-grpc").sign();
    let (client, victim) = (&client, victim.as_str());
    eventually("gRPC serves once fresh", || async move { list_pets(client.clone(), victim).await.is_ok() })
        .await;
    assert_eq!(
        admin(&a, Method::POST, &cluster.admin, r#"{"sub": "s-grpc"}"#).await.status,
        StatusCode::NO_CONTENT
    );
    eventually("gRPC refuses the revoked token", || async move {
        list_pets(client.clone(), victim).await.is_err_and(|s| s.code() == tonic::Code::Unauthenticated)
    })
    .await;
}

/// `GET /pets` with the proof given.
async fn with_proof(store: &Petstore, token: &str, proof: &str) -> Answer {
    let res = reqwest::Client::new()
        .get(format!("{}/pets", store.base))
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", proof)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let challenge = res.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
    let body = res.json().await.unwrap_or_default();
    Answer { status, challenge, retry_after: None, content_type: None, body }
}

#[tokio::test]
async fn a_dpop_proof_used_on_one_instance_is_refused_on_the_other() {
    let cluster = Cluster::new().await;
    // Behind one public URL, as a load balancer would put them: the same proof fits both.
    let (a, b) = cluster.pair(&[("AUTH_PUBLIC_URL", "https://pets.example.com")]).await;
    let key = DpopKey::generate(Algorithm::ES256).unwrap();
    let bound = token(&cluster.idp, "s-dpop", "c-dpop").bound_to(&key).sign();
    let proof = || key.proof("GET", "https://pets.example.com/pets").access_token(&bound).sign();
    let once = proof();
    assert_eq!(with_proof(&a, &bound, &once).await.status, StatusCode::OK);
    for (store, what) in [(&b, "on B"), (&a, "on A again")] {
        let replayed = with_proof(store, &bound, &once).await;
        assert_eq!(replayed.status, StatusCode::UNAUTHORIZED, "{what}");
        assert!(replayed.challenge.unwrap().contains(r#"error="invalid_dpop_proof""#), "{what}");
        assert_eq!(replayed.body["error_description"], "the DPoP proof was already used", "{what}");
    }
    assert_eq!(with_proof(&b, &bound, &proof()).await.status, StatusCode::OK, "a fresh proof on B");
}

#[tokio::test]
async fn health_says_where_the_list_lives() {
    for implementation in Implementation::ALL {
        let alone = start(implementation, &[]).await;
        let health = get(&alone, "/health", Cred::None).await;
        assert_eq!(health.body["status"], "ok");
        assert!(health.body["keys_loaded"].is_boolean());
        assert_eq!(health.body["revocations"], "local", "{implementation:?}");
    }
    let cluster = Cluster::new().await;
    let (a, b) = cluster.pair(&[]).await;
    for store in [&a, &b] {
        assert_eq!(revocation_state(store).await, "fresh");
    }
}
