//! gRPC: a real tonic client against `petstore-tonic`.

use auth_core::Algorithm;
use auth_core::dev_issuer::DevIssuer;
use petstore_tonic::proto::pet_store_client::PetStoreClient;
use petstore_tonic::proto::{CreatePetRequest, DeletePetRequest, GetMeRequest, ListPetsRequest};
use tonic::Code;
use tonic::transport::Channel;

fn request<T>(message: T, token: Option<&str>) -> tonic::Request<T> {
    let mut r = tonic::Request::new(message);
    if let Some(t) = token {
        r.metadata_mut().insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    r
}

#[tokio::test]
async fn grpc_calls_map_failures_to_grpc_status() {
    let issuer = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let (addr, _, _server) = petstore_e2e::start_grpc(&[("AUTH_ISSUER", issuer.issuer())]).await;
    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let mut client = PetStoreClient::new(channel);
    let read = issuer.token().scope("pets:read").sign();
    let write = issuer.token().scope("pets:read pets:write").sign();
    let admin = issuer.token().scope("pets:read pets:write admin").sign();

    let pets = client.list_pets(request(ListPetsRequest {}, Some(&read))).await.unwrap().into_inner();
    assert!(!pets.pets.is_empty());
    let me = client.get_me(request(GetMeRequest {}, Some(&read))).await.unwrap().into_inner();
    assert_eq!(me.sub.as_deref(), Some("dev-user"));

    let missing = client.list_pets(request(ListPetsRequest {}, None)).await.unwrap_err();
    assert_eq!(missing.code(), Code::Unauthenticated);
    let bad = client.list_pets(request(ListPetsRequest {}, Some("abc.def.ghi"))).await.unwrap_err();
    assert_eq!(bad.code(), Code::Unauthenticated);
    assert!(!bad.message().contains("abc.def.ghi"));

    let create = CreatePetRequest { name: "Rex".into(), tag: None };
    let denied = client.create_pet(request(create.clone(), Some(&read))).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let created = client.create_pet(request(create, Some(&write))).await.unwrap().into_inner();
    assert_eq!(created.name, "Rex");

    let delete = DeletePetRequest { id: created.id };
    let denied = client.delete_pet(request(delete, Some(&write))).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    client.delete_pet(request(delete, Some(&admin))).await.unwrap();
}

#[tokio::test]
async fn grpc_unreachable_provider_is_unavailable() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let jwks = format!("http://{closed}/jwks");
    let (addr, _, _server) = petstore_e2e::start_grpc(&[("AUTH_JWKS_URL", &jwks)]).await;
    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let mut client = PetStoreClient::new(channel);
    let issuer = DevIssuer::start(Algorithm::ES256).await.unwrap();
    let token = issuer.token().scope("pets:read").sign();
    let err = client.list_pets(request(ListPetsRequest {}, Some(&token))).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
}
