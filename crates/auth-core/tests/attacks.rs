//! Algorithms and the attacks on them: the allow-list, the key deciding the algorithm, key
//! confusion, `alg: none`, keys smuggled in headers, unusable keys, weak keys, `crit`, tampering.

#![cfg(feature = "dev-issuer")]

mod common;

use auth_core::dev_issuer::SigningKey;
use auth_core::{Algorithm, StaticKey, TokenProblem, Validator};
use aws_lc_rs::hmac;
use common::*;
use serde_json::{Value, json};

/// Every algorithm with the validator's view of it.
#[tokio::test]
async fn every_algorithm_is_accepted_when_allowed() {
    for alg in Algorithm::ALL {
        let claims = validator(alg).validate(&token(alg, &good_claims())).await;
        let claims = claims.unwrap_or_else(|e| panic!("{alg}: {e:?}"));
        assert_eq!(claims.algorithm(), Some(alg));
        assert_eq!(claims.key_id(), Some(key(alg).kid()));
    }
}

#[tokio::test]
async fn public_keys_may_be_given_as_pem_or_der() {
    for alg in Algorithm::ASYMMETRIC {
        let k = key(alg);
        let pem = StaticKey::pem(k.public_key_pem().unwrap());
        let der = StaticKey::der(k.public_key_der().unwrap());
        // With the provider's kid, or none: a key configured without a kid verifies any kid.
        for sk in [pem.clone().with_kid(k.kid()), der.clone().with_kid(k.kid()), pem, der] {
            let v = builder([sk], &[alg]).build().unwrap_or_else(|e| panic!("{alg}: {e}"));
            assert!(v.validate(&token(alg, &good_claims())).await.is_ok(), "{alg}");
        }
    }
}

/// All twelve keys in one operator-given JWKS, so every token's key is trusted.
fn all_keys_jwks() -> StaticKey {
    let keys: Vec<Value> = Algorithm::ALL.iter().map(|a| key(*a).public_jwk()).collect();
    StaticKey::jwks(json!({ "keys": keys }).to_string())
}

#[tokio::test]
async fn algorithms_off_the_allow_list_are_refused_even_with_a_trusted_key() {
    for alg in Algorithm::ALL {
        let others: Vec<Algorithm> = Algorithm::ALL.into_iter().filter(|a| *a != alg).collect();
        let v = builder([all_keys_jwks()], &others).build().unwrap();
        let r = v.validate(&token(alg, &good_claims())).await;
        assert_eq!(problem(r), TokenProblem::AlgorithmNotAllowed, "{alg}");
        let neighbour = others[0];
        assert!(v.validate(&token(neighbour, &good_claims())).await.is_ok(), "{neighbour}");
    }
}

#[tokio::test]
async fn the_default_allow_list_has_no_hmac() {
    let v = Validator::builder()
        .issuer(auth_core::IssuerConfig::static_keys(ISS, [all_keys_jwks()]))
        .audience(AUD)
        .clock(auth_core::ManualClock::new(NOW))
        .build()
        .unwrap();
    for alg in Algorithm::ALL {
        let r = v.validate(&token(alg, &good_claims())).await;
        if alg.is_symmetric() {
            assert_eq!(problem(r), TokenProblem::AlgorithmNotAllowed, "{alg}");
        } else {
            assert!(r.is_ok(), "{alg}");
        }
    }
}

fn jwk_with(k: &SigningKey, changes: Value) -> StaticKey {
    let mut jwk = k.public_jwk();
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            jwk.as_object_mut().unwrap().remove(name);
        } else {
            jwk[name] = value.clone();
        }
    }
    StaticKey::jwk(jwk.to_string())
}

#[tokio::test]
async fn a_jwk_alg_binds_the_key_to_that_algorithm() {
    // The PS256 test key published as an RS256 key: a PS256 token from the very same key is refused.
    let ps = key(Algorithm::PS256);
    let algs = [Algorithm::RS256, Algorithm::PS256];
    let bound = builder([jwk_with(ps, json!({"alg": "RS256"}))], &algs).build().unwrap();
    let t = token(Algorithm::PS256, &good_claims());
    assert_eq!(problem(bound.validate(&t).await), TokenProblem::UnknownKey);
    // Without the binding, the RSA key verifies the PS256 token.
    let unbound = builder([jwk_with(ps, json!({"alg": null}))], &algs).build().unwrap();
    assert!(unbound.validate(&t).await.is_ok());
    // StaticKey::with_algorithm binds the same way.
    let pem =
        StaticKey::pem(ps.public_key_pem().unwrap()).with_kid(ps.kid()).with_algorithm(Algorithm::RS256);
    let bound = builder([pem], &algs).build().unwrap();
    assert_eq!(problem(bound.validate(&t).await), TokenProblem::UnknownKey);
}

