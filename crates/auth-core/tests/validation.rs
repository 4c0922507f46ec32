//! Claims rules, profiles, scopes, typed claims, RFC 6750 rendering and configuration errors,
//! exercised through the public API with generated keys and a fixed clock.

#![cfg(feature = "dev-issuer")]

mod common;

use std::time::Duration;

use auth_core::{
    Algorithm, AuthError, ErrorKind, IssuerConfig, ManualClock, Profile, RequestProblem, ScopeRequirement,
    StaticKey, TokenProblem, Validator, ValidatorConfig, bearer_token,
};
use common::*;
use serde_json::{Value, json};

const ALG: Algorithm = Algorithm::ES256;

fn es() -> Validator {
    validator(ALG)
}

async fn check(v: &Validator, claims: Value) -> Result<auth_core::Claims, AuthError> {
    v.validate(&token(ALG, &claims)).await
}

#[tokio::test]
async fn a_good_token_is_accepted_and_exposes_its_claims() {
    let claims = es().validate(&token(ALG, &good_claims())).await.unwrap();
    let r = claims.registered();
    assert_eq!(r.iss(), Some(ISS));
    assert_eq!(r.sub(), Some(SUB));
    assert_eq!(r.aud().collect::<Vec<_>>(), vec![AUD]);
    assert_eq!(r.exp(), Some(NOW + 300));
    assert_eq!(r.iat(), Some(NOW - 10));
    assert_eq!(r.jti(), Some("jti-1"));
    assert_eq!(r.client_id(), Some("client-a"));
    assert_eq!(claims.algorithm(), Some(ALG));
    assert_eq!(claims.key_id(), Some(key(ALG).kid()));
}

