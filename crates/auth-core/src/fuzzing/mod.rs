//! The harnesses of the fuzz targets in the repository's `fuzz/` directory: each takes the bytes
//! a fuzzer made, hands them to one parser, and panics when an invariant breaks (a panic is what
//! a fuzzer reports as a crash). The corpus replay test in `tests/fuzz_props.rs` runs every seed
//! and every crash regression through these same functions.
//!
//! Not a stable API: only with the `fuzzing` feature, hidden from the docs, and free to change in
//! any release.

// A harness reports a broken invariant by panicking: that is what a fuzzer counts as a crash.
#![allow(clippy::panic)]

mod dpop;
mod introspection;
mod jwks;
mod request;
mod token;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

pub use dpop::DpopProofTarget;
pub use introspection::introspection_answer;
pub use jwks::jwks_document;
pub use request::RequestTarget;
pub use token::{TokenTarget, sign_hs256};

/// The fixed "now" of every harness, so that the committed seed tokens never expire.
pub const NOW: i64 = 1_700_000_000;
/// The issuer the harnesses trust.
pub const ISSUER: &str = "https://issuer.fuzz.invalid";
/// The audience the harnesses require.
pub const AUDIENCE: &str = "fuzz-api";
/// The HMAC secret the harnesses trust for `HS256`: the token target signs with it what starts
/// with `{` (see [`TokenTarget::run`]).
pub const HMAC_SECRET: &[u8] = b"auth-core fuzzing secret, 32+ bytes, not a real one";

/// The shortest run of input bytes that must not appear in what a client is told: long enough
/// that the fixed texts of a rejection do not match by chance.
const ECHO_WINDOW: usize = 24;

/// Polls `future` once. Every path the harnesses drive has its keys at hand and no store that
/// waits, so a future that is not ready at once is a bug of its own.
fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a validation with static keys waited"),
    }
}

/// Panics when the client-facing parts of `rejection` (its body and header values) hold a run of
/// [`ECHO_WINDOW`] bytes of `input`: rejections carry fixed texts, never what the client sent.
fn assert_no_echo(rejection: &crate::Rejection, input: &[u8]) {
    let mut told = rejection.body().as_bytes().to_vec();
    for (_, value) in rejection.headers() {
        told.push(b'\n');
        told.extend_from_slice(value.as_bytes());
    }
    assert_no_echo_in(&told, input);
}

fn assert_no_echo_in(told: &[u8], input: &[u8]) {
    if told.len() < ECHO_WINDOW || input.len() < ECHO_WINDOW {
        return;
    }
    let windows: std::collections::HashSet<&[u8]> = told.windows(ECHO_WINDOW).collect();
    if let Some(run) = input.windows(ECHO_WINDOW).find(|w| windows.contains(w)) {
        panic!(
            "a rejection echoes the input: {:?} in {:?}",
            String::from_utf8_lossy(run),
            String::from_utf8_lossy(told)
        );
    }
}

/// Panics unless accepted `claims` meet the rules every harness configures: the trusted issuer,
/// the audience, and a lifetime that includes [`NOW`] (with the default leeway).
fn assert_acceptable(claims: &crate::Claims) {
    let registered = claims.registered();
    assert!(registered.iss().is_none_or(|iss| iss == ISSUER), "accepted a foreign issuer: {claims:?}");
    assert!(registered.aud().any(|aud| aud == AUDIENCE), "accepted another audience: {claims:?}");
    let leeway = i64::try_from(crate::DEFAULT_LEEWAY.as_secs()).unwrap_or(i64::MAX);
    if let Some(exp) = registered.exp() {
        assert!(exp.saturating_add(leeway) > NOW, "accepted an expired token: {claims:?}");
    }
    if let Some(nbf) = registered.nbf() {
        assert!(nbf.saturating_sub(leeway) <= NOW, "accepted a token not yet valid: {claims:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_echo_is_found_anywhere_and_short_runs_are_not_one() {
        let told = b"{\"error\":\"invalid_token\",\"error_description\":\"the token has expired\"}";
        let secret = b"user-4711-secret-subject-and-more";
        let mut leaking = told.to_vec();
        leaking.extend_from_slice(secret);
        assert!(std::panic::catch_unwind(|| assert_no_echo_in(&leaking, secret)).is_err());
        assert_no_echo_in(told, secret);
        // Shorter than the window: fixed words such as `invalid_token` are not an echo.
        assert_no_echo_in(told, b"x invalid_token y");
    }
}
