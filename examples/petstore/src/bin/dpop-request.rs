//! A small DPoP client for the Petstore banner: one request with `Authorization: DPoP <token>`
//! and a fresh proof, retried once with the server's nonce when it asks for one.
//!
//! ```text
//! cargo run -q -p petstore --bin dpop-request -- --key "$DPOP_KEY" --token "$DPOP_TOKEN" GET http://127.0.0.1:8080/pets
//! ```
//!
//! `--key` is the ES256 private key the banner prints (base64url PKCS#8); `--data` sends a JSON
//! body. Prints the status, the headers a DPoP client cares about, and the body.
//!
//! `--proofs N` sends nothing: it prints `N` fresh proofs for `METHOD URL` (and the token), one
//! per line, for a load generator that cannot sign (`bench/http.sh` feeds them to `wrk`). They
//! are accepted for as long as the server's proof window allows (60 s by default).

use std::io::Write as _;
use std::process::ExitCode;

use auth_core::Algorithm;
use auth_core::dev_issuer::DpopKey;

struct Args {
    key: String,
    token: String,
    method: String,
    url: String,
    data: Option<String>,
    proofs: Option<u64>,
}

fn parse() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut key, mut token, mut data, mut proofs, mut rest) = (None, None, None, None, Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--key" => key = args.next(),
            "--token" => token = args.next(),
            "--data" => data = args.next(),
            "--proofs" => {
                let n = args.next().and_then(|n| n.parse().ok());
                proofs = Some(n.ok_or("--proofs takes a count")?);
            }
            _ => rest.push(arg),
        }
    }
    let usage = "usage: dpop-request --key KEY --token TOKEN [--data JSON | --proofs N] METHOD URL";
    let [method, url] = <[String; 2]>::try_from(rest).map_err(|_| usage.to_owned())?;
    Ok(Args {
        key: key.ok_or(usage)?,
        token: token.ok_or(usage)?,
        method: method.to_ascii_uppercase(),
        url,
        data,
        proofs,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse() {
        Ok(args) => args,
        Err(usage) => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    let key = match DpopKey::from_base64url(Algorithm::ES256, &args.key) {
        Ok(key) => key,
        Err(e) => {
            eprintln!("--key: not the banner's ES256 key ({e})");
            return ExitCode::from(2);
        }
    };
    let Ok(method) = reqwest::Method::from_bytes(args.method.as_bytes()) else {
        eprintln!("{} is not an HTTP method", args.method);
        return ExitCode::from(2);
    };
    if let Some(count) = args.proofs {
        let htu = petstore::dpop_client::htu(&args.url);
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for _ in 0..count {
            let proof = key.proof(method.as_str(), htu).access_token(&args.token).sign();
            if writeln!(out, "{proof}").is_err() {
                return ExitCode::FAILURE;
            }
        }
        return if out.flush().is_ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE };
    }
    let client = reqwest::Client::new();
    let answer = match petstore::dpop_client::send(
        &client,
        &key,
        &args.token,
        method,
        &args.url,
        args.data.as_deref(),
    )
    .await
    {
        Ok(answer) => answer,
        Err(e) => {
            eprintln!("request failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    if answer.retried_with_nonce {
        println!("(the server asked for a nonce; retried with it)");
    }
    let res = answer.response;
    println!("HTTP {}", res.status());
    for name in ["www-authenticate", "dpop-nonce", "content-type"] {
        for value in res.headers().get_all(name) {
            println!("{name}: {}", value.to_str().unwrap_or("<not text>"));
        }
    }
    println!();
    println!("{}", res.text().await.unwrap_or_default());
    ExitCode::SUCCESS
}
