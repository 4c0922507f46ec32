//! `petstore-grpc`, the client that ships with the gRPC Petstore: one call per run, every RPC of
//! `proto/petstore.proto` as a command, the token from `--token` or `TOKEN`, and DPoP
//! (`--dpop-key`: a fresh proof per call in the `dpop` metadata, `htm` `POST`, `htu`
//! `http://host:port/petstore.v1.PetStore/Method`, retried once with the server's nonce when it
//! asks for one).
//!
//! ```text
//! cargo run -q -p petstore-tonic --bin petstore-grpc -- --token "$TOKEN" list
//! cargo run -q -p petstore-tonic --bin petstore-grpc -- --token "$TOKEN" add Nemo fish
//! cargo run -q -p petstore-tonic --bin petstore-grpc -- --dpop-key "$DPOP_KEY" --token "$DPOP_TOKEN" me
//! ```
//!
//! It prints the status first (`OK`, or the gRPC code name such as `PermissionDenied`), then the
//! answer as JSON, or the status message and each `www-authenticate` challenge. The exit status
//! is 0 for `OK`, 1 for any other status (an unreachable server is `Unavailable`), 2 for bad
//! arguments, told in one line on stderr. The token and the key are never printed.

mod args;
mod call;
mod output;

use std::ffi::OsString;
use std::io::Write as _;
use std::process::ExitCode;

pub use args::DEFAULT_ADDR;
use args::Parsed;

/// Runs the client on `args` (the command line without the program name); `env` looks up the
/// environment (`PETSTORE_GRPC_ADDR`, `TOKEN`). Prints to stdout and stderr; the returned code
/// is the process's exit status.
///
/// ```no_run
/// # async fn demo() {
/// let args = ["--addr", "http://127.0.0.1:8080", "list"].map(std::ffi::OsString::from);
/// let code = petstore_tonic::client::run(args, |name| std::env::var(name).ok()).await;
/// # let _ = code; }
/// ```
pub async fn run(args: impl IntoIterator<Item = OsString>, env: impl Fn(&str) -> Option<String>) -> ExitCode {
    let args: Result<Vec<String>, OsString> = args.into_iter().map(OsString::into_string).collect();
    let parsed =
        args.map_err(|_| "an argument is not valid UTF-8".to_owned()).and_then(|a| args::parse(a, env));
    let args = match parsed {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Help) => {
            let _ = writeln!(std::io::stdout(), "{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "petstore-grpc: {message}");
            return ExitCode::from(2);
        }
    };
    if args.token.is_none() {
        let _ =
            writeln!(std::io::stderr(), "petstore-grpc: no token (--token or TOKEN): calling without one");
    }
    let answer = call::call(&args).await;
    if answer.retried_with_nonce {
        let _ =
            writeln!(std::io::stderr(), "petstore-grpc: the server asked for a DPoP nonce; retried with it");
    }
    let _ = write!(std::io::stdout(), "{}", output::render(&answer));
    if answer.outcome.is_ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
