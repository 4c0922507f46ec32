//! The gRPC Petstore answers a real client over a real socket (the full matrix lives in the
//! end-to-end suite), and the `petstore-grpc` binary does what the banner says it does.

use std::collections::HashMap;
use std::net::SocketAddr;

use petstore::{Auth, DevAccess, Settings};
use petstore_tonic::proto::pet_store_client::PetStoreClient;
use petstore_tonic::proto::{CreatePetRequest, DeletePetRequest, GetMeRequest, ListPetsRequest};
use tonic::Code;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

fn with_token<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value = MetadataValue::try_from(format!("Bearer {token}")).unwrap();
    request.metadata_mut().insert("authorization", value);
    request
}

/// The Petstore on a free port, built as `cargo run -p petstore-tonic` builds it.
async fn serve(settings: Settings) -> (Auth, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let auth = Auth::from_settings(&settings.bound_to(addr)).await.unwrap();
    tokio::spawn(petstore_tonic::serve(listener, petstore::Protection::from(&auth)));
    (auth, addr)
}

async fn start(settings: Settings) -> (Auth, PetStoreClient<Channel>) {
    let (auth, addr) = serve(settings).await;
    let client = PetStoreClient::connect(format!("http://{addr}")).await.unwrap();
    (auth, client)
}

#[tokio::test]
async fn scopes_are_enforced_per_method() {
    let (auth, mut client) = start(Settings::default()).await;
    let dev = auth.dev.clone().unwrap();

    let err = client.list_pets(ListPetsRequest {}).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);

    let pets = client.list_pets(with_token(ListPetsRequest {}, &dev.token)).await.unwrap().into_inner();
    assert_eq!(pets.pets.len(), 2);

    let new = CreatePetRequest { name: "Nemo".into(), tag: Some("fish".into()) };
    let pet = client.create_pet(with_token(new, &dev.token)).await.unwrap().into_inner();
    assert_eq!((pet.id, pet.status.as_str()), (3, "available"));

    let err = client.delete_pet(with_token(DeletePetRequest { id: 1 }, &dev.token)).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    client.delete_pet(with_token(DeletePetRequest { id: 1 }, &dev.admin_token)).await.unwrap();
    let err = client.delete_pet(with_token(DeletePetRequest { id: 1 }, &dev.admin_token)).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    let me = client.get_me(with_token(GetMeRequest {}, &dev.token)).await.unwrap().into_inner();
    assert_eq!(me.sub.as_deref(), Some("dev-user"));
    assert_eq!(me.scopes, ["pets:read", "pets:write"]);
}

