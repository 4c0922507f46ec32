//! The handles, with the `metrics` feature: resolved once, when the validator is built.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use ::metrics::{Counter, Gauge, Histogram, Unit, describe_counter, describe_gauge, describe_histogram};

use super::names;

/// A counter registered with the recorder in force when it was made.
#[derive(Debug, Clone)]
pub(crate) struct Meter(Counter);

impl Default for Meter {
    fn default() -> Self {
        Meter(Counter::noop())
    }
}

impl Meter {
    /// The counter `name` with `labels`, registered now.
    pub(crate) fn new(name: &'static str, labels: &[(&'static str, &'static str)]) -> Meter {
        let labels: Vec<::metrics::Label> =
            labels.iter().map(|&(k, v)| ::metrics::Label::new(k, v)).collect();
        // Registered now, so the series is there (at 0) before its first event.
        Meter(::metrics::counter!(name, labels))
    }

    #[inline]
    pub(crate) fn inc(&self) {
        self.0.increment(1);
    }
}

/// A gauge registered with the recorder in force when it was made.
#[derive(Debug, Clone)]
pub(crate) struct Level(Gauge);

impl Default for Level {
    fn default() -> Self {
        Level(Gauge::noop())
    }
}

impl Level {
    /// The gauge `name`, labelled `label` = `value` when one is given.
    pub(crate) fn new(name: &'static str, label: Option<(&'static str, String)>) -> Level {
        Level(match label {
            Some((key, value)) => ::metrics::gauge!(name, key => value),
            None => ::metrics::gauge!(name),
        })
    }

    pub(crate) fn set(&self, value: f64) {
        self.0.set(value);
    }

    /// Sets the gauge to the Unix time now, in seconds.
    pub(crate) fn set_to_now(&self) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
        self.0.set(now);
    }
}

/// The validation-time histogram.
#[derive(Debug, Clone)]
pub(crate) struct Timer(Histogram);

impl Default for Timer {
    fn default() -> Self {
        Timer(Histogram::noop())
    }
}

impl Timer {
    pub(crate) fn new() -> Timer {
        Timer(::metrics::histogram!(names::VALIDATION_DURATION))
    }

    /// The moment a timed step starts.
    #[inline]
    pub(crate) fn start(&self) -> Started {
        Started(Instant::now())
    }

    /// Records the time since `started`.
    #[inline]
    pub(crate) fn stop(&self, started: Started) {
        self.0.record(started.0.elapsed().as_secs_f64());
    }
}

/// When a timed step started.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Started(Instant);

/// Gives the recorder each series' unit and help text.
pub(crate) fn describe() {
    use names::*;
    describe_counter!(VALIDATIONS, Unit::Count, "Tokens judged, by path (cache, full) and outcome.");
    describe_counter!(REJECTIONS, Unit::Count, "Refusals by reason, request-level reasons included.");
    describe_counter!(JWKS_FETCHES, Unit::Count, "Key-set refreshes started.");
    describe_counter!(JWKS_FETCH_FAILURES, Unit::Count, "Key-set refreshes that failed.");
    describe_counter!(DISCOVERY_FETCHES, Unit::Count, "Issuer metadata documents requested.");
    describe_counter!(DISCOVERY_FETCH_FAILURES, Unit::Count, "Issuer metadata requests that failed.");
    describe_counter!(JWKS_STALE_SERVES, Unit::Count, "Validations with keys past their TTL.");
    describe_counter!(JWKS_UNKNOWN_KID_REFRESHES, Unit::Count, "Refreshes caused by an unknown kid.");
    describe_counter!(
        JWKS_UNKNOWN_KID_SUPPRESSED,
        Unit::Count,
        "Unknown-kid refreshes refused by the cooldown."
    );
    describe_counter!(INTROSPECTION_CALLS, Unit::Count, "Calls to the introspection endpoint.");
    describe_counter!(INTROSPECTION_FAILURES, Unit::Count, "Introspection calls that failed.");
    describe_counter!(INTROSPECTION_CACHE_HITS, Unit::Count, "Opaque tokens answered from a cached answer.");
    describe_histogram!(VALIDATION_DURATION, Unit::Seconds, "Time of each full-path token verification.");
    describe_gauge!(JWKS_LAST_REFRESH, Unit::Seconds, "Unix time of the key set's last successful refresh.");
    describe_gauge!(JWKS_AGE, Unit::Seconds, "Seconds since the key set's last successful refresh.");
    describe_gauge!(READY, "1 when every issuer has usable keys, else 0.");
}
