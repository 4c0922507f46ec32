//! Protected-resource metadata (RFC 9728) on the Petstores over real sockets: the document
//! generated from the configuration at both well-known URIs, `resource_metadata` in every
//! challenge (401, 403, DPoP, step-up; HTTP and gRPC), tokens issued for the resource
//! (RFC 8707 audience), CORS preflights, and bad `AUTH_RESOURCE` values stopping startup.

use petstore_e2e::{Implementation, Petstore, settings, start, start_grpc};
use petstore_tonic::proto::pet_store_client::PetStoreClient;
use petstore_tonic::proto::{DeletePetRequest, ListPetsRequest};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tonic::metadata::MetadataValue;

const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

fn challenges(res: &reqwest::Response) -> Vec<String> {
    res.headers().get_all("www-authenticate").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

/// The `resource_metadata` parameter of `challenge` (the URL never holds a quote).
fn resource_metadata(challenge: &str) -> Option<&str> {
    let at = challenge.find("resource_metadata=\"")? + "resource_metadata=\"".len();
    challenge[at..].split('"').next()
}

fn issuer(store: &Petstore) -> String {
    store.dev.as_ref().unwrap().issuer.issuer().to_owned()
}

async fn document(http: &reqwest::Client, url: &str) -> Value {
    let res = http.get(url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{url}");
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_document_is_generated_from_the_configuration() {
    let http = reqwest::Client::new();
    for implementation in Implementation::ALL {
        let store = start(implementation, &[]).await;
        let url = format!("{}{WELL_KNOWN}", store.base);
        let res = http.get(&url).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{implementation:?}");
        assert_eq!(res.headers()["content-type"], "application/json");
        assert_eq!(res.headers()["cache-control"], "public, max-age=3600");
        let text = res.text().await.unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        // The bound address (the test binds port 0), never a request's Host.
        assert_eq!(doc["resource"], store.base, "{implementation:?}");
        assert_eq!(doc["authorization_servers"], json!([issuer(&store)]));
        let scopes: Vec<&str> =
            doc["scopes_supported"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
        for scope in ["admin", "pets:read", "pets:write"] {
            assert!(scopes.contains(&scope), "{implementation:?}: {scope} in {scopes:?}");
        }
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
        assert_eq!(doc["resource_name"], "Petstore");
        // DPoP is allowed by default: advertised, not required; nothing else claimed (no mTLS).
        assert_eq!(
            doc["dpop_signing_alg_values_supported"],
            json!(["ES256", "ES384", "RS256", "PS256", "EdDSA"])
        );
        assert_eq!(doc["dpop_bound_access_tokens_required"], json!(false));
        assert!(doc.get("tls_client_certificate_bound_access_tokens").is_none());

        // A Host header naming another server changes nothing.
        let spoofed = http.get(&url).header("host", "evil.example").send().await.unwrap();
        assert_eq!(spoofed.json::<Value>().await.unwrap()["resource"], store.base);

        let head = http.head(&url).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK, "{implementation:?}: HEAD");
        assert_eq!(head.headers()["content-type"], "application/json");
        assert_eq!(head.text().await.unwrap(), "", "HEAD has no body");
        for method in [reqwest::Method::POST, reqwest::Method::PUT, reqwest::Method::DELETE] {
            let res = http.request(method.clone(), &url).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{implementation:?}: {method}");
            assert_eq!(res.headers()["allow"], "GET, HEAD");
        }
        // The resource has no path: no path-inserted URI.
        let other = http.get(format!("{url}/pets")).send().await.unwrap();
        assert_eq!(other.status(), StatusCode::NOT_FOUND, "{implementation:?}");
        // Public: a bad token does not matter here.
        let with_junk = http.get(&url).bearer_auth("junk").send().await.unwrap();
        assert_eq!(with_junk.status(), StatusCode::OK, "{implementation:?}");
    }
}

#[tokio::test]
async fn dpop_members_follow_the_mode() {
    let http = reqwest::Client::new();
    for implementation in Implementation::ALL {
        let required = start(implementation, &[("AUTH_DPOP", "required")]).await;
        let doc = document(&http, &format!("{}{WELL_KNOWN}", required.base)).await;
        assert_eq!(doc["dpop_bound_access_tokens_required"], json!(true), "{implementation:?}");
        assert_eq!(doc["bearer_methods_supported"], json!([]), "{implementation:?}: Bearer refused");

        let off = start(implementation, &[("AUTH_DPOP", "off"), ("AUTH_ALGORITHMS", "ES256")]).await;
        let doc = document(&http, &format!("{}{WELL_KNOWN}", off.base)).await;
        assert!(doc.get("dpop_signing_alg_values_supported").is_none(), "{implementation:?}: {doc}");
        assert!(doc.get("dpop_bound_access_tokens_required").is_none(), "{implementation:?}: {doc}");
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
    }
}

#[tokio::test]
async fn a_resource_with_a_path_is_served_at_both_uris_and_named_by_the_path_inserted_one() {
    let http = reqwest::Client::new();
    let resource = "https://pets.example.com/api/v1";
    for implementation in Implementation::ALL {
        let store = start(implementation, &[("AUTH_RESOURCE", resource)]).await;
        for path in [WELL_KNOWN.to_owned(), format!("{WELL_KNOWN}/api/v1")] {
            let doc = document(&http, &format!("{}{path}", store.base)).await;
            assert_eq!(doc["resource"], resource, "{implementation:?} {path}");
        }
        let res = http.get(format!("{}/pets", store.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let c = challenges(&res);
        assert_eq!(
            resource_metadata(&c[0]),
            Some("https://pets.example.com/.well-known/oauth-protected-resource/api/v1"),
            "{implementation:?}: {c:?}"
        );
    }
}

#[tokio::test]
async fn every_challenge_names_the_document() {
    let http = reqwest::Client::new();
    for implementation in Implementation::ALL {
        let store = start(implementation, &[]).await;
        let dev = store.dev.clone().unwrap();
        let expected = format!("{}{WELL_KNOWN}", store.base);
        let base = &store.base;
        let cases = [
            ("no token", http.get(format!("{base}/pets")), StatusCode::UNAUTHORIZED),
            ("bad token", http.get(format!("{base}/pets")).bearer_auth("x.y.z"), StatusCode::UNAUTHORIZED),
            (
                "insufficient scope",
                http.delete(format!("{base}/pets/1")).bearer_auth(&dev.token),
                StatusCode::FORBIDDEN,
            ),
            (
                "scope layer",
                http.post(format!("{base}/pets"))
                    .bearer_auth(dev.issuer.token().audience("petstore").scope("pets:read").sign())
                    .json(&json!({"name": "Rex"})),
                StatusCode::FORBIDDEN,
            ),
            (
                "DPoP without a proof",
                http.get(format!("{base}/pets")).header("authorization", format!("DPoP {}", dev.dpop_token)),
                StatusCode::UNAUTHORIZED,
            ),
            (
                "step-up",
                http.post(format!("{base}/store/orders/1/payment")).bearer_auth(&dev.token),
                StatusCode::UNAUTHORIZED,
            ),
            (
                "optional route, bad token",
                http.get(format!("{base}/store/inventory")).bearer_auth("junk"),
                StatusCode::UNAUTHORIZED,
            ),
        ];
        for (what, request, status) in cases {
            let res = request.send().await.unwrap();
            assert_eq!(res.status(), status, "{implementation:?}: {what}");
            let c = challenges(&res);
            assert!(!c.is_empty(), "{implementation:?}: {what}");
            for challenge in &c {
                assert_eq!(
                    resource_metadata(challenge),
                    Some(expected.as_str()),
                    "{implementation:?}: {what}: {challenge}"
                );
                assert!(challenge.contains(r#"realm="petstore""#), "{what}: {challenge}");
            }
            if what == "DPoP without a proof" {
                assert!(c.iter().any(|c| c.starts_with("DPoP ")), "{what}: {c:?}");
                assert!(c.iter().any(|c| c.starts_with("Bearer ")), "{what}: {c:?}");
            }
        }
        // Following the header leads to the document, which names the issuer.
        let doc = document(&http, &expected).await;
        assert_eq!(doc["authorization_servers"], json!([issuer(&store)]));
    }
}

#[tokio::test]
async fn grpc_challenges_name_the_document_served_beside_the_service() {
    let (addr, dev, _server) = start_grpc(&[]).await;
    let dev = dev.unwrap();
    let expected = format!("http://{addr}{WELL_KNOWN}");
    let mut client = PetStoreClient::connect(format!("http://{addr}")).await.unwrap();
    let status = client.list_pets(ListPetsRequest {}).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    let challenge = status.metadata().get("www-authenticate").unwrap().to_str().unwrap().to_owned();
    assert_eq!(resource_metadata(&challenge), Some(expected.as_str()), "{challenge}");

    let mut request = tonic::Request::new(DeletePetRequest { id: 1 });
    let bearer = MetadataValue::try_from(format!("Bearer {}", dev.token)).unwrap();
    request.metadata_mut().insert("authorization", bearer);
    let status = client.delete_pet(request).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let challenge = status.metadata().get("www-authenticate").unwrap().to_str().unwrap().to_owned();
    assert_eq!(resource_metadata(&challenge), Some(expected.as_str()), "{challenge}");

    // The gRPC server answers the document over plain HTTP/1.1.
    let doc = document(&reqwest::Client::new(), &expected).await;
    assert_eq!(doc["resource"], format!("http://{addr}"));
    assert_eq!(doc["authorization_servers"], json!([dev.issuer.issuer()]));
}

#[tokio::test]
async fn a_token_issued_for_the_resource_is_accepted_beside_the_audience() {
    let http = reqwest::Client::new();
    for implementation in Implementation::ALL {
        let store = start(implementation, &[]).await;
        let dev = store.dev.clone().unwrap();
        let mint = |aud: &str| dev.issuer.token().audience(aud).scope("pets:read").sign();
        let upper = store.base.replace("http://", "HTTP://");
        let with_slash = format!("{}/", store.base);
        for (aud, status) in [
            ("petstore", StatusCode::OK),
            (store.base.as_str(), StatusCode::OK),
            (upper.as_str(), StatusCode::OK),
            (with_slash.as_str(), StatusCode::OK),
            ("https://evil.example", StatusCode::UNAUTHORIZED),
            (&format!("{}/pets", store.base), StatusCode::UNAUTHORIZED),
        ] {
            let res = http.get(format!("{}/pets", store.base)).bearer_auth(mint(aud)).send().await.unwrap();
            assert_eq!(res.status(), status, "{implementation:?}: aud {aud}");
        }
    }
}

#[tokio::test]
async fn cors_preflights_pass_without_credentials() {
    let http = reqwest::Client::new();
    for implementation in Implementation::ALL {
        let store = start(implementation, &[]).await;
        let preflight = http
            .request(reqwest::Method::OPTIONS, format!("{}/pets", store.base))
            .header("origin", "https://app.example")
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
            .await
            .unwrap();
        // No CORS layer in the Petstore: the router answers, never a challenge.
        assert_ne!(preflight.status(), StatusCode::UNAUTHORIZED, "{implementation:?}");
        assert!(challenges(&preflight).is_empty(), "{implementation:?}");
        // A plain OPTIONS without the preflight header is authenticated as usual.
        let options =
            http.request(reqwest::Method::OPTIONS, format!("{}/pets", store.base)).send().await.unwrap();
        assert_eq!(options.status(), StatusCode::UNAUTHORIZED, "{implementation:?}");
    }
}

#[tokio::test]
async fn a_bad_resource_stops_startup_naming_the_variable() {
    for bad in ["/pets", "pets.example.com", "https://pets.example.com/#top", "http://pets.example.com"] {
        let err = settings(&[("AUTH_RESOURCE", bad)]).unwrap_err();
        assert_eq!(err.setting(), "AUTH_RESOURCE", "{bad}: {err}");
    }
    // The default from a non-loopback listen address over plain http is refused at startup too.
    let s = settings(&[]).unwrap().bound_to("10.9.8.7:8080".parse().unwrap());
    let err = petstore::Auth::from_settings(&s).await.unwrap_err();
    assert!(err.to_string().contains("AUTH_RESOURCE"), "{err}");
    // An https proxy URL is fine whatever the listen address.
    let s = settings(&[("AUTH_RESOURCE", "https://pets.example.com")])
        .unwrap()
        .bound_to("10.9.8.7:8080".parse().unwrap());
    assert!(petstore::Auth::from_settings(&s).await.is_ok());
}
