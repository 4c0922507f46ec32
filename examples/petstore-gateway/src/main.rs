//! `cargo run -p petstore-gateway`: an API gateway in front of the Petstore. With no
//! configuration it starts a development Petstore and issuer, and prints a caller's token and
//! `curl` commands through the gateway. See `examples/README.md` for the variables.

use std::process::ExitCode;

use petstore_gateway::{Gateway, Settings, StartupError};

#[tokio::main]
async fn main() -> ExitCode {
    petstore::init_tracing();
    petstore::exit_code("petstore-gateway", run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::from_env()?;
    let gateway = Gateway::from_settings(&settings).await?;
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .map_err(|source| StartupError::Listen { addr: settings.addr, source })?;
    println!("{}", petstore_gateway::banner(listener.local_addr()?, &gateway));
    petstore_gateway::serve(listener, gateway).await?;
    Ok(())
}
