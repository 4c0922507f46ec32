//! Property tests: whatever arrives as a token or an `Authorization` header, `validate` and
//! `bearer_token` return (never panic), and only tokens that meet every rule are accepted.

#![cfg(feature = "dev-issuer")]

mod common;

use auth_core::{Algorithm, StaticKey, Validator, bearer_token};
use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};
use tokio::runtime::Runtime;

const CASES: u32 = 256;

fn runner() -> TestRunner {
    TestRunner::new(Config { cases: CASES, failure_persistence: None, ..Config::default() })
}

/// A current-thread runtime and a validator trusting one key of every algorithm.
fn setup() -> (Runtime, Validator) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let keys: Vec<Value> = Algorithm::ALL.iter().map(|a| key(*a).public_jwk()).collect();
    let jwks = StaticKey::jwks(json!({ "keys": keys }).to_string());
    let v = builder([jwks], &Algorithm::ALL).build().unwrap();
    (rt, v)
}

fn claim_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "iss",
            "sub",
            "aud",
            "exp",
            "nbf",
            "iat",
            "jti",
            "client_id",
            "azp",
            "scope",
            "scp",
            "alg",
            "kid",
            "typ",
            "crit",
            "jwk",
            "jku",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,6}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        (NOW - 400..NOW + 400).prop_map(Value::from),
        ".{0,16}".prop_map(Value::from),
        prop::sample::select(vec![ISS, AUD, "at+jwt", "JWT", "none", "RS256", "HS256", "b64"])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(claim_name(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(claim_name(), json_value(), 0..8).prop_map(|m| m.into_iter().collect())
}

/// A header: random members, usually with a real or plausible `alg` and a known or random `kid`.
fn header() -> impl Strategy<Value = Value> {
    let alg = prop_oneof![
        4 => prop::sample::select(Algorithm::ALL.to_vec()).prop_map(|a| json!(a.as_str())),
        1 => json_value(),
    ];
    let kid = prop_oneof![
        prop::sample::select(Algorithm::ALL.to_vec()).prop_map(|a| json!(key(a).kid())),
        json_value(),
    ];
    (json_object(), alg, proptest::option::of(kid)).prop_map(|(mut h, alg, kid)| {
        h.insert("alg".into(), alg);
        match kid {
            Some(k) => h.insert("kid".into(), k),
            None => h.remove("kid"),
        };
        Value::Object(h)
    })
}

fn b64ish() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_=+/.-]{0,60}"
}

/// What acceptance promises: every rule of the validator holds for the claims.
fn assert_accepted_claims_are_valid(claims: &auth_core::Claims) -> Result<(), TestCaseError> {
    let r = claims.registered();
    prop_assert_eq!(r.iss(), Some(ISS));
    prop_assert!(r.aud().any(|a| a == AUD));
    prop_assert!(r.exp().is_some_and(|exp| NOW < exp.saturating_add(60)));
    prop_assert!(r.nbf().is_none_or(|nbf| nbf <= NOW + 60));
    prop_assert!(r.iat().is_none_or(|iat| iat <= NOW + 60));
    Ok(())
}

