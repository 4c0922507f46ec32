//! `cargo run -p petstore-tonic --bin petstore-grpc -- [--addr URL] [--token TOKEN] [--dpop-key KEY] COMMAND`:
//! one call to the gRPC Petstore (`--help` lists the commands; see `petstore_tonic::client`).
#![forbid(unsafe_code)]

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    petstore_tonic::client::run(std::env::args_os().skip(1), |name| std::env::var(name).ok()).await
}
