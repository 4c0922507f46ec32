//! Redis faults, with a real server: stopped (fail closed, or open and counted), restarted
//! empty (the instances write their copy back), the subscription killed, a slow or paused
//! server (no request hangs), and no server at all at startup.

use std::collections::BTreeSet;
use std::time::Instant;

use auth_core::Algorithm;
use auth_core::dev_issuer::{DevIssuer, DpopKey};
use petstore_e2e::{Implementation, RedisServer, free_port, redis_command, start, url_for};
use reqwest::{Method, StatusCode};

use super::{
    ADMIN_SCOPES, ANSWER_WITHIN, Cluster, Cred, MAX_STALE, POLL_EVERY, admin, eventually, get,
    revocation_state, token, until_state,
};

#[tokio::test]
async fn a_stopped_redis_fails_closed_and_a_restart_resyncs_from_the_instances() {
    let mut cluster = Cluster::new().await;
    let (a, b) = cluster.pair(&[]).await;
    let good = token(&cluster.idp, "s-good", "c-good").sign();
    let revoked = token(&cluster.idp, "s-out", "c-out").sign();
    assert_eq!(
        admin(&a, Method::POST, &cluster.admin, r#"{"sub": "s-out"}"#).await.status,
        StatusCode::NO_CONTENT
    );
    let (a, b) = (&a, &b);
    let cred = Cred::Bearer(&revoked);
    eventually("refused on B", || async move { get(b, "/pets", cred).await.is_revoked() }).await;

    cluster.redis.stop();
    let good_cred = Cred::Bearer(&good);
    for store in [a, b] {
        eventually("503 once the budget is spent", || async move {
            get(store, "/pets", good_cred).await.status == StatusCode::SERVICE_UNAVAILABLE
        })
        .await;
        get(store, "/pets", good_cred).await.assert_unavailable("fail closed");
        assert_eq!(revocation_state(store).await, "stale", "/health stays 200 and says so");
    }
    admin(a, Method::POST, &cluster.admin, r#"{"sub": "s-during"}"#)
        .await
        .assert_unavailable("revoking meanwhile");

    cluster.redis.restart();
    for store in [a, b] {
        until_state(store, "fresh").await;
        assert_eq!(get(store, "/pets", good_cred).await.status, StatusCode::OK, "served again");
        get(store, "/pets", cred).await.assert_revoked("a revocation from before the outage still holds");
    }
    // An instance that never saw it reads it from the restarted Redis: the others wrote it back.
    let c = cluster.instance(Implementation::Axum, &[]).await;
    get(&c, "/pets", cred).await.assert_revoked("written back to the restarted Redis");
    // And revoking works again, on every instance.
    assert_eq!(
        admin(b, Method::POST, &cluster.admin, r#"{"sub": "s-good"}"#).await.status,
        StatusCode::NO_CONTENT
    );
    let c = &c;
    eventually("revoked after the restart, refused everywhere", || async move {
        get(a, "/pets", good_cred).await.is_revoked() && get(c, "/pets", good_cred).await.is_revoked()
    })
    .await;
}

#[tokio::test]
async fn fail_open_lets_requests_through_and_counts_them() {
    let mut cluster = Cluster::new().await;
    let a = cluster.instance(Implementation::Actix, &[("AUTH_REVOCATION_FAIL", "open")]).await;
    let good = token(&cluster.idp, "s-good", "c-good").sign();
    let revoked = token(&cluster.idp, "s-out", "c-out").sign();
    assert_eq!(
        admin(&a, Method::POST, &cluster.admin, r#"{"sub": "s-out"}"#).await.status,
        StatusCode::NO_CONTENT
    );

    cluster.redis.stop();
    until_state(&a, "stale").await;
    let passes = a.auth.validator.stats().revocation_stale_passes;
    for _ in 0..3 {
        assert_eq!(get(&a, "/pets", Cred::Bearer(&good)).await.status, StatusCode::OK, "fail open");
    }
    let counted = a.auth.validator.stats().revocation_stale_passes;
    assert!(counted >= passes + 3, "every pass counted: {passes} then {counted}");
    get(&a, "/pets", Cred::Bearer(&revoked)).await.assert_revoked("what the replica holds still holds");
    let down = admin(&a, Method::POST, &cluster.admin, r#"{"sub": "s-during"}"#).await;
    down.assert_unavailable("nothing recorded while Redis is down");
    assert_eq!(down.body["error"], "revocations_unavailable");
}

#[tokio::test]
async fn a_killed_subscription_is_resumed() {
    let cluster = Cluster::new().await;
    let (a, b) = cluster.pair(&[]).await;
    let victim = token(&cluster.idp, "s-kill", "c-kill").sign();
    let cred = Cred::Bearer(&victim);
    assert_eq!(get(&b, "/pets", cred).await.status, StatusCode::OK);
    let killed = cluster.redis.command(&["CLIENT", "KILL", "TYPE", "pubsub"]).await.unwrap();
    assert!(matches!(killed, redis::Value::Int(n) if n >= 2), "both subscriptions killed: {killed:?}");
    assert_eq!(
        admin(&a, Method::POST, &cluster.admin, r#"{"sub": "s-kill"}"#).await.status,
        StatusCode::NO_CONTENT
    );
    let b = &b;
    eventually("refused on B after its subscription was killed", || async move {
        get(b, "/pets", cred).await.is_revoked()
    })
    .await;
    until_state(&a, "fresh").await;
    until_state(b, "fresh").await;
}

#[tokio::test]
async fn a_flushed_redis_gets_the_instances_copy_back() {
    let cluster = Cluster::new().await;
    let (a, b) = cluster.pair(&[]).await;
    let victim = token(&cluster.idp, "s-flush", "c-flush").sign();
    let cred = Cred::Bearer(&victim);
    assert_eq!(
        admin(&a, Method::POST, &cluster.admin, r#"{"sub": "s-flush"}"#).await.status,
        StatusCode::NO_CONTENT
    );
    let b = &b;
    eventually("refused on B", || async move { get(b, "/pets", cred).await.is_revoked() }).await;
    // A flush drops no connection: the instances see the missing epoch and write back.
    cluster.redis.command(&["FLUSHALL"]).await.unwrap();
    let redis = &cluster.redis;
    eventually("the list written back to Redis", || async move {
        matches!(redis.command(&["HLEN", "auth:revocations"]).await, Ok(redis::Value::Int(n)) if n >= 1)
    })
    .await;
    let c = cluster.instance(Implementation::Actix, &[]).await;
    until_state(&c, "fresh").await;
    get(&c, "/pets", cred).await.assert_revoked("an instance started after the flush reads it");
    get(&a, "/pets", cred).await.assert_revoked("and the others still hold it");
}

#[tokio::test]
async fn a_slow_redis_never_hangs_a_request() {
    let cluster = Cluster::new().await;
    let a = cluster.instance(Implementation::Axum, &[]).await;
    let key = DpopKey::generate(Algorithm::ES256).unwrap();
    let bound = token(&cluster.idp, "s-slow", "c-slow").bound_to(&key).sign();
    let good = token(&cluster.idp, "s-good", "c-good").sign();
    let url = cluster.redis.url();
    let sleeper = tokio::spawn(async move { redis_command(&url, &["DEBUG", "SLEEP", "3"]).await });
    let mut seen = BTreeSet::new();
    // Every answer comes within ANSWER_WITHIN (`send` fails the test otherwise), whatever it is.
    while !sleeper.is_finished() {
        seen.insert(("bearer", get(&a, "/pets", Cred::Bearer(&good)).await.status.as_u16()));
        seen.insert(("dpop", get(&a, "/pets", Cred::Dpop(&bound, &key)).await.status.as_u16()));
        seen.insert(("health", get(&a, "/health", Cred::None).await.status.as_u16()));
        tokio::time::sleep(POLL_EVERY).await;
    }
    sleeper.await.unwrap().expect("DEBUG SLEEP answered");
    for (what, status) in &seen {
        assert!([200, 503].contains(status), "{what}: {status}");
    }
    assert!(seen.contains(&("bearer", 503)), "fail closed once the budget was spent: {seen:?}");
    assert!(seen.contains(&("dpop", 503)), "a proof Redis cannot record is refused: {seen:?}");
    assert!(!seen.contains(&("health", 503)), "{seen:?}");
    until_state(&a, "fresh").await;
    assert_eq!(get(&a, "/pets", Cred::Bearer(&good)).await.status, StatusCode::OK);
    assert_eq!(get(&a, "/pets", Cred::Dpop(&bound, &key)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_paused_redis_never_hangs_a_request() {
    let cluster = Cluster::new().await;
    let a = cluster.instance(Implementation::Actix, &[]).await;
    let key = DpopKey::generate(Algorithm::ES256).unwrap();
    let bound = token(&cluster.idp, "s-pause", "c-pause").bound_to(&key).sign();
    let good = token(&cluster.idp, "s-good", "c-good").sign();
    assert_eq!(get(&a, "/pets", Cred::Dpop(&bound, &key)).await.status, StatusCode::OK);

    cluster.redis.pause();
    let started = Instant::now();
    let dpop = get(&a, "/pets", Cred::Dpop(&bound, &key)).await;
    dpop.assert_unavailable("a proof Redis cannot record");
    assert!(started.elapsed() < ANSWER_WITHIN, "bounded by the command timeout");
    let (a, good_cred) = (&a, Cred::Bearer(&good));
    eventually("503 once the budget is spent", || async move {
        get(a, "/pets", good_cred).await.status == StatusCode::SERVICE_UNAVAILABLE
    })
    .await;
    assert_eq!(revocation_state(a).await, "stale");
    admin(a, Method::POST, &cluster.admin, r#"{"sub": "s-pause"}"#)
        .await
        .assert_unavailable("revoking meanwhile");

    cluster.redis.resume();
    until_state(a, "fresh").await;
    assert_eq!(get(a, "/pets", good_cred).await.status, StatusCode::OK);
    assert_eq!(get(a, "/pets", Cred::Dpop(&bound, &key)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_redis_unreachable_at_start_is_waited_for() {
    let idp = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let root = idp.token().scope(ADMIN_SCOPES).subject("admin").client_id("admin-console").sign();
    let good = token(&idp, "s-good", "c-good").sign();
    let port = free_port();
    let url = url_for(port);
    let vars =
        [("AUTH_ISSUER", idp.issuer()), ("AUTH_REDIS_URL", &url), ("AUTH_REVOCATION_MAX_STALE", MAX_STALE)];
    let a = start(Implementation::Axum, &vars).await;
    assert_eq!(revocation_state(&a).await, "stale", "startup succeeded; nothing confirmed yet");
    get(&a, "/pets", Cred::Bearer(&good)).await.assert_unavailable("fail closed until Redis answers");
    admin(&a, Method::POST, &root, r#"{"sub": "s-good"}"#).await.assert_unavailable("nothing recorded");

    let _redis = RedisServer::start_on(port);
    until_state(&a, "fresh").await;
    assert_eq!(get(&a, "/pets", Cred::Bearer(&good)).await.status, StatusCode::OK);
}