#[tokio::test]
async fn the_curve_decides_the_ecdsa_algorithm() {
    let (p256, p384) = (key(Algorithm::ES256), key(Algorithm::ES384));
    let v = builder([jwk_with(p256, json!({"alg": null}))], &[Algorithm::ES256, Algorithm::ES384])
        .build()
        .unwrap();
    let header = json!({"alg": "ES384", "typ": "at+jwt", "kid": p256.kid()});
    let t = p384.sign_jwt(&header, &good_claims());
    assert_eq!(problem(v.validate(&t).await), TokenProblem::UnknownKey);
    // A JWK that claims a P-256 key is for ES384 is refused when the validator is built.
    let err = builder([jwk_with(p256, json!({"alg": "ES384"}))], &[Algorithm::ES384]).build().unwrap_err();
    assert_eq!(err.setting(), "issuers[0].keys[0]");
}

fn hs256(secret: &[u8], header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

#[tokio::test]
async fn an_rsa_public_key_is_never_an_hmac_secret() {
    let rsa = key(Algorithm::RS256);
    let pem = rsa.public_key_pem().unwrap();
    let der = rsa.public_key_der().unwrap();
    let algs = [Algorithm::RS256, Algorithm::HS256];
    let validators = [
        builder([StaticKey::pem(&pem).with_kid(rsa.kid())], &algs).build().unwrap(),
        builder([StaticKey::pem(&pem)], &algs).build().unwrap(),
        builder([StaticKey::der(&der).with_kid(rsa.kid())], &algs).build().unwrap(),
        builder([static_key(rsa)], &algs).build().unwrap(),
    ];
    let jwk_text = rsa.public_jwk().to_string();
    let secrets: [&[u8]; 5] =
        [pem.as_bytes(), pem.trim_end().as_bytes(), &der, jwk_text.as_bytes(), &der[24..]];
    for v in &validators {
        assert!(v.validate(&token(Algorithm::RS256, &good_claims())).await.is_ok(), "the real key works");
        for secret in secrets {
            for header in [json!({"alg": "HS256", "typ": "JWT"}), json!({"alg": "HS256", "kid": rsa.kid()})] {
                let r = v.validate(&hs256(secret, &header, &good_claims())).await;
                assert_eq!(problem(r), TokenProblem::UnknownKey, "{header}");
            }
        }
    }
}

#[tokio::test]
async fn alg_none_in_any_casing_is_refused() {
    let v = builder([all_keys_jwks()], &Algorithm::ALL).build().unwrap();
    let claims = good_claims().to_string();
    for none in ["none", "None", "NONE", "nOnE"] {
        for header in
            [json!({"alg": none}), json!({"alg": none, "typ": "JWT", "kid": key(Algorithm::RS256).kid()})]
        {
            let header = header.to_string();
            // The classic form: an empty signature part.
            let t = format!("{}.{}.", b64(&header), b64(&claims));
            assert_eq!(problem(v.validate(&t).await), TokenProblem::Malformed, "{t}");
            // With some signature bytes it is still refused, for the algorithm.
            let t = forged(&header, &claims, b"sig");
            assert_eq!(problem(v.validate(&t).await), TokenProblem::AlgorithmNotAllowed, "{header}");
        }
    }
    for alg in ["rs256", "HS1", "RSA-OAEP", "", "ES256K", "Ed25519"] {
        let t = forged(&json!({ "alg": alg }).to_string(), &claims, b"sig");
        assert_eq!(problem(v.validate(&t).await), TokenProblem::AlgorithmNotAllowed, "{alg}");
    }
}

#[tokio::test]
async fn keys_embedded_in_the_header_are_never_trusted() {
    for alg in [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA] {
        let v = validator(alg);
        let attacker = other_key(alg);
        let jwk = attacker.public_jwk();
        let x5c = json!([base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            attacker.public_key_der().unwrap()
        )]);
        let smuggled = [
            ("jwk", jwk),
            ("jku", json!("https://attacker.test/jwks.json")),
            ("x5u", json!("https://attacker.test/cert.pem")),
            ("x5c", x5c),
        ];
        for (name, value) in smuggled {
            // Same kid as the trusted key: the trusted key is tried, and the signature fails.
            let mut header = header_for(key(alg), alg);
            header[name] = value.clone();
            let t = attacker.sign_jwt(&header, &good_claims());
            assert_eq!(problem(v.validate(&t).await), TokenProblem::BadSignature, "{alg} {name}");
            // The attacker's own kid: no trusted key has it.
            header["kid"] = json!("attacker-key");
            let t = attacker.sign_jwt(&header, &good_claims());
            assert_eq!(problem(v.validate(&t).await), TokenProblem::UnknownKey, "{alg} {name}");
            // No kid at all: every trusted key is tried, none verifies.
            header.as_object_mut().unwrap().remove("kid");
            let t = attacker.sign_jwt(&header, &good_claims());
            assert_eq!(problem(v.validate(&t).await), TokenProblem::BadSignature, "{alg} {name}");
        }
    }
}