/// `create_pet` and `delete_pet` carry `#[requires_scopes]`: their denials name the scopes in a
/// `www-authenticate` challenge, like the layer's.
#[tokio::test]
async fn macro_protected_methods_answer_with_the_challenge() {
    let (auth, mut client) = start(Settings::default()).await;
    let dev = auth.dev.clone().unwrap();
    let reader = dev.issuer.token().audience(Settings::default().audience).scope("pets:read").sign();
    let challenge = |status: &tonic::Status| {
        status.metadata().get("www-authenticate").unwrap().to_str().unwrap().to_owned()
    };

    let new = CreatePetRequest { name: "Nemo".into(), tag: None };
    let err = client.create_pet(with_token(new.clone(), &reader)).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert_eq!(err.message(), "the token lacks a scope this resource requires");
    assert!(challenge(&err).contains(r#"error="insufficient_scope""#), "{}", challenge(&err));
    // The scope, then the metadata document every challenge names last.
    assert!(
        challenge(&err).contains(r#", scope="pets:write", resource_metadata="http://"#),
        "{}",
        challenge(&err)
    );
    client.create_pet(with_token(new, &dev.token)).await.unwrap();

    let err = client.delete_pet(with_token(DeletePetRequest { id: 2 }, &dev.token)).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert!(challenge(&err).starts_with(r#"Bearer realm="petstore""#));
    assert!(challenge(&err).contains(r#", scope="pets:write admin", resource_metadata="#));
}

#[tokio::test]
async fn unreachable_keys_answer_unavailable() {
    let settings =
        Settings::from_lookup(|n| (n == "AUTH_JWKS_URL").then(|| "http://127.0.0.1:1/jwks".into())).unwrap();
    let (_auth, mut client) = start(settings).await;
    // A well-formed RFC 9068 token whose keys cannot be fetched.
    let token = "eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImsifQ.eyJleHAiOjk5OTk5OTk5OTl9.AAAA";
    let err = client.list_pets(with_token(ListPetsRequest {}, token)).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
}

/// What a run of the `petstore-grpc` binary printed, and its exit status.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The first line: the status.
    fn status(&self) -> &str {
        self.stdout.lines().next().unwrap_or_default()
    }

    /// What follows the status of an `OK` run: the answer.
    fn json(&self) -> serde_json::Value {
        let (_, json) = self.stdout.split_once('\n').unwrap();
        serde_json::from_str(json).unwrap()
    }
}

/// Runs the built client with `args`, with neither `TOKEN` nor `PETSTORE_GRPC_ADDR` inherited.
async fn client(args: impl IntoIterator<Item = impl AsRef<std::ffi::OsStr>>) -> Run {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_petstore-grpc"))
        .args(args)
        .env_remove("TOKEN")
        .env_remove("PETSTORE_GRPC_ADDR")
        .output()
        .await
        .unwrap();
    Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// The shell variables the banner prints, by name.
fn variables(dev: &DevAccess) -> HashMap<String, String> {
    HashMap::from([
        ("TOKEN".into(), dev.token.clone()),
        ("ADMIN_TOKEN".into(), dev.admin_token.clone()),
        ("STEP_UP_TOKEN".into(), dev.step_up_token.clone()),
        ("DPOP_KEY".into(), dev.dpop_key.to_base64url()),
        ("DPOP_TOKEN".into(), dev.dpop_token.clone()),
        ("OPAQUE_TOKEN".into(), dev.opaque_token.clone()),
    ])
}

/// Runs a banner line (`cargo run … -- ARGS`) as a shell would after the `TOKEN=` lines: the
/// words after `--`, each `"$NAME"` replaced by the variable.
async fn paste(line: &str, vars: &HashMap<String, String>) -> Run {
    let (cargo, args) = line.split_once(" -- ").unwrap();
    assert_eq!(format!("{cargo} --"), petstore_tonic::banner::CLIENT);
    let words = args.split_whitespace().map(|word| match word.strip_prefix("\"$") {
        Some(name) => vars[name.trim_end_matches('"')].clone(),
        None => word.to_owned(),
    });
    client(words.collect::<Vec<_>>()).await
}

/// The secrets a run must never print.
fn assert_no_secret(run: &Run, vars: &HashMap<String, String>) {
    for (name, secret) in vars {
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "{name} printed: {run:?}");
    }
}

#[tokio::test]
async fn the_banners_client_commands_answer_as_it_says() {
    let (auth, addr) = serve(Settings::default()).await;
    let vars = variables(auth.dev.as_ref().unwrap());
    let banner = petstore_tonic::banner::banner(addr, &auth);
    let commands = petstore_tonic::banner::client_commands(addr);
    // The client's commands come first, then grpcurl's, introduced by how to get grpcurl.
    let at = |text: &str| banner.find(text).unwrap_or_else(|| panic!("{text} not in {banner}"));
    let intro = at(petstore_tonic::banner::GRPCURL_INTRO);
    assert!(commands.iter().all(|c| at(c) < intro) && at("grpcurl -plaintext") > intro);
    assert!(banner.contains(&format!("({})", petstore_tonic::banner::EXPECT)));

    // "expect OK, OK, PermissionDenied (no admin scope), …": the first word of each.
    let expected: Vec<&str> = petstore_tonic::banner::EXPECT
        .trim_start_matches("expect ")
        .split(", ")
        .map(|e| e.split(' ').next().unwrap())
        .collect();
    assert_eq!(expected, ["OK", "OK", "PermissionDenied", "OK", "Unauthenticated", "OK"]);
    let mut runs = Vec::new();
    for (line, expected) in commands.iter().zip(&expected) {
        let run = paste(line, &vars).await;
        assert_eq!(
            (run.status(), run.code),
            (*expected, if *expected == "OK" { 0 } else { 1 }),
            "{line}: {run:?}"
        );
        assert_no_secret(&run, &vars);
        runs.push(run);
    }
    assert_eq!(runs[0].json()["pets"].as_array().unwrap().len(), 2);
    assert_eq!(
        runs[1].json(),
        serde_json::json!({"id": 3, "name": "Nemo", "tag": "fish", "status": "available"})
    );
    // Field order as in the .proto.
    assert!(runs[1].stdout.starts_with("OK\n{\n  \"id\": 3,\n  \"name\": \"Nemo\",\n  \"tag\": \"fish\","));
    assert!(runs[2].stdout.contains("\nmessage: the token lacks a scope this resource requires\n"));
    assert!(runs[2].stdout.contains(
        r#"www-authenticate: Bearer realm="petstore", error="insufficient_scope", error_description="the token lacks a scope this resource requires", scope="pets:write admin""#
    ));
    assert!(runs[4].stdout.contains(r#"error="insufficient_user_authentication""#), "{}", runs[4].stdout);
    assert!(runs[4].stdout.contains(r#"acr_values="mfa", max_age="300""#), "{}", runs[4].stdout);
    assert_eq!(runs[5].json(), serde_json::json!({"order": 1, "status": "paid"}));
}

#[tokio::test]
async fn a_dpop_bound_token_works_with_its_key_only() {
    for nonce in ["0", "1"] {
        let settings = Settings::from_lookup(|n| (n == "AUTH_DPOP_NONCE").then(|| nonce.to_owned())).unwrap();
        let (auth, addr) = serve(settings).await;
        let vars = variables(auth.dev.as_ref().unwrap());
        let dev_commands = petstore_tonic::banner::dev_commands(addr, &auth);
        let with_key = dev_commands.iter().find(|c| !c.starts_with('#') && c.contains("--dpop-key")).unwrap();
        let run = paste(with_key, &vars).await;
        assert_eq!((run.status(), run.code), ("OK", 0), "nonce {nonce}: {run:?}");
        assert_eq!(run.json()["pets"].as_array().unwrap().len(), 2);
        // With server nonces, the first proof is refused with one, and the retry carries it.
        assert_eq!(run.stderr.contains("asked for a DPoP nonce; retried"), nonce == "1", "{run:?}");
        assert_no_secret(&run, &vars);

        let without_key = with_key.replace(" --dpop-key \"$DPOP_KEY\"", "");
        let run = paste(&without_key, &vars).await;
        assert_eq!((run.status(), run.code), ("Unauthenticated", 1), "nonce {nonce}: {run:?}");
        assert!(run.stdout.contains("\nwww-authenticate: "), "{run:?}");

        let opaque =
            dev_commands.iter().find(|c| !c.starts_with('#') && c.contains("$OPAQUE_TOKEN")).unwrap();
        let run = paste(opaque, &vars).await;
        assert_eq!((run.status(), run.json()["sub"].as_str()), ("OK", Some("dev-user")), "{run:?}");
    }
}

#[tokio::test]
async fn the_token_comes_from_the_environment_and_a_missing_one_is_unauthenticated() {
    let (auth, addr) = serve(Settings::default()).await;
    let token = auth.dev.as_ref().unwrap().token.clone();
    let addr = format!("http://{addr}");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_petstore-grpc"))
        .args(["get", "2"])
        .env("TOKEN", &token)
        .env("PETSTORE_GRPC_ADDR", &addr)
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8(output.stdout).unwrap().contains("\"name\": \"Tom\""));

    let run = client(["--addr", addr.as_str(), "me"]).await;
    assert_eq!((run.status(), run.code), ("Unauthenticated", 1), "{run:?}");
    assert!(run.stderr.contains("no token (--token or TOKEN)"), "{run:?}");
    let run = client(["--addr", addr.as_str(), "--token", token.as_str(), "get", "99"]).await;
    assert_eq!((run.status(), run.code), ("NotFound", 1), "{run:?}");
    assert_eq!(run.stdout, "NotFound\nmessage: no pet with id 99\n");
}

#[tokio::test]
async fn nothing_listening_is_unavailable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let addr = format!("http://{addr}");
    let run = client(["--addr", addr.as_str(), "--token", "t", "list"]).await;
    assert_eq!((run.status(), run.code), ("Unavailable", 1), "{run:?}");
    assert!(run.stdout.contains("Connection refused"), "{run:?}");
}

#[tokio::test]
async fn bad_arguments_exit_2_with_one_line() {
    let cases: [&[&str]; 6] = [
        &[],
        &["frobnicate"],
        &["get", "abc"],
        &["delete"],
        &["list", "--addr"],
        &["--addr", "ftp://x", "list"],
    ];
    for args in cases {
        let run = client(args).await;
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {run:?}");
        assert!(run.stderr.starts_with("petstore-grpc: ") && !run.stderr.contains("panicked"), "{run:?}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt as _;
        let run = client([std::ffi::OsString::from_vec(vec![0xff, b'x'])]).await;
        assert_eq!((run.code, run.stderr.as_str()), (2, "petstore-grpc: an argument is not valid UTF-8\n"));
    }
    let run = client(["--help"]).await;
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("usage: petstore-grpc ") && run.stdout.contains("pay ID"), "{run:?}");
}
