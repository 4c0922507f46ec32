//! `GET /metrics` on both HTTP Petstores (`PETSTORE_METRICS=1`): the Prometheus text over a real
//! socket, its series moving with the requests made. The recorder is global to this test
//! process and other suites' Petstores count into it too, so counters are compared as
//! increases; gauges are read under the label of this Petstore's own key set.

use petstore_e2e::{Implementation, Petstore, settings, start};
use reqwest::StatusCode;

const ON: &[(&str, &str)] = &[("PETSTORE_METRICS", "1")];

/// The sum of the samples of `name` whose labels include every one of `labels`; `None` when
/// there is no such line.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut found = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else { continue };
        let (series_name, series_labels) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        let wanted =
            labels.iter().all(|(k, v)| series_labels.split(',').any(|l| l == format!("{k}=\"{v}\"")));
        if series_name == name && wanted {
            *found.get_or_insert(0.0) += value.parse::<f64>().unwrap();
        }
    }
    found
}

async fn scrape(http: &reqwest::Client, store: &Petstore) -> String {
    let res = http.get(format!("{}/metrics", store.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/plain; version=0.0.4");
    res.text().await.unwrap()
}

/// What the requests below move, read from one scrape.
fn counts(text: &str) -> [f64; 6] {
    let get = |name, labels: &[(&str, &str)]| sample(text, name, labels).unwrap_or(0.0);
    [
        get("auth_validations_total", &[("path", "full"), ("outcome", "accepted")]),
        get("auth_validations_total", &[("path", "cache"), ("outcome", "accepted")]),
        get("auth_rejections_total", &[("reason", "missing_token")]),
        get("auth_rejections_total", &[("reason", "malformed")]),
        get("auth_rejections_total", &[("reason", "insufficient_scope")]),
        get("auth_validation_duration_seconds_count", &[]),
    ]
}

#[tokio::test]
async fn metrics_are_served_and_move_on_both_petstores() {
    let http = reqwest::Client::new();
    for implementation in Implementation::ALL {
        let store = start(implementation, ON).await;
        let dev = store.dev.as_ref().unwrap();
        let before = counts(&scrape(&http, &store).await);

        let pets = format!("{}/pets", store.base);
        for _ in 0..2 {
            let res = http.get(&pets).bearer_auth(&dev.token).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{implementation:?}");
        }
        assert_eq!(http.get(&pets).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
        let garbage = http.get(&pets).bearer_auth("not.a.jwt").send().await.unwrap();
        assert_eq!(garbage.status(), StatusCode::UNAUTHORIZED);
        let delete = http.delete(format!("{pets}/1")).bearer_auth(&dev.token).send().await.unwrap();
        assert_eq!(delete.status(), StatusCode::FORBIDDEN, "{implementation:?}: admin needed");

        let text = scrape(&http, &store).await;
        let after = counts(&text);
        let moved = [
            "full accepted",
            "cache accepted",
            "missing_token",
            "malformed",
            "insufficient_scope",
            "timed",
            "jwks fetches",
        ];
        for ((what, b), a) in moved.iter().zip(before).zip(after) {
            assert!(a >= b + 1.0, "{implementation:?}: {what} went from {b} to {a}");
        }
        // Keys are fetched by the warm-up, which may be before the first scrape.
        assert!(sample(&text, "auth_jwks_fetches_total", &[]).unwrap() >= 1.0, "{implementation:?}");
        assert!(
            sample(&text, "auth_validation_duration_seconds_bucket", &[("le", "0.00005")]).is_some(),
            "{implementation:?}: the histogram has the documented buckets"
        );
        // This Petstore's key set, by its configured JWKS URL: loaded, its age set by the scrape.
        let uri = dev.issuer.jwks_uri();
        let jwks = [("jwks", uri.as_str())];
        let refreshed = sample(&text, "auth_jwks_last_refresh_timestamp_seconds", &jwks).unwrap();
        assert!(refreshed > 1.7e9, "{implementation:?}: a Unix time, {refreshed}");
        let age = sample(&text, "auth_jwks_age_seconds", &jwks).unwrap();
        assert!((0.0..600.0).contains(&age), "{implementation:?}: age {age}");
        assert!(sample(&text, "auth_ready", &[]).is_some(), "{implementation:?}");
        assert!(!text.contains(&dev.token), "never a token in a label");
        assert!(text.contains("# TYPE auth_rejections_total counter"), "{implementation:?}");
    }
}

#[tokio::test]
async fn without_the_setting_metrics_is_an_unknown_route() {
    let http = reqwest::Client::new();
    for implementation in Implementation::ALL {
        let store = start(implementation, &[("PETSTORE_METRICS", "0")]).await;
        let res = http.get(format!("{}/metrics", store.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{implementation:?}");
    }
    let err = settings(&[("PETSTORE_METRICS", "yes")]).unwrap_err();
    assert_eq!(err.setting(), "PETSTORE_METRICS");
}
