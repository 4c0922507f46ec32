//! The settings read from the environment, each variable and its errors.

use std::collections::HashMap;

use super::*;

fn parse(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    Settings::from_lookup(|name| map.get(name).cloned())
}

#[test]
fn a_bad_listen_address_is_an_invalid_setting_named_by_its_variable() {
    let err = Settings::from_lookup(|n| (n == PETSTORE_ADDR).then(|| "localhost".to_owned())).unwrap_err();
    assert!(err.to_string().starts_with("invalid setting `PETSTORE_ADDR`: "), "{err}");
}

#[test]
fn defaults_when_nothing_is_set() {
    let s = parse(&[]).unwrap();
    assert_eq!(s, Settings::default());
    assert_eq!(s.addr.to_string(), DEFAULT_ADDR);
    assert_eq!(s.profile, Profile::Rfc9068);
    assert!(s.uses_dev_issuer());
}

#[test]
fn every_variable_is_read() {
    let s = parse(&[
        (PETSTORE_ADDR, "0.0.0.0:9000"),
        (AUTH_ISSUER, "https://idp.example.com"),
        (AUTH_JWKS_URL, "https://idp.example.com/keys"),
        (AUTH_AUDIENCE, "api://pets"),
        (AUTH_ALGORITHMS, "rs256, ES256,"),
        (AUTH_PROFILE, "generic"),
        (AUTH_TOKEN_CACHE, "0"),
        (AUTH_DPOP, "required"),
        (AUTH_DPOP_NONCE, "1"),
        (AUTH_DPOP_NONCE_KEY, "c2VjcmV0LXNoYXJlZC1ieS1ldmVyeS1pbnN0YW5jZS0wMTIzNDU2Nzg5"),
        (AUTH_PUBLIC_URL, "https://pets.example.com/api"),
        (AUTH_INTROSPECTION_URL, "https://idp.example.com/introspect"),
        (AUTH_INTROSPECTION_CLIENT_ID, "petstore"),
        (AUTH_INTROSPECTION_CLIENT_SECRET, "s3cret"),
        (AUTH_INTROSPECTION_CACHE_TTL, "2"),
        (AUTH_REDIS_URL, "redis://:pw@127.0.0.1:6380/2"),
        (AUTH_REVOCATION_MAX_STALE, "1"),
        (AUTH_REVOCATION_FAIL, "open"),
        (AUTH_REVOCATION_RETENTION, "7200"),
    ])
    .unwrap();
    let redis = s.redis_url.clone().unwrap();
    assert_eq!(redis.as_str(), "redis://:pw@127.0.0.1:6380/2");
    assert!(!format!("{s:?}").contains("pw"), "the password is never printed");
    assert_eq!(s.revocation_max_stale, Duration::from_secs(1));
    assert_eq!(s.revocation_fail, StalePolicy::FailOpen);
    assert_eq!(s.revocation_retention, Duration::from_secs(7200));
    let introspection = s.introspection.clone().unwrap();
    assert_eq!(introspection.url.as_deref(), Some("https://idp.example.com/introspect"));
    assert_eq!(
        (introspection.client_id.as_str(), introspection.client_secret.as_str()),
        ("petstore", "s3cret")
    );
    assert!(!format!("{introspection:?}").contains("s3cret"), "the secret is never printed");
    assert_eq!(s.introspection_cache_ttl, Some(Duration::from_secs(2)));
    assert_eq!((s.dpop, s.dpop_nonce), (DpopMode::Required, true));
    assert!(s.dpop_nonce_key.is_some());
    assert_eq!(s.public_url.as_deref(), Some("https://pets.example.com/api"));
    assert_eq!(s.addr.port(), 9000);
    assert_eq!(s.issuer.as_deref(), Some("https://idp.example.com"));
    assert_eq!(s.jwks_url.as_deref(), Some("https://idp.example.com/keys"));
    assert_eq!(s.audience, "api://pets");
    assert_eq!(s.algorithms, Some(vec![Algorithm::RS256, Algorithm::ES256]));
    assert_eq!(s.profile, Profile::Generic);
    assert_eq!(s.token_cache, Some(0));
    assert!(!s.uses_dev_issuer());
}

#[test]
fn revocation_defaults() {
    let s = parse(&[]).unwrap();
    assert_eq!(s.redis_url, None);
    assert_eq!(s.revocation_max_stale, Duration::from_secs(30));
    assert_eq!(s.revocation_fail, StalePolicy::FailClosed);
    assert_eq!(s.revocation_retention, Duration::from_secs(86_400));
    let s = parse(&[(AUTH_REVOCATION_FAIL, "closed"), (AUTH_REDIS_URL, "redis://127.0.0.1")]).unwrap();
    assert_eq!(s.revocation_fail, StalePolicy::FailClosed);
    assert!(s.redis_url.is_some());
}

#[test]
fn a_bad_redis_url_is_not_echoed() {
    let err = parse(&[(AUTH_REDIS_URL, "rediss://:s3cret@host")]).unwrap_err();
    assert!(!err.to_string().contains("s3cret"), "{err}");
}

#[test]
fn empty_values_count_as_unset() {
    let s = parse(&[(AUTH_AUDIENCE, ""), (AUTH_ISSUER, "  ")]).unwrap();
    assert_eq!(s.audience, DEFAULT_AUDIENCE);
    assert_eq!(s.issuer, None);
}

