//! `cargo run -p petstore-tonic`: the Petstore over gRPC. Same environment variables as the
//! other Petstore binaries (see `examples/README.md`). Its client is
//! `cargo run -p petstore-tonic --bin petstore-grpc -- --help`.

use std::process::ExitCode;

use petstore::{Auth, Settings, StartupError};

#[tokio::main]
async fn main() -> ExitCode {
    petstore::init_tracing();
    petstore::exit_code("petstore-tonic", run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::from_env()?;
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .map_err(|source| StartupError::Listen { addr: settings.addr, source })?;
    // The bound address is the default AUTH_RESOURCE.
    let auth = Auth::from_settings(&settings.bound_to(listener.local_addr()?)).await?;
    println!("{}", petstore_tonic::banner::banner(listener.local_addr()?, &auth));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    petstore_tonic::serve_with_shutdown(listener, &auth, shutdown).await?;
    Ok(())
}
