//! `GET /metrics` on the HTTP Petstores (`PETSTORE_METRICS=1`): the validator's series (see
//! `auth_core::metrics`) in the Prometheus text format, rendered by `metrics-exporter-prometheus`
//! with no HTTP listener of its own: the Petstore's router serves the text, public like `/health`.
//!
//! The recorder is global to the process: [`Metrics::install`] installs it once, and every later
//! call (another Petstore in the same process, as in the end-to-end tests) shares it. It runs
//! before the validator is built, since a validator registers its series with the recorder in
//! force at build time.

use std::sync::OnceLock;
use std::time::Duration;

use auth_core::Validator;
use auth_core::metrics::{VALIDATION_DURATION_BUCKETS, names};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::auth::StartupError;

/// The `Content-Type` of `GET /metrics`: the Prometheus text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// How often histogram samples are folded into their buckets between scrapes, so memory stays
/// bounded however long no one scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process's Prometheus recorder, what `GET /metrics` renders.
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
}

impl Metrics {
    /// Installs the Prometheus recorder as the process's global `metrics` recorder, once; later
    /// calls return the same one. Fails when another recorder was installed first.
    pub fn install() -> Result<Metrics, StartupError> {
        static INSTALLED: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
        let installed = INSTALLED.get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(names::VALIDATION_DURATION.into()),
                    &VALIDATION_DURATION_BUCKETS,
                )
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|e| e.to_string())?;
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_EVERY);
                        upkeep.run_upkeep();
                    }
                })
                .map_err(|e| e.to_string())?;
            Ok(handle)
        });
        match installed {
            Ok(handle) => Ok(Metrics { handle: handle.clone() }),
            Err(e) => Err(StartupError::Metrics(e.clone())),
        }
    }

    /// The scrape's text. Readiness is computed first, so `auth_ready` and the key sets'
    /// `auth_jwks_age_seconds` are as of this scrape.
    pub fn render(&self, validator: &Validator) -> String {
        validator.is_ready();
        self.handle.render()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use crate::{PETSTORE_METRICS, Settings};

    fn metrics(value: Option<&str>) -> Result<bool, auth_core::ConfigError> {
        Settings::from_lookup(|name| (name == PETSTORE_METRICS).then(|| value.map(str::to_owned)).flatten())
            .map(|s| s.metrics)
    }

    #[test]
    fn petstore_metrics_is_0_or_1() {
        assert!(!metrics(None).unwrap(), "off by default");
        assert!(!metrics(Some("")).unwrap(), "empty is unset");
        assert!(!metrics(Some("0")).unwrap());
        assert!(metrics(Some("1")).unwrap());
        for bad in ["yes", "true", "2"] {
            let err = metrics(Some(bad)).unwrap_err();
            assert_eq!(err.setting(), PETSTORE_METRICS);
            assert!(err.to_string().contains(bad), "{err}");
        }
    }
}