#[tokio::test]
async fn typed_claims_deserialize_from_the_verified_payload() {
    #[derive(serde::Deserialize)]
    struct Caller {
        sub: String,
        client_id: String,
        tenant: Tenant,
        #[serde(default)]
        missing: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Tenant {
        id: u32,
        name: String,
    }
    let c = claims_with(json!({"tenant": {"id": 7, "name": "acme"}}));
    let claims = check(&es(), c).await.unwrap();
    let caller: Caller = claims.deserialize().unwrap();
    assert_eq!((caller.sub.as_str(), caller.client_id.as_str()), (SUB, "client-a"));
    assert_eq!((caller.tenant.id, caller.tenant.name.as_str()), (7, "acme"));
    assert_eq!(caller.missing, None);
    assert_eq!(claims.get("tenant").unwrap()["name"], "acme");
    // A type that does not fit is the caller's serde error, not a panic.
    assert!(claims.deserialize::<Vec<String>>().is_err());
}

#[tokio::test]
async fn exp_is_required() {
    let r = check(&es(), claims_with(json!({"exp": null}))).await;
    assert_eq!(problem(r), TokenProblem::MissingClaim("exp"));
}

#[tokio::test]
async fn lifetime_checks_allow_sixty_seconds_of_skew() {
    let cases: [(Value, Option<TokenProblem>); 9] = [
        (json!({"exp": NOW - 59}), None),
        (json!({"exp": NOW - 60}), Some(TokenProblem::Expired)),
        (json!({"exp": NOW - 3600}), Some(TokenProblem::Expired)),
        (json!({"nbf": NOW + 60}), None),
        (json!({"nbf": NOW + 61}), Some(TokenProblem::NotYetValid)),
        (json!({"iat": NOW + 60}), None),
        (json!({"iat": NOW + 61}), Some(TokenProblem::IssuedInFuture)),
        (json!({"exp": (NOW + 10) as f64 + 0.5, "nbf": NOW as f64 - 0.5}), None),
        (json!({"exp": i64::MAX, "iat": i64::MIN}), None),
    ];
    let v = es();
    for (changes, expected) in cases {
        let r = check(&v, claims_with(changes.clone())).await;
        match expected {
            None => assert!(r.is_ok(), "{changes}: {r:?}"),
            Some(p) => assert_eq!(problem(r), p, "{changes}"),
        }
    }
}

#[tokio::test]
async fn leeway_is_configurable() {
    let v = builder([static_key(key(ALG))], &[ALG]).leeway(Duration::ZERO).build().unwrap();
    assert_eq!(problem(check(&v, claims_with(json!({"exp": NOW}))).await), TokenProblem::Expired);
    assert!(check(&v, claims_with(json!({"exp": NOW + 1}))).await.is_ok());
    assert_eq!(problem(check(&v, claims_with(json!({"nbf": NOW + 1}))).await), TokenProblem::NotYetValid);
}

#[tokio::test]
async fn max_token_age_counts_from_iat() {
    let v = builder([static_key(key(ALG))], &[ALG]).max_token_age(Duration::from_secs(300)).build().unwrap();
    assert!(check(&v, claims_with(json!({"iat": NOW - 360}))).await.is_ok(), "300 s + 60 s leeway");
    assert_eq!(problem(check(&v, claims_with(json!({"iat": NOW - 361}))).await), TokenProblem::TooOld);
    assert_eq!(
        problem(check(&v, claims_with(json!({"iat": null}))).await),
        TokenProblem::MissingClaim("iat")
    );
}

#[tokio::test]
async fn the_issuer_must_match_exactly() {
    let v = es();
    for iss in ["https://issuer.test/", "HTTPS://issuer.test", "https://issuer.test ", "https://evil.test"] {
        assert_eq!(
            problem(check(&v, claims_with(json!({ "iss": iss }))).await),
            TokenProblem::UnknownIssuer,
            "{iss}"
        );
    }
    assert_eq!(
        problem(check(&v, claims_with(json!({"iss": null}))).await),
        TokenProblem::MissingClaim("iss")
    );
}

#[tokio::test]
async fn the_audience_may_be_a_string_or_an_array_and_any_configured_one_matches() {
    let v = builder([static_key(key(ALG))], &[ALG]).audience("api2").build().unwrap();
    for aud in [json!("api"), json!("api2"), json!(["other", "api"]), json!(["api2"])] {
        assert!(check(&v, claims_with(json!({ "aud": aud }))).await.is_ok(), "{aud}");
    }
    for aud in [json!("other"), json!(["other", "API"]), json!("api "), json!([])] {
        let expected =
            if aud == json!([]) { TokenProblem::MissingClaim("aud") } else { TokenProblem::WrongAudience };
        assert_eq!(problem(check(&v, claims_with(json!({ "aud": aud }))).await), expected, "{aud}");
    }
    assert_eq!(
        problem(check(&v, claims_with(json!({"aud": null}))).await),
        TokenProblem::MissingClaim("aud")
    );
}

#[tokio::test]
async fn registered_claims_of_the_wrong_json_type_are_refused() {
    let v = es();
    for (name, value) in [
        ("exp", json!("1700000300")),
        ("iss", json!([ISS])),
        ("aud", json!(5)),
        ("aud", json!(["api", 5])),
        ("sub", json!(42)),
        ("nbf", json!(true)),
        ("iat", json!({})),
        ("client_id", json!(["client-a"])),
    ] {
        let r = check(&v, claims_with(json!({ name: value }))).await;
        assert_eq!(problem(r), TokenProblem::WrongClaimType(name), "{name}: {value}");
    }
    let r = check(&v, claims_with(json!({"scope": 5}))).await;
    assert_eq!(problem(r), TokenProblem::WrongClaimType("scope"));
}

#[tokio::test]
async fn duplicate_claim_names_are_malformed() {
    let k = key(ALG);
    let header = header_for(k, ALG).to_string();
    let base = good_claims().to_string();
    let body = base.trim_end_matches('}');
    for extra in [r#","sub":"admin"}"#, r#","exp":99999999999}"#, r#","aud":"api"}"#] {
        let t = raw_token(k, &header, &format!("{body}{extra}"));
        assert_eq!(problem(es().validate(&t).await), TokenProblem::Malformed, "{extra}");
    }
    let dup_header = header.replacen('{', r#"{"alg":"HS256","#, 1);
    let t = raw_token(k, &dup_header, &base);
    assert_eq!(problem(es().validate(&t).await), TokenProblem::Malformed);
}

async fn with_typ(v: &Validator, typ: Option<&str>, claims: &Value) -> Result<auth_core::Claims, AuthError> {
    let k = key(ALG);
    let mut h = header_for(k, ALG);
    match typ {
        Some(t) => h["typ"] = json!(t),
        None => {
            h.as_object_mut().unwrap().remove("typ");
        }
    }
    v.validate(&raw_token(k, &h.to_string(), &claims.to_string())).await
}

#[tokio::test]
async fn the_generic_profile_accepts_jwt_and_at_jwt_types_only() {
    let v = es();
    for typ in [None, Some("JWT"), Some("jwt"), Some("at+jwt"), Some("application/at+jwt"), Some("AT+JWT")] {
        assert!(with_typ(&v, typ, &good_claims()).await.is_ok(), "{typ:?}");
    }
    for typ in ["dpop+jwt", "secevent+jwt", "id_token", ""] {
        let r = with_typ(&v, Some(typ), &good_claims()).await;
        assert_eq!(problem(r), TokenProblem::TypeNotAccepted, "{typ}");
    }
}

#[tokio::test]
async fn the_rfc9068_profile_requires_at_jwt_and_its_claims() {
    let v = builder([static_key(key(ALG))], &[ALG]).profile(Profile::Rfc9068).build().unwrap();
    assert!(with_typ(&v, Some("at+jwt"), &good_claims()).await.is_ok());
    assert!(with_typ(&v, Some("application/at+jwt"), &good_claims()).await.is_ok());
    for typ in [None, Some("JWT")] {
        assert_eq!(
            problem(with_typ(&v, typ, &good_claims()).await),
            TokenProblem::TypeNotAccepted,
            "{typ:?}"
        );
    }
    for name in ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"] {
        let r = with_typ(&v, Some("at+jwt"), &claims_with(json!({ name: null }))).await;
        assert_eq!(problem(r), TokenProblem::MissingClaim(name), "{name}");
    }
}

#[tokio::test]
async fn required_claims_must_be_present_and_not_null() {
    let v = builder([static_key(key(ALG))], &[ALG]).require_claim("tenant").build().unwrap();
    assert!(check(&v, claims_with(json!({"tenant": "acme"}))).await.is_ok());
    for c in [good_claims(), {
        let mut c = good_claims();
        c["tenant"] = Value::Null;
        c
    }] {
        match problem(check(&v, c).await) {
            TokenProblem::MissingCustomClaim(name) => assert_eq!(&*name, "tenant"),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn allowed_clients_are_read_from_client_id_or_azp() {
    let v =
        builder([static_key(key(ALG))], &[ALG]).allowed_clients(["client-a", "client-b"]).build().unwrap();
    assert!(check(&v, good_claims()).await.is_ok());
    assert!(check(&v, claims_with(json!({"client_id": null, "azp": "client-b"}))).await.is_ok());
    let r = check(&v, claims_with(json!({"client_id": "client-c"}))).await;
    assert_eq!(problem(r), TokenProblem::ClientNotAllowed);
    let r = check(&v, claims_with(json!({"client_id": null, "azp": "client-c"}))).await;
    assert_eq!(problem(r), TokenProblem::ClientNotAllowed);
    let r = check(&v, claims_with(json!({"client_id": null}))).await;
    assert_eq!(problem(r), TokenProblem::MissingClaim("client_id"));
}

#[tokio::test]
async fn a_custom_check_rejection_is_the_error_description() {
    let v = builder([static_key(key(ALG))], &[ALG])
        .realm("api")
        .custom_check(|c| match c.get("tenant").and_then(Value::as_str) {
            Some("suspended") => Err("the tenant is suspended"),
            _ => Ok(()),
        })
        .build()
        .unwrap();
    assert!(check(&v, claims_with(json!({"tenant": "acme"}))).await.is_ok());
    let err = check(&v, claims_with(json!({"tenant": "suspended"}))).await.unwrap_err();
    assert_eq!(err, AuthError::InvalidToken(TokenProblem::Rejected("the tenant is suspended")));
    let c = v.rejection(&err);
    assert_eq!(c.status(), 401);
    assert_eq!(c.error_description(), "the tenant is suspended");
    assert!(c.challenges()[0].to_string().contains(r#"error_description="the tenant is suspended""#));
}

#[tokio::test]
async fn scopes_come_from_scope_scp_or_configured_claims() {
    let v = es();
    let claims =
        check(&v, claims_with(json!({"scope": "pets:read  pets:write", "scp": ["admin", "pets:read"]})))
            .await
            .unwrap();
    assert_eq!(claims.scopes().iter().collect::<Vec<_>>(), ["pets:read", "pets:write", "admin"]);
    let claims = check(&v, claims_with(json!({"scp": "a b"}))).await.unwrap();
    assert!(claims.scopes().contains("a") && claims.scopes().contains("b"));

    let roles = builder([static_key(key(ALG))], &[ALG]).scope_claims(["roles"]).build().unwrap();
    let claims =
        check(&roles, claims_with(json!({"roles": ["editor"], "scope": "pets:read"}))).await.unwrap();
    assert!(claims.scopes().contains("editor"));
    assert!(!claims.scopes().contains("pets:read"), "only the configured claims count");
}

#[tokio::test]
async fn scope_requirements_all_and_any() {
    let claims = check(&es(), claims_with(json!({"scope": "pets:read pets:write"}))).await.unwrap();
    let granted = claims.scopes();
    assert!(ScopeRequirement::all(["pets:read", "pets:write"]).check(granted).is_ok());
    assert!(ScopeRequirement::any(["admin", "pets:write"]).check(granted).is_ok());
    assert!(ScopeRequirement::all(["pets"]).check(granted).is_err(), "no prefix matches");
    let err = ScopeRequirement::all(["pets:read", "admin"]).check(granted).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsufficientScope);
    let err = ScopeRequirement::any(["admin", "root"]).check(granted).unwrap_err();
    assert_eq!(err, AuthError::InsufficientScope(ScopeRequirement::any(["admin", "root"])));
}

fn realm_validator() -> Validator {
    builder([static_key(key(ALG))], &[ALG]).realm("petstore").build().unwrap()
}

#[tokio::test]
async fn errors_map_to_rfc6750_answers() {
    let v = realm_validator();

    let c = v.rejection(&AuthError::MissingToken);
    assert_eq!((c.status(), c.error()), (401, None));
    assert_eq!(c.challenges()[0].to_string(), r#"Bearer realm="petstore""#);

    let err = bearer_token(b"Bearer ").unwrap_err();
    assert_eq!(err, AuthError::InvalidRequest(RequestProblem::EmptyCredentials));
    let c = v.rejection(&err);
    assert_eq!((c.status(), c.error()), (400, Some("invalid_request")));

    let err = check(&v, claims_with(json!({"exp": NOW - 3600}))).await.unwrap_err();
    let c = v.rejection(&err);
    assert_eq!((c.status(), c.error()), (401, Some("invalid_token")));
    assert_eq!(
        c.challenges()[0].to_string(),
        r#"Bearer realm="petstore", error="invalid_token", error_description="the token has expired""#
    );
    let body: Value = serde_json::from_str(c.body()).unwrap();
    assert_eq!(body, json!({"error": "invalid_token", "error_description": "the token has expired"}));

    let err = ScopeRequirement::all(["pets:write", "admin"]).check(&Default::default()).unwrap_err();
    let c = v.rejection(&err);
    assert_eq!((c.status(), c.error()), (403, Some("insufficient_scope")));
    let h = c.challenges()[0].to_string();
    assert!(h.starts_with(r#"Bearer realm="petstore", error="insufficient_scope""#), "{h}");
    assert!(h.ends_with(r#"scope="pets:write admin""#), "{h}");

    let c = v.rejection(&AuthError::Unavailable { retry_after: Duration::from_secs(7) });
    assert_eq!((c.status(), c.retry_after()), (503, Some(7)));
    assert!(c.challenges().is_empty());
    assert_eq!(serde_json::from_str::<Value>(c.body()).unwrap()["error"], "temporarily_unavailable");
}

#[tokio::test]
async fn error_responses_never_contain_token_contents() {
    let v = realm_validator();
    let k = key(ALG);
    let other = other_key(ALG);
    let secret_claims = |changes: Value| {
        let mut c = claims_with(changes);
        c["tenant"] = json!("tenant-zebra");
        c
    };
    let cases = [
        token(ALG, &secret_claims(json!({"exp": NOW - 3600}))),
        token(ALG, &secret_claims(json!({"aud": "aud-walrus"}))),
        token(ALG, &secret_claims(json!({"iss": "https://iss-narwhal.test"}))),
        token(ALG, &secret_claims(json!({"exp": "exp-string-okapi"}))),
        raw_token(other, &header_for(k, ALG).to_string(), &secret_claims(json!({})).to_string()),
        raw_token(k, r#"{"alg":"ES256","typ":"typ-quokka"}"#, &secret_claims(json!({})).to_string()),
    ];
    for t in cases {
        let err = v.validate(&t).await.unwrap_err();
        let c = v.rejection(&err);
        let challenges: Vec<String> = c.challenges().iter().map(ToString::to_string).collect();
        let rendered = format!("{} {} {}", challenges.join(" "), c.body(), c.error_description());
        let payload = t.split('.').nth(1).unwrap();
        for secret in [
            payload,
            &t[..20],
            t.rsplit('.').next().unwrap(),
            SUB,
            "tenant-zebra",
            "walrus",
            "narwhal",
            "okapi",
            "quokka",
        ] {
            assert!(!rendered.contains(secret), "`{secret}` leaked into {rendered}");
        }
    }
}

#[tokio::test]
async fn tokens_over_the_size_limit_are_refused_unparsed() {
    let pad = "x".repeat(16 * 1024);
    let big = token(ALG, &claims_with(json!({ "pad": pad })));
    assert!(big.len() > auth_core::DEFAULT_MAX_TOKEN_BYTES);
    assert_eq!(problem(es().validate(&big).await), TokenProblem::Malformed);
    // The same token is valid: only its size refused it.
    let roomy = builder([static_key(key(ALG))], &[ALG]).max_token_bytes(64 * 1024).build().unwrap();
    assert!(roomy.validate(&big).await.is_ok());
    // Garbage past the limit is not even split into parts.
    let junk = format!("{}.{}", "%".repeat(17 * 1024), "a.b");
    assert_eq!(problem(es().validate(&junk).await), TokenProblem::Malformed);
    // Just under the limit is parsed and accepted.
    let mut n = 11_800;
    let fits = loop {
        let t = token(ALG, &claims_with(json!({ "pad": "x".repeat(n) })));
        if t.len() > auth_core::DEFAULT_MAX_TOKEN_BYTES {
            break token(ALG, &claims_with(json!({ "pad": "x".repeat(n - 1) })));
        }
        n += 1;
    };
    assert!(
        fits.len() <= auth_core::DEFAULT_MAX_TOKEN_BYTES
            && fits.len() > auth_core::DEFAULT_MAX_TOKEN_BYTES - 4
    );
    assert!(es().validate(&fits).await.is_ok());
}

fn config_error(b: auth_core::ValidatorBuilder) -> auth_core::ConfigError {
    b.build().expect_err("configuration must be refused")
}

#[test]
fn configuration_errors_name_the_setting() {
    let key = || static_key(common::key(ALG));
    let base = || builder([key()], &[ALG]);
    let cases: Vec<(auth_core::ConfigError, &str)> = vec![
        (config_error(Validator::builder().audience(AUD)), "issuers"),
        (config_error(Validator::builder().issuer(IssuerConfig::static_keys(ISS, [key()]))), "audience"),
        (config_error(base().algorithms([])), "algorithms"),
        (config_error(base().issuer(IssuerConfig::static_keys(ISS, [key()]))), "issuers[1].issuer"),
        (
            config_error(
                Validator::builder()
                    .issuer(IssuerConfig::jwks_url(ISS, "https://issuer.test/jwks"))
                    .audience(AUD)
                    .algorithms([Algorithm::HS256]),
            ),
            "algorithms",
        ),
        (
            config_error(builder(
                [StaticKey::pem("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")],
                &[ALG],
            )),
            "issuers[0].keys[0]",
        ),
        (
            config_error(
                Validator::builder()
                    .issuer(IssuerConfig::jwks_url(ISS, "http://issuer.test/jwks"))
                    .audience(AUD)
                    .clock(ManualClock::new(NOW)),
            ),
            "issuers[0].jwks_uri",
        ),
        (config_error(builder([key(), StaticKey::jwk("{not json")], &[ALG])), "issuers[0].keys[1]"),
        (
            config_error(Validator::builder().issuer(IssuerConfig::static_keys(ISS, [])).audience(AUD)),
            "issuers[0].keys",
        ),
    ];
    for (err, setting) in cases {
        assert_eq!(err.setting(), setting, "{err}");
        assert!(err.to_string().contains(setting), "{err}");
        assert!(!err.message().is_empty());
    }
}

#[test]
fn loopback_jwks_urls_may_use_plain_http() {
    for url in ["http://127.0.0.1:9/jwks", "http://localhost:9/jwks", "http://[::1]:9/jwks"] {
        let b = Validator::builder().issuer(IssuerConfig::jwks_url(ISS, url)).audience(AUD);
        assert!(b.build().is_ok(), "{url}");
    }
}

#[test]
fn config_files_refuse_unknown_fields_and_share_the_builder_checks() {
    let err = serde_json::from_str::<ValidatorConfig>(
        r#"{"issuers":[{"issuer":"https://issuer.test"}],"audiences":["api"],"audience":"typo"}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("unknown field `audience`"), "{err}");
    let err =
        serde_json::from_str::<ValidatorConfig>(r#"{"issuers":[{"issuer":"x","jwks_url":"https://x"}]}"#)
            .unwrap_err();
    assert!(err.to_string().contains("jwks_url"), "{err}");

    let config: ValidatorConfig =
        serde_json::from_str(r#"{"issuers":[{"issuer":"https://issuer.test","jwks_uri":"http://idp.example.com/k"}],"audiences":["api"]}"#)
            .unwrap();
    assert_eq!(config.build().unwrap_err().setting(), "issuers[0].jwks_uri");
    let config: ValidatorConfig =
        serde_json::from_str(r#"{"issuers":[{"issuer":"https://issuer.test"}]}"#).unwrap();
    assert_eq!(config.build().unwrap_err().setting(), "audience");
}

#[tokio::test]
async fn a_config_file_with_an_inline_jwks_validates_tokens() {
    let jwks = json!({ "keys": [key(ALG).public_jwk()] });
    let config: ValidatorConfig = serde_json::from_value(json!({
        "issuers": [{ "issuer": ISS, "jwks": jwks }],
        "audiences": [AUD],
        "profile": "rfc9068",
        "required_claims": ["jti"],
    }))
    .unwrap();
    let v = config.into_builder().unwrap().clock(ManualClock::new(NOW)).build().unwrap();
    assert!(v.validate(&token(ALG, &good_claims())).await.is_ok());
    let r = v.validate(&token(ALG, &claims_with(json!({"sub": null})))).await;
    assert_eq!(problem(r), TokenProblem::MissingClaim("sub"));
}

/// The header of a verified token is remembered by its text; tokens that share it must still be
/// judged on everything else exactly as by a validator that never saw it.
#[tokio::test]
async fn a_remembered_header_changes_no_answer() {
    let header = header_for(key(ALG), ALG).to_string();
    let good = raw_token(key(ALG), &header, &good_claims().to_string());
    let others = [
        // Same header text: a bad signature, another key's signature, expired, wrong audience.
        format!("{}.{}", good.rsplit_once('.').unwrap().0, b64([7u8; 64])),
        raw_token(other_key(ALG), &header, &good_claims().to_string()),
        raw_token(key(ALG), &header, &claims_with(json!({"exp": NOW - 3600})).to_string()),
        raw_token(key(ALG), &header, &claims_with(json!({"aud": "elsewhere"})).to_string()),
        // The same header text with one character changed is a different header.
        {
            let (h, rest) = good.split_once('.').unwrap();
            format!("{}A.{rest}", &h[..h.len() - 1])
        },
        good.clone(),
    ];
    let fresh = || builder([static_key(key(ALG))], &[ALG]).no_token_cache().build().unwrap();
    let seasoned = fresh();
    seasoned.validate(&good).await.unwrap();
    for token in &others {
        let expected = fresh().validate(token).await.map(|c| c.registered().sub().map(str::to_owned));
        let answer = seasoned.validate(token).await.map(|c| c.registered().sub().map(str::to_owned));
        assert_eq!(answer, expected, "{token}");
    }
}
