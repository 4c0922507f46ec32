//! DPoP (RFC 9449) through every Petstore: proofs made here with the dev issuer's keys, the
//! modes and nonces the environment sets, the public URL behind a proxy, and gRPC.

use auth_core::Algorithm;
use auth_core::dev_issuer::{DevIssuer, DpopKey};
use petstore_e2e::{Implementation, Petstore, start};
use petstore_tonic::proto::ListPetsRequest;
use petstore_tonic::proto::pet_store_client::PetStoreClient;
use reqwest::StatusCode;
use tonic::transport::Channel;

async fn call(url: &str, authorization: &str, proof: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(url).header("authorization", authorization);
    if let Some(proof) = proof {
        req = req.header("dpop", proof);
    }
    req.send().await.unwrap()
}

fn challenges(res: &reqwest::Response) -> Vec<String> {
    res.headers().get_all("www-authenticate").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

async fn petstore(implementation: Implementation, idp: &DevIssuer, vars: &[(&str, &str)]) -> Petstore {
    let mut all = vec![("AUTH_ISSUER", idp.issuer())];
    all.extend_from_slice(vars);
    start(implementation, &all).await
}

#[tokio::test]
async fn a_bound_token_works_with_its_proof_only() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let key = DpopKey::generate(Algorithm::ES256).unwrap();
    let token = idp.token().scope("pets:read").bound_to(&key).sign();
    for implementation in Implementation::ALL {
        let store = petstore(implementation, &idp, &[]).await;
        let url = format!("{}/pets", store.base);
        let proof = key.proof("GET", &url).access_token(&token).sign();
        let res = call(&url, &format!("DPoP {token}"), Some(&proof)).await;
        assert_eq!(res.status(), StatusCode::OK, "{implementation:?}");
        // The same proof again: refused.
        let res = call(&url, &format!("DPoP {token}"), Some(&proof)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{implementation:?}");
        let c = challenges(&res);
        assert!(c[0].starts_with("DPoP ") && c[0].contains(r#"error="invalid_dpop_proof""#), "{c:?}");
        assert_eq!(c[1], store.bare_challenge());
        // As a bearer token: refused.
        let res = call(&url, &format!("Bearer {token}"), None).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(challenges(&res)[0].contains(r#"error="invalid_token""#));
        // A proof for another URI, or another method: refused.
        let elsewhere = key.proof("GET", &format!("{}/me", store.base)).access_token(&token).sign();
        assert_eq!(
            call(&url, &format!("DPoP {token}"), Some(&elsewhere)).await.status(),
            StatusCode::UNAUTHORIZED
        );
        // `/me` with a fresh proof; an unbound bearer token as before.
        let me = format!("{}/me", store.base);
        let proof = key.proof("GET", &me).access_token(&token).sign();
        assert_eq!(call(&me, &format!("DPoP {token}"), Some(&proof)).await.status(), StatusCode::OK);
        let plain = idp.token().scope("pets:read").sign();
        assert_eq!(call(&url, &format!("Bearer {plain}"), None).await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn the_modes_come_from_auth_dpop() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let key = DpopKey::generate(Algorithm::ES256).unwrap();
    let bound = idp.token().scope("pets:read").bound_to(&key).sign();
    let plain = idp.token().scope("pets:read").sign();
    for implementation in Implementation::ALL {
        let required = petstore(implementation, &idp, &[("AUTH_DPOP", "required")]).await;
        let url = format!("{}/pets", required.base);
        let res = call(&url, &format!("Bearer {plain}"), None).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenges(&res),
            [format!(
                r#"DPoP realm="petstore", algs="ES256 ES384 RS256 PS256 EdDSA", resource_metadata="{}""#,
                required.metadata_url()
            )],
            "{implementation:?}"
        );
        let proof = key.proof("GET", &url).access_token(&bound).sign();
        assert_eq!(call(&url, &format!("DPoP {bound}"), Some(&proof)).await.status(), StatusCode::OK);

        let off = petstore(implementation, &idp, &[("AUTH_DPOP", "off")]).await;
        let url = format!("{}/pets", off.base);
        let proof = key.proof("GET", &url).access_token(&bound).sign();
        let res = call(&url, &format!("DPoP {bound}"), Some(&proof)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(challenges(&res), [off.bare_challenge()], "no credentials, as before");
        assert_eq!(
            call(&url, &format!("Bearer {bound}"), None).await.status(),
            StatusCode::OK,
            "binding unchecked"
        );
    }
}

#[tokio::test]
async fn nonces_are_asked_for_and_shared_through_the_key() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let key = DpopKey::generate(Algorithm::ES256).unwrap();
    let token = idp.token().scope("pets:read").bound_to(&key).sign();
    let shared = "c2VjcmV0LXNoYXJlZC1ieS1ldmVyeS1pbnN0YW5jZS0wMTIzNDU2Nzg5";
    for implementation in Implementation::ALL {
        let vars = [("AUTH_DPOP_NONCE", "1"), ("AUTH_DPOP_NONCE_KEY", shared)];
        let (a, b) =
            (petstore(implementation, &idp, &vars).await, petstore(implementation, &idp, &vars).await);
        let url = format!("{}/pets", a.base);
        let res =
            call(&url, &format!("DPoP {token}"), Some(&key.proof("GET", &url).access_token(&token).sign()))
                .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(challenges(&res)[0].contains(r#"error="use_dpop_nonce""#));
        let nonce = res.headers()["dpop-nonce"].to_str().unwrap().to_owned();
        let with = key.proof("GET", &url).access_token(&token).nonce(&nonce).sign();
        assert_eq!(call(&url, &format!("DPoP {token}"), Some(&with)).await.status(), StatusCode::OK);
        // The other instance, sharing the key, takes the same nonce.
        let url_b = format!("{}/pets", b.base);
        let with = key.proof("GET", &url_b).access_token(&token).nonce(&nonce).sign();
        assert_eq!(call(&url_b, &format!("DPoP {token}"), Some(&with)).await.status(), StatusCode::OK);
        // A process with a key of its own (a restart without the shared key) does not.
        let other = petstore(implementation, &idp, &[("AUTH_DPOP_NONCE", "1")]).await;
        let url_o = format!("{}/pets", other.base);
        let with = key.proof("GET", &url_o).access_token(&token).nonce(&nonce).sign();
        let res = call(&url_o, &format!("DPoP {token}"), Some(&with)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{implementation:?}");
        assert!(challenges(&res)[0].contains(r#"error="use_dpop_nonce""#));
    }
}

#[tokio::test]
async fn behind_a_proxy_the_proof_names_the_public_url() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let key = DpopKey::generate(Algorithm::ES256).unwrap();
    let token = idp.token().scope("pets:read").bound_to(&key).sign();
    for implementation in Implementation::ALL {
        let store =
            petstore(implementation, &idp, &[("AUTH_PUBLIC_URL", "https://pets.example.com/api")]).await;
        let url = format!("{}/pets", store.base);
        let public = key.proof("GET", "https://pets.example.com/api/pets").access_token(&token).sign();
        assert_eq!(call(&url, &format!("DPoP {token}"), Some(&public)).await.status(), StatusCode::OK);
        let by_host = key.proof("GET", &url).access_token(&token).sign();
        let res = call(&url, &format!("DPoP {token}"), Some(&by_host)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{implementation:?}");
        assert!(challenges(&res)[0].contains(r#"error="invalid_dpop_proof""#));
    }
}

#[tokio::test]
async fn grpc_takes_the_proof_in_metadata() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let key = DpopKey::generate(Algorithm::EdDSA).unwrap();
    let token = idp.token().scope("pets:read").bound_to(&key).sign();
    let (addr, _, _server) = petstore_e2e::start_grpc(&[("AUTH_ISSUER", idp.issuer())]).await;
    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let mut client = PetStoreClient::new(channel);
    let request = |proof: &str| {
        let mut r = tonic::Request::new(ListPetsRequest {});
        r.metadata_mut().insert("authorization", format!("DPoP {token}").parse().unwrap());
        r.metadata_mut().insert("dpop", proof.parse().unwrap());
        r
    };
    let htu = format!("http://{addr}/petstore.v1.PetStore/ListPets");
    let proof = key.proof("POST", &htu).access_token(&token).sign();
    assert!(!client.list_pets(request(&proof)).await.unwrap().into_inner().pets.is_empty());
    let replayed = client.list_pets(request(&proof)).await.unwrap_err();
    assert_eq!(replayed.code(), tonic::Code::Unauthenticated);
    let challenge = replayed.metadata().get("www-authenticate").unwrap().to_str().unwrap().to_owned();
    assert!(
        challenge.starts_with("DPoP ") && challenge.contains(r#"error="invalid_dpop_proof""#),
        "{challenge}"
    );
}

#[tokio::test]
async fn the_banners_dpop_request_works_on_every_implementation() {
    for implementation in [Implementation::Axum, Implementation::Actix] {
        for nonce in ["0", "1"] {
            let store = start(implementation, &[("AUTH_DPOP_NONCE", nonce)]).await;
            let dev = store.dev.clone().expect("dev issuer without a provider");
            let addr = store.addr;
            // The banner prints the key and token this client is given, and the command.
            let banner = petstore::banner::http_banner("petstore", addr, &store.auth);
            assert!(banner.contains(&format!("DPOP_KEY={}", dev.dpop_key.to_base64url())));
            assert!(banner.contains(&format!("DPOP_TOKEN={}", dev.dpop_token)));
            assert!(banner.contains(&petstore::banner::dpop_command(addr)));
            let key = DpopKey::from_base64url(Algorithm::ES256, &dev.dpop_key.to_base64url()).unwrap();
            let answer = petstore::dpop_client::send(
                &reqwest::Client::new(),
                &key,
                &dev.dpop_token,
                reqwest::Method::GET,
                &format!("{}/pets", store.base),
                None,
            )
            .await
            .unwrap();
            assert_eq!(answer.response.status(), StatusCode::OK, "{implementation:?} nonce={nonce}");
            assert_eq!(answer.retried_with_nonce, nonce == "1", "{implementation:?}");
        }
    }
}
