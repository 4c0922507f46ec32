//! Metrics for operators, through the [`metrics`](https://docs.rs/metrics) facade (feature
//! `metrics`): the counters of [`Validator::stats`](crate::Validator::stats), a histogram of
//! validation time, and gauges for the key sets' age and the validator's readiness, for whatever
//! recorder the application installs (for Prometheus, `metrics-exporter-prometheus`).
//!
//! Without the feature nothing is emitted and nothing is spent: the handles below are empty types.
//!
//! # When the series exist
//!
//! A validator registers its series with the recorder in force when
//! [`ValidatorBuilder::build`](crate::ValidatorBuilder::build) runs (the global recorder, or a
//! local one set with `metrics::with_local_recorder` around the build): **install the recorder
//! before building the validator**. A validator built before any recorder was installed emits
//! nothing. Counting then costs one relaxed atomic add per series moved, on handles resolved
//! once at build time (no look-up by name on the request path).
//!
//! Several validators in one process share the series: counters add up, and the gauges hold the
//! value the last validator set.
//!
//! # The series
//!
//! Names follow the Prometheus conventions: `auth_` prefix, `_total` for counters, base units
//! (`_seconds`). No label ever carries a token, a subject or anything else taken from a request:
//! `reason` takes one of the fixed labels of [`AuthError::reason`](crate::AuthError::reason), and
//! `jwks` names a key set by the configured issuer (discovery) or the configured JWKS URL.
//!
//! | Name | Type | Labels | Meaning, and when it moves |
//! |---|---|---|---|
//! | `auth_validations_total` | counter | `path` = `cache` \| `full`, `outcome` = `accepted` \| `rejected` | Every token judged: once per [`Validator::validate`](crate::Validator::validate) and once per request that presented a credential. `path="cache"`: answered from the verified-token cache (a token-cache hit); `path="full"`: signature and claims checked (a token-cache miss, or the cache is off). `outcome` counts the request checks too (DPoP, revocation). |
//! | `auth_rejections_total` | counter | `reason` | Every refusal, by reason: the token's (as `auth_validations_total{outcome="rejected"}`) and the request's own, where no token was judged (`missing_token`, `malformed_authorization`, `multiple_credentials`, …) or after it was (`insufficient_scope`, `insufficient_user_authentication`). |
//! | `auth_jwks_fetches_total` | counter | | Key-set refreshes started (first load, refresh ahead of expiry, after the TTL, unknown `kid`). |
//! | `auth_jwks_fetch_failures_total` | counter | | Refreshes that failed: transport, timeout, status, size, an unreadable JWKS or its metadata, or a JWKS with no usable key while good keys are still held. |
//! | `auth_discovery_fetches_total` | counter | | Issuer metadata documents (OpenID Connect discovery / RFC 8414) requested to find the `jwks_uri`. |
//! | `auth_discovery_fetch_failures_total` | counter | | Those that failed (then the last known `jwks_uri` is used, when there is one). |
//! | `auth_jwks_stale_serves_total` | counter | | Validations that used keys past their TTL (within `max_stale`) because no refresh had succeeded yet. |
//! | `auth_jwks_unknown_kid_refreshes_total` | counter | | Refreshes started because a token named a `kid` the keys lacked. |
//! | `auth_jwks_unknown_kid_suppressed_total` | counter | | Unknown-`kid` refreshes refused by the cooldown (the token failed fast). |
//! | `auth_introspection_calls_total` | counter | | Calls made to the introspection endpoint (RFC 7662). |
//! | `auth_introspection_failures_total` | counter | | Calls that failed (transport, timeout, status, unreadable answer, credentials refused). |
//! | `auth_introspection_cache_hits_total` | counter | `answer` = `active` \| `inactive` | Opaque tokens answered from a cached introspection answer. |
//! | `auth_validation_duration_seconds` | histogram | | Time of each full-path verification (`path="full"`): parsing, waiting for keys when none are usable, signature, claims, introspection. Cache hits are not timed (see below). Buckets for Prometheus: [`VALIDATION_DURATION_BUCKETS`]. |
//! | `auth_jwks_last_refresh_timestamp_seconds` | gauge | `jwks` | Unix time of the key set's last successful refresh. Set when keys are installed. |
//! | `auth_jwks_age_seconds` | gauge | `jwks` | Seconds since the key set's last successful refresh. Set to 0 when keys are installed, and to the current age each time readiness is computed ([`Validator::is_ready`](crate::Validator::is_ready), [`Validator::warm_up`](crate::Validator::warm_up)): call `is_ready` before rendering a scrape for an up-to-date value, or use `time() - auth_jwks_last_refresh_timestamp_seconds` in PromQL. |
//! | `auth_ready` | gauge | | 1 when every issuer has usable keys (fresh or within `max_stale`), else 0, as computed by [`Validator::is_ready`](crate::Validator::is_ready): set when the validator is built and each time `is_ready` or `warm_up` runs. |
//!
//! `reason` is one of: `missing_token`, `malformed_authorization`, `empty_credentials`,
//! `multiple_credentials`, `multiple_authorization_headers`, `unreadable_form_body`, `malformed`,
//! `algorithm_not_allowed`, `type_not_accepted`, `unsupported_critical`, `unknown_issuer`,
//! `unknown_key`, `bad_signature`, `expired`, `not_yet_valid`, `issued_in_future`, `too_old`,
//! `missing_claim`, `wrong_claim_type`, `wrong_audience`, `client_not_allowed`, `rejected`,
//! `inactive`, `revoked`, `insufficient_scope`, `dpop_bound_as_bearer`, `not_dpop_bound`,
//! `dpop_required`, `dpop_missing`, `dpop_multiple`, `dpop_too_large`, `dpop_malformed`,
//! `dpop_wrong_type`, `dpop_algorithm_not_allowed`, `dpop_bad_key`, `dpop_bad_signature`,
//! `dpop_wrong_method`, `dpop_wrong_uri`, `dpop_too_old`, `dpop_from_the_future`,
//! `dpop_wrong_token_hash`, `dpop_wrong_key`, `dpop_replayed`, `use_dpop_nonce`, `unavailable`,
//! `insufficient_user_authentication`.
//!
//! Token-cache hits and misses are `sum by (path) (auth_validations_total)`; accepted tokens are
//! `sum(auth_validations_total{outcome="accepted"})`. The rejection counters start at zero for every
//! reason when the validator is built, so a rate is defined before the first refusal.
//!
//! The validation-time histogram times the full path only: two clock reads and a sample are lost
//! in the tens of microseconds of a signature check, but on a verified-token cache hit (about
//! 200 ns, the path most requests take) they add a fifth to a half again (`ours_hit_timed` in
//! `benches/validate.rs`), for a number that barely varies.
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "metrics")] {
//! use auth_core::{IssuerConfig, StaticKey, Validator};
//!
//! // In a test: a recorder of one's own, in force while the validator is built.
//! let recorder = metrics_util::debugging::DebuggingRecorder::new();
//! let snapshotter = recorder.snapshotter();
//! let validator = metrics::with_local_recorder(&recorder, || {
//!     Validator::builder()
//!         .issuer(IssuerConfig::static_keys("https://idp.example.com", [StaticKey::hmac(vec![7; 32])]))
//!         .audience("api")
//!         .algorithms([auth_core::Algorithm::HS256])
//!         .build()
//! })?;
//! let _ = futures_util::FutureExt::now_or_never(validator.validate("not-a-token"));
//! let moved = snapshotter.snapshot().into_vec().into_iter().any(|(key, _, _, value)| {
//!     key.key().name() == "auth_rejections_total"
//!         && key.key().labels().any(|l| l.value() == "malformed")
//!         && value == metrics_util::debugging::DebugValue::Counter(1)
//! });
//! assert!(moved);
//! # }
//! # Ok::<(), auth_core::ConfigError>(())
//! ```

/// Upper bounds (seconds) suggested for `auth_validation_duration_seconds` buckets: from 50 µs
/// (a signature and claims check) to 5 s (a wait for keys or an introspection call bounded by
/// `max_wait`). With `metrics-exporter-prometheus`:
/// `PrometheusBuilder::new().set_buckets_for_metric(Matcher::Full(names::VALIDATION_DURATION.into()), &VALIDATION_DURATION_BUCKETS)`.
pub const VALIDATION_DURATION_BUCKETS: [f64; 16] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0,
];

