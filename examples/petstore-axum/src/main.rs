//! `cargo run -p petstore-axum`: the Petstore on axum. See `examples/README.md` for the
//! environment variables; with none set, it trusts a built-in development issuer and prints
//! ready tokens and `curl` commands.

use std::process::ExitCode;

use petstore::{Auth, Settings, StartupError};

#[tokio::main]
async fn main() -> ExitCode {
    petstore::init_tracing();
    petstore::exit_code("petstore-axum", run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::from_env()?;
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .map_err(|source| StartupError::Listen { addr: settings.addr, source })?;
    // The bound address is the default AUTH_RESOURCE. Builds the validator without fetching
    // anything: a provider that is down never stops startup.
    let auth = Auth::from_settings(&settings.bound_to(listener.local_addr()?)).await?;
    println!("{}", petstore::banner::http_banner("petstore-axum", listener.local_addr()?, &auth));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    petstore_axum::serve_with_shutdown(listener, &auth, shutdown).await?;
    Ok(())
}
