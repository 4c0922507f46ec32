//! The startup banner: `petstore-grpc` commands first (they need nothing but this repository),
//! then the same calls with `grpcurl` for those who have it.

use std::net::SocketAddr;

use petstore::Auth;
use petstore::banner::client_addr;

/// What the first six commands answer, in order (the banner's "Paste into a shell" line).
pub const EXPECT: &str =
    "expect OK, OK, PermissionDenied (no admin scope), OK, Unauthenticated (step-up), OK";

/// How the banner runs the client (from anywhere in the repository).
pub const CLIENT: &str = "cargo run -q -p petstore-tonic --bin petstore-grpc --";

/// The client's start for the server at `listen`: [`CLIENT`], with `--addr` unless `listen` is
/// where the client connects by default.
pub fn client(listen: SocketAddr) -> String {
    let origin = format!("http://{}", client_addr(listen));
    if origin == crate::client::DEFAULT_ADDR {
        CLIENT.to_owned()
    } else {
        format!("{CLIENT} --addr {origin}")
    }
}

/// `petstore-grpc` commands for the server at `listen`, to paste after the `TOKEN=` lines:
/// list, add, delete with `TOKEN` and `ADMIN_TOKEN`, pay with `TOKEN` and `STEP_UP_TOKEN` (see
/// [`EXPECT`]).
pub fn client_commands(listen: SocketAddr) -> Vec<String> {
    let client = client(listen);
    let call = |token: &str, command: &str| format!("{client} --token \"${token}\" {command}");
    vec![
        call("TOKEN", "list"),
        call("TOKEN", "add Nemo fish"),
        call("TOKEN", "delete 1"),
        call("ADMIN_TOKEN", "delete 1"),
        call("TOKEN", "pay 1"),
        call("STEP_UP_TOKEN", "pay 1"),
    ]
}

/// With the development issuer: its DPoP-bound and opaque tokens, through the client.
pub fn dev_commands(listen: SocketAddr, auth: &Auth) -> Vec<String> {
    let client = client(listen);
    let max_age = auth.step_up.max_age_secs().unwrap_or_default();
    vec![
        format!(
            "# STEP_UP_TOKEN passes the step-up check for {max_age} s after startup (AUTH_STEP_UP_MAX_AGE)."
        ),
        "# DPOP_TOKEN is bound to DPOP_KEY: a fresh proof per call (expect OK; without --dpop-key, \
         Unauthenticated):"
            .to_owned(),
        format!("{client} --dpop-key \"$DPOP_KEY\" --token \"$DPOP_TOKEN\" list"),
        "# OPAQUE_TOKEN is checked by introspection at the issuer (expect OK):".to_owned(),
        format!("{client} --token \"$OPAQUE_TOKEN\" me"),
    ]
}

/// The line that introduces [`grpcurl_commands`]: what they need and how to get it.
pub const GRPCURL_INTRO: &str = "# The same calls with grpcurl, on pet 2 (run from the repository root; get grpcurl \
     with `go install github.com/fullstorydev/grpcurl/cmd/grpcurl@latest` or a release binary from \
     https://github.com/fullstorydev/grpcurl/releases):";

/// `grpcurl` commands for the server at `listen`, to paste after the `TOKEN=` lines (run from
/// the repository root; expected as [`EXPECT`] says, even after [`client_commands`]: they
/// delete and pay for pet 2).
pub fn grpcurl_commands(listen: SocketAddr) -> Vec<String> {
    let addr = client_addr(listen);
    let call = |token: &str, data: &str, method: &str| {
        format!(
            "grpcurl -plaintext -import-path examples/petstore-tonic/proto -proto petstore.proto \
             -H \"authorization: Bearer ${token}\" -d '{data}' {addr} petstore.v1.PetStore/{method}"
        )
    };
    vec![
        call("TOKEN", "{}", "ListPets"),
        call("TOKEN", r#"{"name":"Nemo","tag":"fish"}"#, "CreatePet"),
        call("TOKEN", r#"{"id":2}"#, "DeletePet"),
        call("ADMIN_TOKEN", r#"{"id":2}"#, "DeletePet"),
        call("TOKEN", r#"{"id":2}"#, "PayOrder"),
        call("STEP_UP_TOKEN", r#"{"id":2}"#, "PayOrder"),
    ]
}

/// Every command of the banner, in order: [`client_commands`], [`dev_commands`] when the
/// development issuer is used, then [`GRPCURL_INTRO`] and [`grpcurl_commands`].
pub fn commands(listen: SocketAddr, auth: &Auth) -> Vec<String> {
    let mut commands = client_commands(listen);
    if auth.dev.is_some() {
        commands.extend(dev_commands(listen, auth));
    }
    commands.push(GRPCURL_INTRO.to_owned());
    commands.extend(grpcurl_commands(listen));
    commands
}

/// The banner `cargo run -p petstore-tonic` prints for the server at `listen`.
pub fn banner(listen: SocketAddr, auth: &Auth) -> String {
    let url = format!("{} (gRPC, plaintext HTTP/2)", client_addr(listen));
    petstore::banner::banner("petstore-tonic", &url, auth, EXPECT, &commands(listen, auth))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_address_needs_no_addr_option() {
        let default = client_commands("127.0.0.1:8080".parse().unwrap());
        assert_eq!(default[0], format!("{CLIENT} --token \"$TOKEN\" list"));
        let other = client_commands("0.0.0.0:9000".parse().unwrap());
        assert_eq!(other[0], format!("{CLIENT} --addr http://127.0.0.1:9000 --token \"$TOKEN\" list"));
    }

    #[test]
    fn there_is_one_expectation_per_command() {
        let listen = "127.0.0.1:1".parse().unwrap();
        assert_eq!(EXPECT.split(", ").count(), client_commands(listen).len());
        assert_eq!(EXPECT.split(", ").count(), grpcurl_commands(listen).len());
    }
}
