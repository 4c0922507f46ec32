//! DPoP (RFC 9449) interop: tokens bound to a client key by a certified provider
//! (`oidc-provider`, npm), presented by an independent DPoP client (panva's `oauth4webapi`, run
//! by node: `tests/interop/dpop-client.mjs`) to each HTTP Petstore.

use std::process::Stdio;
use std::time::Duration;

use petstore_e2e::{Implementation, Petstore, Provider, start};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

/// The client of `tests/interop/provider.mjs` whose tokens must be DPoP-bound.
const DPOP_CLIENT: &str = "dpop-client";

/// What `dpop-client.mjs` prints: the last answer from the target, and every answer in order.
#[derive(Debug, Deserialize)]
struct Outcome {
    status: u16,
    www_authenticate: Option<String>,
    body: Value,
    /// `token_type` of the token response, as the provider sent it.
    token_type: String,
    /// `cnf.jkt` of the access token.
    cnf_jkt: Option<String>,
    /// The thumbprint of the client's proof key.
    jkt: String,
    attempts: Vec<Attempt>,
}

#[derive(Debug, Deserialize)]
struct Attempt {
    status: u16,
    www_authenticate: Option<String>,
    /// The `DPoP-Nonce` header of this answer.
    dpop_nonce: Option<String>,
    /// The nonce the proof of this request carried.
    proof_nonce: Option<String>,
}

/// Gets a `dpop-client` token from `provider` bound to a fresh key, then calls `path` on `store`
/// with it; `args` are more `dpop-client.mjs` options (`--scope`, `--bearer`, `--alg`, …).
async fn dpop_client(provider: &Provider, store: &Petstore, path: &str, args: &[&str]) -> Outcome {
    petstore_e2e::interop::require("oauth4webapi");
    let script = petstore_e2e::interop::dir().join("dpop-client.mjs");
    let target = format!("{}{path}", store.base);
    let run = tokio::process::Command::new("node")
        .arg(script)
        .args([provider.endpoints().token_endpoint.as_str(), DPOP_CLIENT, target.as_str()])
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    // Bounded: a client that hangs fails the test instead of hanging it.
    let output = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("dpop-client.mjs did not finish within 60 s")
        .expect("node must be installed and `npm ci` run in tests/interop");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "dpop-client.mjs {args:?}: {}\n{stdout}\n{stderr}", output.status);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("dpop-client.mjs printed {stdout:?}: {e}\n{stderr}"))
}

/// Starts `implementation` trusting `provider`, with `AUTH_DPOP=mode` and server nonces on or off.
async fn start_dpop(
    provider: &Provider,
    implementation: Implementation,
    mode: &str,
    nonce: bool,
) -> Petstore {
    let nonce = if nonce { "1" } else { "0" };
    start(
        implementation,
        &[("AUTH_ISSUER", provider.issuer()), ("AUTH_DPOP", mode), ("AUTH_DPOP_NONCE", nonce)],
    )
    .await
}

/// The seeded store, as `GET /pets` lists it.
fn assert_lists_pets(outcome: &Outcome, what: &str) {
    let pets = outcome.body.as_array().unwrap_or_else(|| panic!("{what}: body {}", outcome.body));
    assert!(pets.iter().any(|p| p["id"] == 1 && p["name"] == "Rex"), "{what}: {}", outcome.body);
}

/// The token really is bound to the client's key: the provider did its part.
fn assert_bound(outcome: &Outcome, what: &str) {
    assert_eq!(outcome.token_type, "DPoP", "{what}");
    assert_eq!(outcome.cnf_jkt.as_deref(), Some(outcome.jkt.as_str()), "{what}: cnf.jkt is the proof key's");
}

#[tokio::test]
async fn a_dpop_bound_token_with_its_proof_is_accepted() {
    let provider = Provider::start().await;
    for implementation in Implementation::ALL {
        let store = start_dpop(&provider, implementation, "allowed", false).await;

        let list = dpop_client(&provider, &store, "/pets", &["--scope", "pets:read"]).await;
        assert_bound(&list, &format!("{implementation:?}"));
        assert_eq!(list.status, 200, "{implementation:?}: {list:?}");
        assert_lists_pets(&list, &format!("{implementation:?}"));
        assert_eq!(list.attempts.len(), 1, "{implementation:?}: no nonce asked for: {list:?}");

        // htm is POST, the body is JSON: the proof still matches the request.
        let body = json!({"name": "Proof"}).to_string();
        let args = ["--scope", "pets:read pets:write", "--method", "POST", "--json", body.as_str()];
        let created = dpop_client(&provider, &store, "/pets", &args).await;
        assert_eq!(created.status, 201, "{implementation:?}: {created:?}");
        assert_eq!(created.body["name"], "Proof", "{implementation:?}");
    }
}

