//! What the outbound layer adds to a call when its token is cached: the same request through a
//! service that answers at once, bare and behind `OutboundAuthLayer`.
//!
//! ```text
//! cargo bench -p tower-auth --bench outbound -- --warm-up-time 1 --measurement-time 3
//! python3 bench/criterion_table.py      # the difference, from target/criterion
//! ```
//!
//! The token comes from the development issuer's token endpoint on 127.0.0.1 (client
//! credentials), fetched once before timing. `bare`: build a `GET` and call the inner service;
//! `layered`: the same through the layer (token from the cache, `Authorization` added, the
//! request kept for the one retry on 401). The layer's cost is `layered - bare`.

use std::convert::Infallible;
use std::hint::black_box;

use auth_core::Algorithm;
use auth_core::client::{ClientCredentials, OutboundTokens, Target, TokenClient};
use auth_core::dev_issuer::DevIssuer;
use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::FutureExt;
use http::{Request, Response};
use http_body_util::Empty;
use tower::{Layer, Service, ServiceExt};
use tower_auth::outbound::OutboundAuthLayer;

fn request() -> Request<Empty<Bytes>> {
    Request::get("http://pets.example.com/pets").body(Empty::new()).expect("request")
}

fn benches(c: &mut Criterion) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let idp = runtime.block_on(DevIssuer::start(Algorithm::ES256)).expect("dev issuer");
    let (id, secret) = idp.service_client();
    let client = TokenClient::builder(id)
        .credentials(ClientCredentials::SecretBasic { secret: secret.to_owned() })
        .token_endpoint(idp.token_endpoint())
        .build()
        .expect("token client");
    let tokens = OutboundTokens::client_credentials(
        client.clone(),
        Target::resource("urn:petstore").scope("pets:read"),
    );
    runtime.block_on(tokens.token(None)).expect("the first token");

    let inner = tower::service_fn(|req: Request<Empty<Bytes>>| async move {
        Ok::<_, Infallible>(Response::new(req.headers().len()))
    });
    let mut bare = inner;
    let mut layered = OutboundAuthLayer::new(tokens).layer(inner);
    // Both answer at once: one poll finishes each call.
    let mut call_bare = || {
        bare.ready().now_or_never().expect("ready").expect("ready");
        bare.call(black_box(request())).now_or_never().expect("answered at once").expect("ok")
    };
    assert_eq!(call_bare().into_body(), 0);
    let mut call_layered = || {
        layered.ready().now_or_never().expect("ready").expect("ready");
        layered.call(black_box(request())).now_or_never().expect("answered at once").expect("ok")
    };
    assert_eq!(call_layered().into_body(), 1, "Authorization added");

    let mut g = c.benchmark_group("outbound");
    g.bench_function("bare", |b| b.iter(&mut call_bare));
    g.bench_function("layered", |b| b.iter(&mut call_layered));
    g.finish();
    assert_eq!(client.requests(), 1, "one token request for every call");
    drop(idp);
}

criterion_group!(outbound, benches);
criterion_main!(outbound);