#[test]
fn random_bytes_are_refused_without_panicking() {
    let (rt, v) = setup();
    runner()
        .run(&prop::collection::vec(any::<u8>(), 0..600), |bytes| {
            let text = String::from_utf8_lossy(&bytes);
            prop_assert!(rt.block_on(v.validate(&text)).is_err());
            if let Ok(token) = bearer_token(&bytes) {
                prop_assert!(!token.is_empty() && text.contains(token));
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn random_strings_are_refused_without_panicking() {
    let (rt, v) = setup();
    runner()
        .run(&any::<String>(), |s| {
            prop_assert!(rt.block_on(v.validate(&s)).is_err());
            let _ = bearer_token(s.as_bytes());
            let header = format!("Bearer {s}");
            if let Ok(token) = bearer_token(header.as_bytes()) {
                prop_assert!(rt.block_on(v.validate(token)).is_err());
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn three_part_strings_are_refused_without_panicking() {
    let (rt, v) = setup();
    runner()
        .run(&(b64ish(), b64ish(), b64ish()), |(h, p, s)| {
            let token = format!("{h}.{p}.{s}");
            prop_assert!(rt.block_on(v.validate(&token)).is_err());
            let header = format!("Bearer {token}");
            let _ = bearer_token(header.as_bytes());
            Ok(())
        })
        .unwrap();
}

#[test]
fn token_shaped_input_with_random_json_and_signature_is_refused() {
    let (rt, v) = setup();
    let strategy = (header(), json_value(), prop::collection::vec(any::<u8>(), 1..200));
    runner()
        .run(&strategy, |(h, payload, sig)| {
            let token = forged(&h.to_string(), &payload.to_string(), &sig);
            prop_assert!(rt.block_on(v.validate(&token)).is_err(), "accepted a forged token: {}", h);
            let header = format!("Bearer {token}");
            prop_assert_eq!(bearer_token(header.as_bytes()), Ok(token.as_str()));
            Ok(())
        })
        .unwrap();
}

#[test]
fn validly_signed_random_claims_are_accepted_only_when_every_rule_holds() {
    let (rt, v) = setup();
    let base = prop_oneof![Just(good_claims()), Just(json!({}))];
    let strategy = (prop::sample::select(Algorithm::ALL.to_vec()), base, json_object(), header());
    runner()
        .run(&strategy, |(alg, base, changes, extra_header)| {
            let mut claims = base;
            for (k, val) in changes {
                claims[k] = val;
            }
            let k = key(alg);
            let mut h = extra_header;
            h["alg"] = json!(alg.as_str());
            h["kid"] = json!(k.kid());
            let token = k.sign_jwt(&h, &claims);
            if let Ok(accepted) = rt.block_on(v.validate(&token)) {
                assert_accepted_claims_are_valid(&accepted)?;
                prop_assert_eq!(accepted.algorithm(), Some(alg));
            }
            Ok(())
        })
        .unwrap();
}

mod dpop {
    //! Whatever arrives in a `DPoP` header, the pipeline answers (never panics), and a proof is
    //! accepted only when every rule holds.

    use std::sync::OnceLock;

    use auth_core::dev_issuer::DpopKey;
    use auth_core::{AuthError, Authentication, Authenticator, Outcome};

    use super::*;

    const TARGET: &str = "http://api.example.com/pets";

    fn dpop_key() -> &'static DpopKey {
        static KEY: OnceLock<DpopKey> = OnceLock::new();
        KEY.get_or_init(|| DpopKey::generate(Algorithm::ES256).unwrap())
    }

    fn authenticator() -> Authenticator {
        Authenticator::new(builder([static_key(key(Algorithm::ES256))], &[Algorithm::ES256]).build().unwrap())
    }

    fn bound_token() -> String {
        key(Algorithm::ES256).mint(&claims_with(json!({ "cnf": { "jkt": dpop_key().thumbprint() } })))
    }

    fn run(rt: &Runtime, a: &Authenticator, req: &Req) -> Outcome {
        match a.authenticate(req) {
            Authentication::Ready(outcome) => outcome,
            Authentication::Pending(pending) => rt.block_on(pending),
        }
    }

    #[test]
    fn random_proofs_are_refused_without_panicking() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let a = authenticator();
        let token = bound_token();
        let strategy = prop_oneof![
            prop::collection::vec(any::<u8>(), 0..600).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
            (b64ish(), b64ish(), b64ish()).prop_map(|(h, p, s)| format!("{h}.{p}.{s}")),
            (header(), json_value(), prop::collection::vec(any::<u8>(), 1..100))
                .prop_map(|(h, p, s)| forged(&h.to_string(), &p.to_string(), &s)),
        ];
        runner()
            .run(&strategy, |proof| {
                if let Ok(value) = http::HeaderValue::from_str(&proof) {
                    let req = Req::dpop(&token, value.to_str().unwrap_or_default());
                    let outcome = run(&rt, &a, &req);
                    prop_assert!(matches!(
                        outcome.as_ref().map_err(|r| r.error()),
                        Err(AuthError::InvalidDpopProof(_) | AuthError::InvalidRequest(_))
                    ));
                }
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn signed_proofs_with_random_claims_pass_only_when_every_rule_holds() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let a = authenticator();
        let token = bound_token();
        let changes = prop::collection::btree_map(
            prop::sample::select(vec!["htm", "htu", "iat", "jti", "ath", "nonce", "typ"]),
            json_value(),
            0..4,
        );
        runner()
            .run(&changes, |changes| {
                let mut proof = dpop_key().proof("GET", TARGET).access_token(&token).issued_at(NOW);
                for (name, value) in &changes {
                    proof = proof.claim(name, value.clone());
                }
                let text = proof.sign();
                let payload: Value = {
                    let part = text.split('.').nth(1).unwrap();
                    serde_json::from_slice(
                        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, part)
                            .unwrap(),
                    )
                    .unwrap()
                };
                if run(&rt, &a, &Req::dpop(&token, &text)).is_ok() {
                    prop_assert_eq!(&payload["htm"], "GET");
                    let htu = payload["htu"].as_str().unwrap_or_default().to_ascii_lowercase();
                    prop_assert!(htu.starts_with("http://api.example.com"), "{}", htu);
                    let iat = payload["iat"].as_f64().unwrap();
                    prop_assert!((NOW - 60) as f64 <= iat.floor() && iat.floor() <= (NOW + 60) as f64);
                    prop_assert!(payload["jti"].as_str().is_some_and(|j| !j.is_empty()));
                }
                Ok(())
            })
            .unwrap();
    }
}

/// Every seed of every fuzz target's corpus (`fuzz/corpus/<target>/`) and every crash regression
/// (`fuzz/regressions/<target>/`), run through the harnesses the fuzzers run: none panics, and
/// the seeds that are valid (named `valid-*`, `signed-good`, `active*`…) are accepted, so the
/// corpus still reaches past the signature.
mod corpus {
    use std::path::{Path, PathBuf};

    use auth_core::__fuzz::{
        DpopProofTarget, RequestTarget, TokenTarget, introspection_answer, jwks_document,
    };

    fn fuzz_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
    }

    fn trusted_jwks() -> String {
        std::fs::read_to_string(fuzz_dir().join("keys/jwks.json")).expect("fuzz/keys/jwks.json")
    }

    /// Runs `run` on every file of `corpus/<target>` and `regressions/<target>`; returns the
    /// names of the inputs it accepted and the number of files run.
    fn replay(target: &str, run: impl Fn(&[u8]) -> bool) -> (Vec<String>, usize) {
        let mut accepted = Vec::new();
        let mut count = 0;
        for dir in ["corpus", "regressions"] {
            let Ok(entries) = std::fs::read_dir(fuzz_dir().join(dir).join(target)) else { continue };
            for entry in entries {
                let path = entry.expect("directory entry").path();
                let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
                let data = std::fs::read(&path).expect("corpus file");
                let passed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&data)))
                    .unwrap_or_else(|_| panic!("{target}: {} panicked", path.display()));
                if passed {
                    accepted.push(name);
                }
                count += 1;
            }
        }
        accepted.sort();
        (accepted, count)
    }

    fn assert_accepts(target: &str, run: impl Fn(&[u8]) -> bool, valid: &[&str]) {
        let (accepted, count) = replay(target, run);
        assert!(count >= 10, "{target}: only {count} seed files");
        let mut valid: Vec<String> = valid.iter().map(|s| s.to_string()).collect();
        valid.sort();
        assert_eq!(accepted, valid, "{target}: the accepted seeds");
    }

    #[test]
    fn token_corpus_replays() {
        let target = TokenTarget::new(&trusted_jwks());
        let valid = [
            "valid-RS256",
            "valid-RS384",
            "valid-RS512",
            "valid-PS256",
            "valid-PS384",
            "valid-PS512",
            "valid-ES256",
            "valid-ES384",
            "valid-EdDSA",
            "valid-HS256",
            "audience-array",
            "jwt-typ",
            "signed-good",
            "signed-escapes",
            "signed-number-forms",
            "signed-scopes",
            "signed-whitespace",
        ];
        assert_accepts("token", |d| target.run(d), &valid);
    }

    #[test]
    fn jwks_corpus_replays() {
        let (accepted, count) = replay("jwks", |d| jwks_document(d) > 0);
        assert!(count >= 10, "jwks: only {count} seed files");
        for name in ["all", "rsa", "ec-p256", "ec-p384", "okp-ed25519", "duplicate-kids", "too-many-keys"] {
            assert!(accepted.iter().any(|a| a == name), "jwks: {name} gave no key ({accepted:?})");
        }
        for name in ["oct-symmetric", "rsa-small-modulus", "ec-off-curve", "use-enc", "keys-not-array"] {
            assert!(!accepted.iter().any(|a| a == name), "jwks: {name} gave a key");
        }
    }

    #[test]
    fn request_corpus_replays() {
        let target = RequestTarget::new(&trusted_jwks());
        let valid = [
            "bearer",
            "bearer-odd-case-spacing",
            "query",
            "cookie",
            "form",
            "dpop",
            "dpop-forwarded",
            "dpop-x-forwarded",
        ];
        assert_accepts("request", |d| target.run(d), &valid);
    }

    #[test]
    fn dpop_proof_corpus_replays() {
        let target = DpopProofTarget::new();
        let valid = [
            "valid-ES256",
            "valid-ES384",
            "valid-RS256",
            "valid-PS256",
            "valid-EdDSA",
            "with-ath-nonce",
            "iat-float",
        ];
        assert_accepts("dpop_proof", |d| target.run(d), &valid);
    }

    #[test]
    fn introspection_corpus_replays() {
        let valid = ["active", "active-minimal", "audience-array", "no-issuer", "scp-array"];
        assert_accepts("introspection", introspection_answer, &valid);
    }
}