#[test]
fn bad_values_name_their_variable() {
    for (name, value) in [
        (PETSTORE_ADDR, "localhost"),
        (AUTH_ALGORITHMS, "RS256,none"),
        (AUTH_ALGORITHMS, " , "),
        (AUTH_PROFILE, "foo"),
        (AUTH_TOKEN_CACHE, "-1"),
        (AUTH_TOKEN_CACHE, "lots"),
        (AUTH_DPOP, "on"),
        (AUTH_DPOP_NONCE, "yes"),
        (AUTH_DPOP_NONCE_KEY, "c2hvcnQ"),
        (AUTH_DPOP_NONCE_KEY, "not base64!"),
        (AUTH_PUBLIC_URL, "/relative"),
        (AUTH_PUBLIC_URL, "https://api.example.com/#frag"),
        (AUTH_RESOURCE, "/relative"),
        (AUTH_RESOURCE, "api.example.com"),
        (AUTH_RESOURCE, "https://api.example.com/#frag"),
        (AUTH_RESOURCE, "http://api.example.com"),
        (AUTH_INTROSPECTION_CACHE_TTL, "5m"),
        (AUTH_REDIS_URL, "localhost:6379"),
        (AUTH_REDIS_URL, "rediss://127.0.0.1"),
        (AUTH_REDIS_URL, "http://127.0.0.1:6379"),
        (AUTH_REDIS_URL, "redis://127.0.0.1/db"),
        (AUTH_REDIS_URL, "redis://127.0.0.1:notaport"),
        (AUTH_REVOCATION_MAX_STALE, "0"),
        (AUTH_REVOCATION_MAX_STALE, "30s"),
        (AUTH_REVOCATION_MAX_STALE, "-1"),
        (AUTH_REVOCATION_FAIL, "closedish"),
        (AUTH_REVOCATION_RETENTION, "0"),
        (AUTH_REVOCATION_RETENTION, "a day"),
    ] {
        let err = parse(&[(name, value)]).unwrap_err();
        assert_eq!(err.setting(), name, "{value}");
        assert!(err.to_string().contains(name), "{err}");
    }
}

#[test]
fn the_resource_url_defaults_to_the_public_url_then_the_listen_address() {
    let s = parse(&[(AUTH_RESOURCE, "https://pets.example.com/v1")]).unwrap();
    assert_eq!(s.resource_url(), "https://pets.example.com/v1");
    let s = parse(&[(AUTH_PUBLIC_URL, "https://pets.example.com/api")]).unwrap();
    assert_eq!(s.resource_url(), "https://pets.example.com/api");
    // A proxy's https URL is fine whatever the listen address.
    let s = parse(&[(AUTH_RESOURCE, "https://pets.example.com"), (PETSTORE_ADDR, "10.1.2.3:80")]).unwrap();
    assert_eq!(s.resource_url(), "https://pets.example.com");
    let s = parse(&[]).unwrap();
    assert_eq!(s.resource_url(), "http://127.0.0.1:8080");
    let bound = s.clone().bound_to("127.0.0.1:41234".parse().unwrap());
    assert_eq!(bound.resource_url(), "http://127.0.0.1:41234", "the bound port, not 0");
    let s = parse(&[(PETSTORE_ADDR, "0.0.0.0:9000")]).unwrap();
    assert_eq!(s.resource_url(), "http://localhost:9000");
    let s = parse(&[(PETSTORE_ADDR, "[::]:9000")]).unwrap();
    assert_eq!(s.resource_url(), "http://localhost:9000");
    let s = parse(&[(PETSTORE_ADDR, "[::1]:9000")]).unwrap();
    assert_eq!(s.resource_url(), "http://[::1]:9000");
    // A plain-http public URL cannot be the default: the error says what to set.
    let err = parse(&[(AUTH_PUBLIC_URL, "http://pets.example.com")]).unwrap_err();
    assert_eq!(err.setting(), AUTH_RESOURCE, "{err}");
    assert!(err.to_string().contains("AUTH_PUBLIC_URL"), "{err}");
    let s =
        parse(&[(AUTH_PUBLIC_URL, "http://pets.example.com"), (AUTH_RESOURCE, "https://pets.example.com")]);
    assert!(s.is_ok(), "an explicit AUTH_RESOURCE wins");
}

#[test]
fn introspection_needs_a_whole_client_and_a_provider() {
    let issuer = (AUTH_ISSUER, "https://idp.example.com");
    for (vars, named) in [
        (vec![issuer, (AUTH_INTROSPECTION_CLIENT_ID, "petstore")], AUTH_INTROSPECTION_CLIENT_SECRET),
        (vec![issuer, (AUTH_INTROSPECTION_CLIENT_SECRET, "s3cret")], AUTH_INTROSPECTION_CLIENT_ID),
        (vec![issuer, (AUTH_INTROSPECTION_URL, "https://idp.example.com/i")], AUTH_INTROSPECTION_CLIENT_ID),
        (
            vec![(AUTH_INTROSPECTION_CLIENT_ID, "petstore"), (AUTH_INTROSPECTION_CLIENT_SECRET, "s3cret")],
            AUTH_INTROSPECTION_CLIENT_ID,
        ),
    ] {
        let err = parse(&vars).unwrap_err();
        assert_eq!(err.setting(), named, "{vars:?}: {err}");
    }
    let s = parse(&[issuer, (AUTH_INTROSPECTION_CLIENT_ID, "p"), (AUTH_INTROSPECTION_CLIENT_SECRET, "s")])
        .unwrap();
    assert_eq!(s.introspection.unwrap().url, None, "the endpoint comes from discovery");
}