#[tokio::test]
async fn a_dpop_bound_token_sent_as_bearer_is_refused() {
    let provider = Provider::start().await;
    for implementation in Implementation::ALL {
        let store = start_dpop(&provider, implementation, "allowed", false).await;

        let bearer = dpop_client(&provider, &store, "/pets", &["--scope", "pets:read", "--bearer"]).await;
        assert_bound(&bearer, &format!("{implementation:?}"));
        assert_eq!(bearer.status, 401, "{implementation:?}: {bearer:?}");
        let challenge = bearer.www_authenticate.as_deref().unwrap_or_default();
        assert!(challenge.contains("invalid_token"), "{implementation:?}: {challenge}");

        // `allowed` still takes the provider's unbound tokens as Bearer.
        let plain = provider.token("es256-client", "pets:read", None).await;
        let status = reqwest::Client::new()
            .get(format!("{}/pets", store.base))
            .bearer_auth(&plain)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::OK, "{implementation:?}: unbound Bearer token in `allowed` mode");
    }
}

#[tokio::test]
async fn a_server_nonce_is_answered_by_the_clients_retry() {
    let provider = Provider::start().await;
    for implementation in Implementation::ALL {
        let store = start_dpop(&provider, implementation, "allowed", true).await;

        let outcome = dpop_client(&provider, &store, "/pets", &["--scope", "pets:read"]).await;
        assert_bound(&outcome, &format!("{implementation:?}"));
        let [first, retry] = outcome.attempts.as_slice() else {
            panic!("{implementation:?}: expected a nonce challenge then a retry: {outcome:?}");
        };
        assert_eq!(first.status, 401, "{implementation:?}: {first:?}");
        let challenge = first.www_authenticate.as_deref().unwrap_or_default();
        assert!(challenge.contains(r#"error="use_dpop_nonce""#), "{implementation:?}: {challenge}");
        assert!(first.dpop_nonce.is_some(), "{implementation:?}: the challenge carries a DPoP-Nonce");
        assert_eq!(first.proof_nonce, None, "{implementation:?}");
        assert_eq!(retry.proof_nonce, first.dpop_nonce, "{implementation:?}: the retry carries that nonce");
        assert_eq!(retry.status, 200, "{implementation:?}: {retry:?}");
        assert_eq!(outcome.status, 200);
        assert_lists_pets(&outcome, &format!("{implementation:?}"));
    }
}

#[tokio::test]
async fn proofs_signed_with_every_common_key_type_are_accepted() {
    let provider = Provider::start().await;
    for implementation in Implementation::ALL {
        let store = start_dpop(&provider, implementation, "allowed", false).await;
        for alg in ["ES256", "EdDSA", "RS256", "PS256"] {
            let outcome =
                dpop_client(&provider, &store, "/pets", &["--scope", "pets:read", "--alg", alg]).await;
            assert_bound(&outcome, &format!("{implementation:?} {alg}"));
            assert_eq!(outcome.status, 200, "{implementation:?} {alg}: {outcome:?}");
        }
    }
}

#[tokio::test]
async fn required_mode_takes_dpop_and_refuses_plain_bearer_tokens() {
    let provider = Provider::start().await;
    for implementation in Implementation::ALL {
        let store = start_dpop(&provider, implementation, "required", false).await;

        let outcome = dpop_client(&provider, &store, "/pets", &["--scope", "pets:read"]).await;
        assert_eq!(outcome.status, 200, "{implementation:?}: {outcome:?}");

        let plain = provider.token("es256-client", "pets:read", None).await;
        let status = reqwest::Client::new()
            .get(format!("{}/pets", store.base))
            .bearer_auth(&plain)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{implementation:?}: Bearer token in `required` mode");
    }
}
