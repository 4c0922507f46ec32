//! `cargo run -p petstore-actix`: the Petstore on actix-web. See `examples/README.md` for the
//! environment variables; with none set, it trusts a built-in development issuer and prints
//! ready tokens and `curl` commands. Ctrl-C stops it gracefully.

use std::process::ExitCode;

use petstore::{Auth, Settings, StartupError};

#[actix_web::main]
async fn main() -> ExitCode {
    petstore::init_tracing();
    petstore::exit_code("petstore-actix", run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::from_env()?;
    let listener = std::net::TcpListener::bind(settings.addr)
        .map_err(|source| StartupError::Listen { addr: settings.addr, source })?;
    // The bound address is the default AUTH_RESOURCE. Builds the validator without fetching
    // anything: a provider that is down never stops startup.
    let auth = Auth::from_settings(&settings.bound_to(listener.local_addr()?)).await?;
    println!("{}", petstore::banner::http_banner("petstore-actix", listener.local_addr()?, &auth));
    petstore_actix::serve(listener, &auth).await?;
    Ok(())
}
