//! The gRPC Petstore answers a real client over a real socket (the full matrix lives in the
//! end-to-end suite).

use petstore::{Auth, Settings};
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

async fn start(settings: Settings) -> (Auth, PetStoreClient<Channel>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let auth = Auth::from_settings(&settings.bound_to(addr)).await.unwrap();
    tokio::spawn(petstore_tonic::serve(listener, auth.validator.clone()));
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
