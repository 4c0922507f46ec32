//! `cargo run -p petstore-mcp`: the Petstore as an MCP server at `/mcp`. It reads the Petstore's
//! `PETSTORE_ADDR`, `AUTH_ISSUER`, `AUTH_JWKS_URL`, `AUTH_ALGORITHMS`, `AUTH_PROFILE` and
//! `AUTH_RESOURCE` (default `http://` + the bound address + `/mcp`); with no provider set, it
//! trusts a built-in development issuer and prints ready tokens and a `curl` of `initialize`.

use std::process::ExitCode;

use petstore::{Settings, StartupError};

#[tokio::main]
async fn main() -> ExitCode {
    petstore::init_tracing();
    petstore::exit_code("petstore-mcp", run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::from_env()?;
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .map_err(|source| StartupError::Listen { addr: settings.addr, source })?;
    let auth = petstore_mcp::McpAuth::from_settings(&settings.bound_to(listener.local_addr()?)).await?;
    println!("{}", petstore_mcp::banner::banner(listener.local_addr()?, &auth));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    petstore_mcp::serve_with_shutdown(listener, &auth, shutdown).await?;
    Ok(())
}
