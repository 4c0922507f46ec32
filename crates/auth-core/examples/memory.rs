//! Peak memory with the verified-token cache under a flood of distinct valid tokens.
//!
//! ```text
//! cargo run --release -p auth-core --example memory            # 1,000,000 tokens
//! cargo run --release -p auth-core --example memory -- 200000  # fewer
//! ```
//!
//! Validates that many distinct HS256 tokens (minted in the loop, each validated once, so each is
//! cached) with the default cache bound, then prints the peak resident set size (`VmHWM` from
//! `/proc/self/status`, Linux only) before and after. The growth must stay within the cache's
//! byte budget plus a small constant.

use std::time::Instant;

use auth_core::dev_issuer::SigningKey;
use auth_core::{
    Algorithm, DEFAULT_TOKEN_CACHE_BYTES, DEFAULT_TOKEN_CACHE_ENTRIES, IssuerConfig, StaticKey, Validator,
};
use futures_util::FutureExt;
use serde_json::json;

const ISS: &str = "https://idp.example.com";

/// Peak resident set size in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = std::env::args().nth(1).map_or(Ok(1_000_000), |a| a.parse())?;
    let key = SigningKey::generate(Algorithm::HS256)?.with_kid("k");
    let secret = key.hmac_secret().ok_or("an HMAC key")?.to_vec();
    let validator = Validator::builder()
        .issuer(IssuerConfig::static_keys(ISS, [StaticKey::hmac(secret).with_kid("k")]))
        .audience("petstore")
        .algorithms([Algorithm::HS256])
        .build()?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
    let before = peak_rss_kib().ok_or("no /proc/self/status")?;
    let started = Instant::now();
    let mut token_bytes = 0;
    for i in 0..count {
        let token = key.mint(&json!({
            "iss": ISS, "sub": format!("user-{i}"), "aud": "petstore", "exp": now + 3600, "iat": now,
            "jti": format!("{i:036}"), "client_id": "petstore-web", "scope": "pets:read pets:write",
        }));
        token_bytes = token.len();
        // Static keys: the future completes on its first poll.
        validator.validate(&token).now_or_never().ok_or("pending")??;
    }
    let after = peak_rss_kib().ok_or("no /proc/self/status")?;
    let stats = validator.stats();
    println!(
        "tokens validated:  {count} in {:.1} s ({token_bytes} bytes each)",
        started.elapsed().as_secs_f64()
    );
    println!(
        "cache bound:       {DEFAULT_TOKEN_CACHE_ENTRIES} entries / {} MiB; holding {} entries",
        DEFAULT_TOKEN_CACHE_BYTES >> 20,
        stats.token_cache_entries
    );
    println!("peak RSS before:   {:.1} MiB", before as f64 / 1024.0);
    println!("peak RSS after:    {:.1} MiB", after as f64 / 1024.0);
    println!("growth:            {:.1} MiB", (after - before) as f64 / 1024.0);
    Ok(())
}
