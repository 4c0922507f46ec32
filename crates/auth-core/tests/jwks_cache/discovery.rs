//! Discovery, several issuers, waiting for keys, the cache's lifecycle (validators dropped,
//! runtimes gone) and definitive refusals of unusable key sets.

use super::*;

fn discovering(server: &TestServer) -> Validator {
    Validator::builder().issuer(IssuerConfig::discover(server.base())).audience("api").build().unwrap()
}

#[tokio::test(start_paused = true)]
async fn discovery_uses_openid_configuration_then_rfc8414() {
    let k = key(ES, "a");
    let server = TestServer::start(vec![k.public_jwk()]).await;
    let v = discovering(&server);
    v.validate(&token(&k, server.base())).await.unwrap();
    assert_eq!((server.hits(OIDC), server.hits(OAUTH), server.hits(JWKS)), (1, 0, 1));

    let server = TestServer::start(vec![k.public_jwk()]).await;
    server.set(|s| s.oidc_discovery = false);
    let v = discovering(&server);
    v.validate(&token(&k, server.base())).await.unwrap();
    assert_eq!((server.hits(OIDC), server.hits(OAUTH), server.hits(JWKS)), (1, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_discovery_document_naming_another_issuer_is_refused() {
    let k = key(ES, "a");
    for wrong in ["/", "/tenant", ""] {
        let server = TestServer::start(vec![k.public_jwk()]).await;
        let named = if wrong.is_empty() {
            "https://evil.test".to_owned()
        } else {
            format!("{}{wrong}", server.base())
        };
        server.set(|s| s.discovery_issuer = Some(named));
        let v = discovering(&server);
        for _ in 0..3 {
            let result = v.validate(&token(&k, server.base())).await;
            assert!(is_unavailable(&result), "{wrong:?}: {result:?}");
            advance(Duration::from_secs(40)).await;
        }
        assert_eq!(server.hits(JWKS), 0, "the keys of a mismatched document are never fetched");
        assert_eq!(v.stats().accepted, 0);
    }
}

#[tokio::test(start_paused = true)]
async fn an_unknown_issuer_is_rejected_without_any_fetch() {
    let k = key(ES, "a");
    let (one, two) =
        (TestServer::start(vec![k.public_jwk()]).await, TestServer::start(vec![k.public_jwk()]).await);
    let v = Validator::builder()
        .issuer(IssuerConfig::jwks_url("https://one.test", one.url(JWKS)))
        .issuer(IssuerConfig::discover(two.base()))
        .audience("api")
        .build()
        .unwrap();
    for iss in ["https://three.test", "https://one.test/"] {
        let err = v.validate(&token(&k, iss)).await.unwrap_err();
        assert_eq!(err, AuthError::InvalidToken(TokenProblem::UnknownIssuer));
    }
    assert_eq!(one.total_hits() + two.total_hits(), 0);
    assert!(v.validate(&token(&k, "https://one.test")).await.is_ok());
    assert_eq!((one.hits(JWKS), two.total_hits()), (1, 0));
}

/// A request waits for keys at most `max_wait` (3 s), not the whole fetch timeout (5 s); the
/// fetch goes on, and the next request joins it instead of starting another.
#[tokio::test(start_paused = true)]
async fn a_hung_provider_holds_a_request_for_max_wait_only() {
    let options = JwksOptions::default();
    let (wait, timeout) = (options.max_wait, options.fetch_timeout);
    assert_eq!((wait, timeout), (Duration::from_secs(3), Duration::from_secs(5)));
    let k = key(ES, "a");
    let server = SilentServer::start().await;
    let v = validator_for(&server.url(JWKS), options);
    let t = token(&k, ISS);
    let started = Instant::now();
    let err = v.validate(&t).await.unwrap_err();
    let took = started.elapsed();
    assert!(took >= wait && took < wait + Duration::from_millis(500), "{took:?}");
    assert!(matches!(err, AuthError::Unavailable { .. }), "{err:?}");
    assert_eq!(v.rejection(&err).status(), 503);
    assert!(v.rejection(&err).retry_after().is_some());
    // The fetch is still in flight: this request joins it and ends with it, at the fetch timeout.
    assert!(is_unavailable(&v.validate(&t).await));
    let took = started.elapsed();
    assert!(took >= timeout && took < timeout + Duration::from_millis(500), "{took:?}");
    assert_eq!(server.connections().accepted, 1, "one connection to the provider");
    assert_eq!(v.stats().fetches, 1);
}

/// Dropping the last clone of a validator stops its refresh in flight at once, instead of
/// leaving the fetch (and the cache it holds) alive until the fetch timeout.
#[tokio::test]
async fn dropping_the_validator_stops_its_refresh_in_flight() {
    let k = key(ES, "a");
    let server = SilentServer::start().await;
    let options = JwksOptions::default().fetch_timeout(Duration::from_secs(60));
    let v = validator_for(&server.url(JWKS), options);
    let t = token(&k, ISS);
    // The request gives up as soon as the provider has the key request; its refresh goes on.
    tokio::select! {
        r = v.validate(&t) => panic!("the provider never answers: {r:?}"),
        () = server.until(|c| c.requests == 1) => {}
    }
    assert_eq!(server.connections().closed, 0, "the fetch is in flight");
    drop(v);
    let closed = tokio::time::timeout(Duration::from_secs(10), server.until(|c| c.closed == 1)).await;
    assert!(closed.is_ok(), "the fetch ended with the validator: {:?}", server.connections());
}

/// The single-flight slot is cleared however the refresh ends: a refresh task cancelled with its
/// runtime (an actix worker restarting) must not make every later request "unavailable".
#[test]
fn a_refresh_cancelled_with_its_runtime_does_not_wedge_the_cache() {
    let runtime =
        || tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let lasting = runtime();
    let k = key(ES, "a");
    let server = lasting.block_on(TestServer::start(vec![k.public_jwk()]));
    server.set(|b| b.body = Body::Hang);
    let options = JwksOptions::default().max_wait(Duration::from_millis(50));
    let v = lasting.block_on(async { validator_for(&server.url(JWKS), options) });
    let t = token(&k, ISS);

    let doomed = runtime();
    // The refresh starts on this runtime, hangs, and dies with it.
    assert!(is_unavailable(&doomed.block_on(v.validate(&t))));
    drop(doomed);

    server.set(|b| b.body = Body::Keys);
    let result = lasting.block_on(v.validate(&t));
    assert!(result.is_ok(), "a new refresh runs: {result:?}");
    assert_eq!(server.hits(JWKS), 2);
}

/// The same when the refresh task never ran at all: its runtime went away right after the spawn.
#[test]
fn a_refresh_dropped_before_it_ever_ran_does_not_wedge_the_cache() {
    let lasting = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let k = key(ES, "a");
    let server = lasting.block_on(TestServer::start(vec![k.public_jwk()]));
    let v = lasting.block_on(async { validator_for(&server.url(JWKS), JwksOptions::default()) });
    let t = token(&k, ISS);

    // A current-thread runtime runs spawned tasks only while it waits: polled once, the
    // validation spawns the refresh and gives up before the task is ever polled.
    let doomed = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    {
        use futures_util::FutureExt;
        assert!(doomed.block_on(async { v.validate(&t).now_or_never() }).is_none());
    }
    drop(doomed);

    let result = lasting.block_on(v.validate(&t));
    assert!(result.is_ok(), "a new refresh runs: {result:?}");
    assert_eq!(server.hits(JWKS), 1);
}

/// A refresh that falls due on a thread without a tokio runtime (a cache hit from a plain
/// thread) runs on the runtime the validator was built on: no panic, the same answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_refresh_due_on_a_thread_without_a_runtime_does_not_panic() {
    let k = key(ES, "a");
    let server = TestServer::start(vec![k.public_jwk()]).await;
    server.set(|b| b.cache_control = Some("max-age=0".into()));
    // The keys are due for refresh at once.
    let v = validator_for(&server.url(JWKS), JwksOptions::default().min_ttl(Duration::from_nanos(1)));
    let t = token(&k, ISS);
    v.validate(&t).await.unwrap();
    let (v2, t2) = (v.clone(), t.clone());
    let answer = std::thread::spawn(move || {
        use futures_util::FutureExt;
        v2.validate(&t2).now_or_never().expect("a cache hit answers at once")
    })
    .join()
    .expect("no panic without a runtime");
    assert!(answer.is_ok(), "{answer:?}");
    assert!(v.stats().stale_serves >= 1, "the keys were due");
    // The refresh runs on the validator's runtime (bounded wait, no sleep).
    let started = tokio::time::timeout(Duration::from_secs(10), async {
        while v.stats().fetches < 2 {
            tokio::task::yield_now().await;
        }
    });
    assert!(started.await.is_ok(), "the due refresh ran: {:?}", v.stats());
}

/// A JWKS that parses but holds no key usable for the token is the provider's definitive
/// answer: 401 `unknown_key`, not 503 (clients would retry for ever).
async fn assert_definitive_refusal(what: &str, jwks: Vec<serde_json::Value>, options: JwksOptions, t: &str) {
    let server = TestServer::start(jwks).await;
    let v = validator_for(&server.url(JWKS), options);
    let err = v.validate(t).await.unwrap_err();
    assert_eq!(err, unknown_key(), "{what}");
    assert_eq!(v.rejection(&err).status(), 401, "{what}");
    assert!(v.is_ready(), "{what}: a fetched key set counts as loaded, even without a usable key");
    assert_eq!(v.stats().fetch_failures, 0, "{what}");
}

#[tokio::test(start_paused = true)]
async fn a_jwks_whose_only_key_is_for_encryption_is_401_not_503() {
    let k = key(ES, "a");
    let mut enc = k.public_jwk();
    enc["use"] = json!("enc");
    assert_definitive_refusal("use: enc", vec![enc], JwksOptions::default(), &token(&k, ISS)).await;
}

#[tokio::test(start_paused = true)]
async fn a_jwks_whose_only_key_lacks_the_verify_op_is_401_not_503() {
    let k = key(ES, "a");
    let mut wrap_only = k.public_jwk();
    wrap_only["key_ops"] = json!(["encrypt", "wrapKey"]);
    let t = token(&k, ISS);
    assert_definitive_refusal("key_ops without verify", vec![wrap_only], JwksOptions::default(), &t).await;
}

#[tokio::test(start_paused = true)]
async fn a_jwks_whose_only_key_names_another_alg_is_401_not_503() {
    let k = key(ES, "a");
    let mut other_alg = k.public_jwk();
    other_alg["alg"] = json!("ES384");
    assert_definitive_refusal("another alg", vec![other_alg], JwksOptions::default(), &token(&k, ISS)).await;
}

/// A provider that published its private key: anyone could have signed the token, so it is
/// refused as if the key were absent (401 `unknown_key`), and the operator's log says why.
#[tokio::test(start_paused = true)]
async fn a_jwks_whose_only_key_carries_its_private_part_is_401_not_503() {
    let k = key(ES, "a");
    let mut leaked = k.public_jwk();
    leaked["d"] = json!("c2VjcmV0");
    assert_definitive_refusal("private key published", vec![leaked], JwksOptions::default(), &token(&k, ISS))
        .await;
}

/// Keys past `max_keys` are not read; the keys that were read still answer, even when none of
/// them is usable.
#[tokio::test(start_paused = true)]
async fn a_token_for_a_key_past_max_keys_is_401_not_503() {
    let (first, second) = (key(ES, "first"), key(ES, "second"));
    let mut first_enc = first.public_jwk();
    first_enc["use"] = json!("enc");
    let one = JwksOptions::default().max_keys(1);
    let t = token(&second, ISS);
    assert_definitive_refusal("over the limit", vec![first_enc, second.public_jwk()], one.clone(), &t).await;

    let server = TestServer::start(vec![first.public_jwk(), second.public_jwk()]).await;
    let v = validator_for(&server.url(JWKS), one);
    assert!(v.validate(&token(&first, ISS)).await.is_ok());
    assert_eq!(v.validate(&token(&second, ISS)).await.unwrap_err(), unknown_key());
}

/// A refresh yielding no usable key keeps the last good keys while they are within their
/// budget, and counts as a failure for the backoff (the provider is not asked on every request).
#[tokio::test(start_paused = true)]
async fn a_refresh_without_a_usable_key_keeps_the_last_good_keys() {
    let k = key(ES, "a");
    let server = TestServer::start(vec![k.public_jwk()]).await;
    server.set(|s| s.cache_control = Some("max-age=60".into()));
    let v = validator_for(&server.url(JWKS), JwksOptions::default());
    let t = token(&k, ISS);
    assert!(v.validate(&t).await.is_ok());
    let mut enc = k.public_jwk();
    enc["use"] = json!("enc");
    server.set(|s| s.keys = vec![enc]);
    advance(Duration::from_secs(61)).await;
    assert!(v.validate(&t).await.is_ok(), "stale keys served; a refresh starts");
    until(|| v.stats().fetch_failures == 1).await;
    for _ in 0..10 {
        assert!(v.validate(&t).await.is_ok(), "the last good keys still verify");
        tokio::task::yield_now().await;
    }
    assert_eq!(server.hits(JWKS), 2, "backing off: no fetch on every request");
    advance(Duration::from_millis(1001)).await;
    assert!(v.validate(&t).await.is_ok());
    until(|| server.hits(JWKS) == 3).await;
}

/// A provider that moves its `jwks_uri` is followed without a restart: the old URL answering
/// 404 sends the refresh back to the metadata.
#[tokio::test(start_paused = true)]
async fn a_moved_jwks_uri_is_followed_through_the_metadata() {
    let (old, new) = (key(ES, "old"), key(ES, "new"));
    let server = TestServer::start(vec![old.public_jwk()]).await;
    let v = discovering(&server);
    assert!(v.validate(&token(&old, server.base())).await.is_ok());
    assert_eq!((server.hits(OIDC), server.hits(JWKS)), (1, 1));

    // Rotation: the new key is published only at the new location, the old one is gone.
    server.set(|s| {
        s.keys = vec![new.public_jwk()];
        s.discovered_jwks = Some(KEYS);
        s.status = 404;
    });
    let result = v.validate(&token(&new, server.base())).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!((server.hits(OIDC), server.hits(JWKS), server.hits(KEYS)), (2, 2, 1));
}

/// The metadata's own freshness ends: it is read again on the next key refresh.
#[tokio::test(start_paused = true)]
async fn the_metadata_is_read_again_when_its_freshness_ends() {
    let k = key(ES, "a");
    let server = TestServer::start(vec![k.public_jwk()]).await;
    let v = discovering(&server);
    assert!(v.validate(&token(&k, server.base())).await.is_ok());
    assert_eq!(server.hits(OIDC), 1);
    // Default TTL 5 min for both documents (no max-age): past it, the next fetch resolves again.
    advance(Duration::from_secs(301)).await;
    assert!(v.validate(&token(&k, server.base())).await.is_ok());
    until(|| server.hits(JWKS) >= 2).await;
    assert_eq!(server.hits(OIDC), 2);
}

/// Re-reading the metadata adds no new way to fail: while it is out of reach, keys are still
/// fetched from the last `jwks_uri` it named.
#[tokio::test(start_paused = true)]
async fn keys_are_fetched_from_the_last_jwks_uri_while_the_metadata_is_down() {
    let (old, new) = (key(ES, "old"), key(ES, "new"));
    let server = TestServer::start(vec![old.public_jwk()]).await;
    let v = discovering(&server);
    assert!(v.validate(&token(&old, server.base())).await.is_ok());
    advance(Duration::from_secs(301)).await; // past the metadata's freshness
    server.set(|s| {
        s.oidc_discovery = false;
        s.oauth_discovery = false;
        s.keys = vec![new.public_jwk()];
    });
    let result = v.validate(&token(&new, server.base())).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!((server.hits(OIDC), server.hits(OAUTH), server.hits(JWKS)), (2, 1, 2));
}
