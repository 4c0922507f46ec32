//! Step-up (RFC 9470) on the Petstores over real sockets: `POST /store/orders/{id}/payment` on
//! axum and actix (reqwest), `PayOrder` on tonic (a real tonic client). Assertions read the
//! challenge's parameters, so parameters added beside them (`resource_metadata`) do not matter.

use std::time::{SystemTime, UNIX_EPOCH};

use petstore_e2e::{Implementation, Petstore, start, start_grpc};
use petstore_tonic::proto::PayOrderRequest;
use petstore_tonic::proto::pet_store_client::PetStoreClient;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tonic::Code;
use tonic::transport::Channel;

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The value of auth-param `name` in one challenge, unescaped.
fn param(challenge: &str, name: &str) -> Option<String> {
    let mut rest = challenge;
    let needle = format!("{name}=\"");
    loop {
        let at = rest.find(&needle)?;
        // A whole parameter name: at the start of the params or after ", " / " ".
        let whole = at == 0 || matches!(rest.as_bytes()[at - 1], b' ' | b',');
        let after = &rest[at + needle.len()..];
        if whole {
            let mut value = String::new();
            let mut chars = after.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => return Some(value),
                    c => value.push(c),
                }
            }
            return None;
        }
        rest = after;
    }
}

struct Answer {
    status: StatusCode,
    challenges: Vec<String>,
    body: Value,
}

impl Answer {
    /// The challenge carrying an error code.
    fn error_challenge(&self) -> &str {
        self.challenges.iter().find(|c| param(c, "error").is_some()).map(String::as_str).unwrap_or_default()
    }

    /// (`acr_values`, `max_age`) of an `insufficient_user_authentication` answer.
    fn step_up(&self) -> Option<(Option<String>, Option<String>)> {
        let c = self.error_challenge();
        (param(c, "error").as_deref() == Some("insufficient_user_authentication"))
            .then(|| (param(c, "acr_values"), param(c, "max_age")))
    }
}

async fn pay(store: &Petstore, id: &str, token: &str) -> Answer {
    post(store, &format!("/store/orders/{id}/payment"), token, None).await
}

