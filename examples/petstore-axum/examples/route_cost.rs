//! The cost of one request through the Petstore router, in process (no sockets): a small binary
//! to count instructions per request with callgrind, where wall time is too noisy. Comparing
//! `/pets` (token answered from the verified-token cache, scope layer, handler) with `/health`
//! (same router and tracing, no authentication) shows what authentication adds per request.
//!
//! ```text
//! cargo build --release -p petstore-axum --example route_cost
//! valgrind --tool=callgrind --toggle-collect='*one_request*' target/release/examples/route_cost /health 2000
//! valgrind --tool=callgrind --toggle-collect='*one_request*' target/release/examples/route_cost /pets 2000
//! ```
//!
//! The router and validator are the binary's (`AUTH_ALGORITHMS=RS256` with the development
//! issuer, as `bench/http.sh` runs it); set `AUTH_TOKEN_CACHE=0` to count the cold path.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

type Error = Box<dyn std::error::Error>;

/// One request and its whole response body: what callgrind is told to count.
#[inline(never)]
fn one_request(
    rt: &tokio::runtime::Runtime,
    app: &axum::Router,
    path: &str,
    bearer: &str,
) -> Result<usize, Error> {
    rt.block_on(async {
        let req = Request::get(path).header("authorization", bearer).body(Body::empty())?;
        let res = app.clone().oneshot(req).await?;
        if !res.status().is_success() {
            return Err(format!("{path} answered {}", res.status()).into());
        }
        Ok(res.into_body().collect().await?.to_bytes().len())
    })
}

fn main() -> Result<(), Error> {
    petstore::init_tracing();
    let path = std::env::args().nth(1).unwrap_or_else(|| "/pets".into());
    let n: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let settings = petstore::Settings::from_lookup(|name| match name {
        "AUTH_ALGORITHMS" => Some("RS256".into()),
        other => std::env::var(other).ok(),
    })?;
    let auth = rt.block_on(petstore::Auth::from_settings(&settings))?;
    if !rt.block_on(auth.validator.warm_up()) {
        return Err("the development issuer's keys did not load".into());
    }
    let token = auth.dev.as_ref().ok_or("expected the development issuer")?.token.clone();
    let bearer = format!("Bearer {token}");
    let app = petstore_axum::app(auth.validator.clone());
    let mut bytes = 0;
    for _ in 0..n {
        bytes += one_request(&rt, &app, &path, &bearer)?;
    }
    println!("{path}: {n} requests, {bytes} response bytes");
    Ok(())
}