#[tokio::test]
async fn keys_not_meant_for_signatures_are_not_used() {
    let alg = Algorithm::ES256;
    let enc_key = other_key(alg);
    for marks in
        [json!({"use": "enc"}), json!({"key_ops": ["encrypt"]}), json!({"use": null, "key_ops": ["sign"]})]
    {
        // Given alone, the key is a startup error naming it.
        let err = builder([jwk_with(enc_key, marks.clone())], &[alg]).build().unwrap_err();
        assert_eq!(err.setting(), "issuers[0].keys[0]", "{marks}");
        // Inside a JWKS document it is skipped, and tokens it signed are refused.
        let mut unusable = enc_key.public_jwk();
        unusable["kid"] = json!("enc-key");
        for (name, value) in marks.as_object().unwrap() {
            if value.is_null() {
                unusable.as_object_mut().unwrap().remove(name);
            } else {
                unusable[name] = value.clone();
            }
        }
        let doc = json!({ "keys": [key(alg).public_jwk(), unusable] }).to_string();
        let v = builder([StaticKey::jwks(doc)], &[alg]).build().unwrap();
        assert!(v.validate(&token(alg, &good_claims())).await.is_ok());
        let t = enc_key.sign_jwt(&json!({"alg": "ES256", "kid": "enc-key"}), &good_claims());
        assert_eq!(problem(v.validate(&t).await), TokenProblem::UnknownKey, "{marks}");
    }
    // `key_ops` naming `verify` is a signature key.
    let v = builder([jwk_with(key(alg), json!({"key_ops": ["verify"]}))], &[alg]).build().unwrap();
    assert!(v.validate(&token(alg, &good_claims())).await.is_ok());
}

#[tokio::test]
async fn operator_given_jwks_may_hold_hmac_secrets() {
    // Static keys are the operator's: an `oct` key in a configured JWKS document is a shared secret
    // it chose. (A JWKS fetched from the network never yields secrets; that is the cache's test.)
    let hs = key(Algorithm::HS256);
    let doc = json!({ "keys": [hs.public_jwk()] }).to_string();
    let v = builder([StaticKey::jwks(doc)], &[Algorithm::HS256]).build().unwrap();
    assert!(v.validate(&token(Algorithm::HS256, &good_claims())).await.is_ok());
    // A forged tag with another secret is refused.
    let header = header_for(hs, Algorithm::HS256);
    let t = hs256(&[7; 64], &header, &good_claims());
    assert_eq!(problem(v.validate(&t).await), TokenProblem::BadSignature);
}

#[tokio::test]
async fn all_zero_ecdsa_signatures_are_refused() {
    for (alg, len) in [(Algorithm::ES256, 64), (Algorithm::ES384, 96)] {
        let v = validator(alg);
        let header = header_for(key(alg), alg).to_string();
        let claims = good_claims().to_string();
        for sig in [vec![0u8; len], vec![0u8; len / 2], vec![0xff; len], vec![0u8; len + 1]] {
            let t = forged(&header, &claims, &sig);
            assert_eq!(problem(v.validate(&t).await), TokenProblem::BadSignature, "{alg} {}", sig.len());
        }
    }
}