/// The series' names, as in the table above.
pub mod names {
    /// Counter: tokens judged, by `path` and `outcome`.
    pub const VALIDATIONS: &str = "auth_validations_total";
    /// Counter: refusals by `reason`.
    pub const REJECTIONS: &str = "auth_rejections_total";
    /// Counter: key-set refreshes started.
    pub const JWKS_FETCHES: &str = "auth_jwks_fetches_total";
    /// Counter: key-set refreshes that failed.
    pub const JWKS_FETCH_FAILURES: &str = "auth_jwks_fetch_failures_total";
    /// Counter: issuer metadata documents requested.
    pub const DISCOVERY_FETCHES: &str = "auth_discovery_fetches_total";
    /// Counter: issuer metadata requests that failed.
    pub const DISCOVERY_FETCH_FAILURES: &str = "auth_discovery_fetch_failures_total";
    /// Counter: validations served from keys past their TTL.
    pub const JWKS_STALE_SERVES: &str = "auth_jwks_stale_serves_total";
    /// Counter: refreshes caused by an unknown `kid`.
    pub const JWKS_UNKNOWN_KID_REFRESHES: &str = "auth_jwks_unknown_kid_refreshes_total";
    /// Counter: unknown-`kid` refreshes refused by the cooldown.
    pub const JWKS_UNKNOWN_KID_SUPPRESSED: &str = "auth_jwks_unknown_kid_suppressed_total";
    /// Counter: introspection calls.
    pub const INTROSPECTION_CALLS: &str = "auth_introspection_calls_total";
    /// Counter: introspection calls that failed.
    pub const INTROSPECTION_FAILURES: &str = "auth_introspection_failures_total";
    /// Counter: opaque tokens answered from a cached introspection answer, by `answer`.
    pub const INTROSPECTION_CACHE_HITS: &str = "auth_introspection_cache_hits_total";
    /// Histogram: seconds per full-path verification.
    pub const VALIDATION_DURATION: &str = "auth_validation_duration_seconds";
    /// Gauge: Unix time of a key set's last successful refresh, by `jwks`.
    pub const JWKS_LAST_REFRESH: &str = "auth_jwks_last_refresh_timestamp_seconds";
    /// Gauge: seconds since a key set's last successful refresh, by `jwks`.
    pub const JWKS_AGE: &str = "auth_jwks_age_seconds";
    /// Gauge: 1 when the validator has usable keys for every issuer, else 0.
    pub const READY: &str = "auth_ready";
}

#[cfg(feature = "metrics")]
mod emit;
#[cfg(not(feature = "metrics"))]
mod silent;

#[cfg(feature = "metrics")]
pub(crate) use emit::{Level, Meter, Timer, describe};
#[cfg(not(feature = "metrics"))]
pub(crate) use silent::{Level, Meter, Timer, describe};