async fn post(store: &Petstore, path: &str, token: &str, body: Option<Value>) -> Answer {
    let mut req = reqwest::Client::new().post(format!("{}{path}", store.base)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let challenges =
        res.headers().get_all("www-authenticate").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let status = res.status();
    let text = res.text().await.unwrap();
    Answer { status, challenges, body: serde_json::from_str(&text).unwrap_or(Value::String(text)) }
}

#[tokio::test]
async fn payment_needs_pets_write_then_step_up_on_every_http_petstore() {
    for implementation in Implementation::ALL {
        let store = start(implementation, &[]).await;
        let dev = store.dev.clone().unwrap();
        let write = || dev.issuer.token().audience("petstore").scope("pets:read pets:write");
        let (acr, age) = (Some("mfa".to_owned()), Some("300".to_owned()));
        let cases = [
            ("acr missing", write().auth_time(now()).sign(), Some((acr.clone(), None))),
            ("acr not accepted", write().acr("pwd").auth_time(now()).sign(), Some((acr.clone(), None))),
            (
                "auth_time too old",
                write().acr("mfa").auth_time(now() - 1000).sign(),
                Some((None, age.clone())),
            ),
            ("auth_time missing", write().acr("mfa").sign(), Some((None, age.clone()))),
            ("both", write().acr("pwd").auth_time(now() - 1000).sign(), Some((acr.clone(), age.clone()))),
            ("neither claim (the ready TOKEN)", dev.token.clone(), Some((acr.clone(), age.clone()))),
            ("accepted and fresh", write().acr("mfa").auth_time(now() - 10).sign(), None),
            ("the ready STEP_UP_TOKEN", dev.step_up_token.clone(), None),
            ("a freshly minted one", dev.step_up_token(), None),
        ];
        for (what, token, expected) in &cases {
            let a = pay(&store, "7", token).await;
            let what = format!("{implementation:?}: {what}");
            match expected {
                None => {
                    assert_eq!(a.status, StatusCode::OK, "{what}: {:?}", a.challenges);
                    assert_eq!(a.body, json!({"order": 7, "status": "paid"}), "{what}");
                }
                Some(params) => {
                    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{what}");
                    assert_eq!(a.step_up().as_ref(), Some(params), "{what}: {:?}", a.challenges);
                    assert!(a.error_challenge().starts_with("Bearer "), "{what}");
                    assert_eq!(param(a.error_challenge(), "realm").as_deref(), Some("petstore"), "{what}");
                    assert_eq!(a.body["error"], "insufficient_user_authentication", "{what}");
                }
            }
        }

        // Scopes first: without pets:write it is 403 whatever the acr.
        let strong_reader = dev.issuer.token().scope("pets:read").acr("mfa").auth_time(now()).sign();
        for token in [strong_reader, dev.issuer.token().scope("pets:read").sign()] {
            let a = pay(&store, "7", &token).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{implementation:?}");
            assert_eq!(param(a.error_challenge(), "error").as_deref(), Some("insufficient_scope"));
            assert_eq!(param(a.error_challenge(), "scope").as_deref(), Some("pets:write"));
        }
        // An expired token is still invalid_token, whatever its acr.
        let expired = write().acr("mfa").auth_time(now() - 7200).issued_at(now() - 7200).sign();
        let a = pay(&store, "7", &expired).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert_eq!(param(a.error_challenge(), "error").as_deref(), Some("invalid_token"));
        // No token at all: the bare challenge.
        let res = reqwest::Client::new()
            .post(format!("{}/store/orders/7/payment", store.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        // No other route asks for step-up: the plain TOKEN creates a pet and reads /pets.
        let created = post(&store, "/pets", &dev.token, Some(json!({"name": "Rex"}))).await;
        assert_eq!(created.status, StatusCode::CREATED, "{implementation:?}");
        let list = reqwest::Client::new()
            .get(format!("{}/pets", store.base))
            .bearer_auth(&dev.token)
            .send()
            .await
            .unwrap();
        assert_eq!(list.status(), StatusCode::OK);
        // An id that is not a number: 404, after the checks.
        assert_eq!(pay(&store, "x", &dev.step_up_token).await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_banner_s_sign_in_again_mints_a_token_that_pays() {
    let store = start(Implementation::Axum, &[]).await;
    let dev = store.dev.clone().unwrap();
    let (id, secret) = dev.issuer.service_client();
    let answer: Value = reqwest::Client::new()
        .post(dev.issuer.token_endpoint())
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"),
            ("subject_token_type", "urn:ietf:params:oauth:token-type:access_token"),
            ("subject_token", dev.token.as_str()),
            ("scope", "pets:read pets:write"),
            ("audience", "petstore"),
            ("acr_values", "mfa"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = answer["access_token"].as_str().unwrap();
    let a = pay(&store, "3", token).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.challenges);
    // The banner shows exactly this flow: the challenge with TOKEN, then STEP_UP_TOKEN.
    let banner = petstore::banner::http_banner("petstore-axum", store.addr, &store.auth);
    assert!(banner.contains("STEP_UP_TOKEN="), "{banner}");
    assert!(banner.contains("/store/orders/1/payment"), "{banner}");
    assert!(banner.contains("acr_values=mfa"), "{banner}");
}

#[tokio::test]
async fn the_settings_choose_the_accepted_acr_and_the_maximum_age() {
    for implementation in Implementation::ALL {
        let vars = [("AUTH_STEP_UP_ACR", "hwk, phr"), ("AUTH_STEP_UP_MAX_AGE", "60")];
        let store = start(implementation, &vars).await;
        let dev = store.dev.clone().unwrap();
        let write = || dev.issuer.token().audience("petstore").scope("pets:write");
        // Any one of the listed values satisfies; the default mfa no longer does.
        assert_eq!(
            pay(&store, "1", &write().acr("phr").auth_time(now()).sign()).await.status,
            StatusCode::OK
        );
        assert_eq!(
            pay(&store, "1", &write().acr("hwk").auth_time(now()).sign()).await.status,
            StatusCode::OK
        );
        let a = pay(&store, "1", &write().acr("mfa").auth_time(now() - 200).sign()).await;
        assert_eq!(a.step_up(), Some((Some("hwk phr".into()), Some("60".into()))), "{implementation:?}");
        // The ready step-up token has the first accepted value.
        assert_eq!(pay(&store, "1", &dev.step_up_token).await.status, StatusCode::OK);
    }
    for (name, value) in
        [("AUTH_STEP_UP_ACR", "mfa,,hwk"), ("AUTH_STEP_UP_MAX_AGE", "5m"), ("AUTH_STEP_UP_MAX_AGE", "0")]
    {
        let err = petstore_e2e::settings(&[(name, value)]).unwrap_err();
        assert_eq!(err.setting(), name);
    }
}

fn grpc_request<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut r = tonic::Request::new(message);
    r.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

#[tokio::test]
async fn pay_order_over_grpc_answers_unauthenticated_with_the_challenge() {
    let (addr, dev, _server) = start_grpc(&[]).await;
    let dev = dev.unwrap();
    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let mut client = PetStoreClient::new(channel);
    let write = || dev.issuer.token().audience("petstore").scope("pets:read pets:write");
    let cases = [
        ("acr missing", write().auth_time(now()).sign(), (Some("mfa"), None)),
        ("acr not accepted", write().acr("pwd").auth_time(now()).sign(), (Some("mfa"), None)),
        ("auth_time too old", write().acr("mfa").auth_time(now() - 1000).sign(), (None, Some("300"))),
        ("auth_time missing", write().acr("mfa").sign(), (None, Some("300"))),
        ("both", dev.token.clone(), (Some("mfa"), Some("300"))),
    ];
    for (what, token, (acr, age)) in cases {
        let status = client.pay_order(grpc_request(PayOrderRequest { id: 9 }, &token)).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{what}");
        assert_eq!(i32::from(status.code()), 16);
        let challenge = status.metadata().get("www-authenticate").unwrap().to_str().unwrap().to_owned();
        assert_eq!(param(&challenge, "error").as_deref(), Some("insufficient_user_authentication"), "{what}");
        assert_eq!(param(&challenge, "acr_values").as_deref(), acr, "{what}: {challenge}");
        assert_eq!(param(&challenge, "max_age").as_deref(), age, "{what}: {challenge}");
    }
    // Scopes first.
    let reader = dev.issuer.token().scope("pets:read").acr("mfa").auth_time(now()).sign();
    let status = client.pay_order(grpc_request(PayOrderRequest { id: 9 }, &reader)).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    // The strong token pays.
    let paid = client.pay_order(grpc_request(PayOrderRequest { id: 9 }, &dev.step_up_token())).await.unwrap();
    let paid = paid.into_inner();
    assert_eq!((paid.order, paid.status.as_str()), (9, "paid"));
}