#[test]
fn weak_keys_are_refused_at_startup() {
    // A 1024-bit RSA modulus (top bit set) with e = 65537.
    let mut n = vec![0xc5u8; 128];
    n[127] |= 1;
    let jwk = json!({"kty": "RSA", "kid": "small", "n": b64(&n), "e": "AQAB"}).to_string();
    let err = builder([StaticKey::jwk(jwk)], &[Algorithm::RS256]).build().unwrap_err();
    assert_eq!(err.setting(), "issuers[0].keys[0]");
    assert!(err.to_string().contains("issuers[0].keys[0]"), "{err}");
    assert!(err.message().contains("short"), "{err}");
    // The same check for a second key names that one.
    let k = static_key(key(Algorithm::RS256));
    let jwk = json!({"kty": "RSA", "n": b64(&n), "e": "AQAB"}).to_string();
    let err = builder([k, StaticKey::jwk(jwk)], &[Algorithm::RS256]).build().unwrap_err();
    assert_eq!(err.setting(), "issuers[0].keys[1]");
    // HMAC secrets shorter than the hash.
    let err = builder([StaticKey::hmac(vec![7; 31])], &[Algorithm::HS256]).build().unwrap_err();
    assert_eq!(err.setting(), "issuers[0].keys[0]");
    assert!(builder([StaticKey::hmac(vec![7; 32])], &[Algorithm::HS256]).build().is_ok());
    let err = builder([StaticKey::hmac(vec![7; 32])], &[Algorithm::HS512]).build().unwrap_err();
    assert_eq!(err.setting(), "issuers[0].keys[0]");
}

#[tokio::test]
async fn critical_header_extensions_are_refused() {
    let alg = Algorithm::ES256;
    let (k, v) = (key(alg), validator(alg));
    let with = |crit: Value| {
        let mut h = header_for(k, alg);
        h["crit"] = crit;
        h["b64"] = json!(false);
        k.sign_jwt(&h, &good_claims())
    };
    assert_eq!(problem(v.validate(&with(json!(["b64"]))).await), TokenProblem::UnsupportedCritical);
    assert_eq!(problem(v.validate(&with(json!(["exp", "b64"]))).await), TokenProblem::UnsupportedCritical);
    for bad in [json!([]), json!("b64"), json!([1]), json!({})] {
        assert_eq!(problem(v.validate(&with(bad.clone())).await), TokenProblem::Malformed, "{bad}");
    }
}

#[tokio::test]
async fn tampered_tokens_are_refused() {
    for alg in [Algorithm::HS256, Algorithm::RS256, Algorithm::PS384, Algorithm::ES256, Algorithm::EdDSA] {
        let v = validator(alg);
        let t = token(alg, &good_claims());
        let parts: Vec<&str> = t.split('.').collect();
        // Another payload under the original signature.
        let escalated = b64(claims_with(json!({"sub": "admin", "scope": "admin"})).to_string());
        let swapped = format!("{}.{escalated}.{}", parts[0], parts[2]);
        assert_eq!(problem(v.validate(&swapped).await), TokenProblem::BadSignature, "{alg}");
        // A signature of another token by the same key.
        let other = token(alg, &claims_with(json!({"sub": "someone-else"})));
        let spliced = format!("{}.{}.{}", parts[0], parts[1], other.rsplit('.').next().unwrap());
        assert_eq!(problem(v.validate(&spliced).await), TokenProblem::BadSignature, "{alg}");
        // A token from the attacker's key of the right type and kid.
        let forged = other_key(alg).mint(&good_claims());
        assert_eq!(problem(v.validate(&forged).await), TokenProblem::BadSignature, "{alg}");
        // An unknown kid.
        let h = json!({"alg": alg.as_str(), "kid": "rotated-away"});
        assert_eq!(
            problem(v.validate(&key(alg).sign_jwt(&h, &good_claims())).await),
            TokenProblem::UnknownKey
        );
    }
}
