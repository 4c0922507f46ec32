//! An opaque token answered from the introspection cache, next to a JWT answered from the
//! verified-token cache: what a client that reuses its token costs per request either way.
//!
//! ```text
//! cargo bench -p auth-core --bench introspection -- --warm-up-time 1 --measurement-time 3
//! python3 bench/criterion_table.py      # the ratios, from target/criterion
//! ```
//!
//! The development issuer runs on 127.0.0.1 (its JWKS and introspection endpoint over real
//! HTTP); each token is validated once before timing, so every timed call is a cache hit:
//! - `jwt_hit` / `opaque_hit`: `Validator::validate`;
//! - `jwt_request_hit` / `opaque_request_hit`: `Authenticator::authenticate` of `GET /pets` with
//!   the token in `Authorization`, what an adapter runs per request.

use std::hint::black_box;

use auth_core::dev_issuer::DevIssuer;
use auth_core::{Algorithm, Authentication, Authenticator, IntrospectionOptions, IssuerConfig, Validator};
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "support/get_pets.rs"]
mod get_pets;
use futures_util::FutureExt;
use get_pets::Request;

fn benches(c: &mut Criterion) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let idp = runtime.block_on(DevIssuer::start(Algorithm::ES256)).expect("dev issuer");
    let (client_id, client_secret) = idp.introspection_client();
    let validator = Validator::builder()
        .issuer(IssuerConfig::jwks_url(idp.issuer(), idp.jwks_uri()))
        .audience("petstore")
        .introspection(
            IntrospectionOptions::new(client_id, client_secret).endpoint(idp.introspection_endpoint()),
        )
        .build()
        .expect("validator");
    let scope = "pets:read pets:write";
    let jwt = idp.token().scope(scope).sign();
    let opaque = idp.token().scope(scope).opaque();
    for token in [&jwt, &opaque] {
        runtime.block_on(validator.validate(token)).expect("the first validation succeeds");
    }
    // Cache hits need no runtime: one poll finishes them.
    let hit = |token: &str| validator.validate(black_box(token)).now_or_never();
    assert!(matches!(hit(&jwt), Some(Ok(_))) && matches!(hit(&opaque), Some(Ok(_))), "both cached");

    let authenticator = Authenticator::new(validator.clone());
    let jwt_request = Request(format!("Bearer {jwt}").into_bytes());
    let opaque_request = Request(format!("Bearer {opaque}").into_bytes());
    let answered = |request: &Request| match authenticator.authenticate(black_box(request)) {
        Authentication::Ready(outcome) => outcome.is_ok(),
        Authentication::Pending(_) => false,
    };
    assert!(answered(&jwt_request) && answered(&opaque_request), "both answered at once");

    let mut g = c.benchmark_group("introspection");
    g.bench_function("jwt_hit", |b| b.iter(|| hit(&jwt)));
    g.bench_function("opaque_hit", |b| b.iter(|| hit(&opaque)));
    g.bench_function("jwt_request_hit", |b| b.iter(|| answered(&jwt_request)));
    g.bench_function("opaque_request_hit", |b| b.iter(|| answered(&opaque_request)));
    g.finish();
    let calls = validator.stats().introspection_calls;
    assert_eq!(calls, 1, "one introspection call for the opaque token, none for the JWT");
    drop(idp);
}

criterion_group!(introspection, benches);
criterion_main!(introspection);
