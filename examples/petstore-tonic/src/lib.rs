//! The Petstore over gRPC with tonic, protected by [`tower_auth`].
//!
//! The whole server sits behind [`AuthLayer`]: a call without a valid token never reaches a
//! handler, and fails with `UNAUTHENTICATED` (or `UNAVAILABLE` while keys load). Each method
//! then checks its own scopes (`proto/petstore.proto` lists them), answering
//! `PERMISSION_DENIED`; `PayOrder` then checks the step-up requirement (RFC 9470), answering
//! `UNAUTHENTICATED` with an `insufficient_user_authentication` challenge. Tests run [`serve`]
//! in-process and call it with [`proto`]'s client.
//!
//! The package ships a client, `petstore-grpc` ([`client`]), one call per run, and the startup
//! [`banner`] prints commands for it (then the same calls with `grpcurl`):
//!
//! ```text
//! cargo run -q -p petstore-tonic --bin petstore-grpc -- --token "$TOKEN" list
//! OK
//! {
//!   "pets": [ … ]
//! }
//! cargo run -q -p petstore-tonic --bin petstore-grpc -- --token "$TOKEN" delete 1
//! PermissionDenied
//! message: the token lacks a scope this resource requires
//! www-authenticate: Bearer realm="petstore", error="insufficient_scope", …
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::future::Future;
use std::sync::Arc;

use auth_core::{ScopeRequirement, StepUp};
use petstore::api::Caller;
use petstore::{NewPet, PetStore, Protection};
use tonic::metadata::MetadataValue;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};
use tower_auth::metadata::ResourceMetadataService;
use tower_auth::{AuthLayer, requires_scopes};

pub mod banner;
pub mod client;

/// The code generated from `proto/petstore.proto`: messages, client and server.
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
pub mod proto {
    tonic::include_proto!("petstore.v1");
}

use proto::pet_store_server::{PetStore as PetStoreRpc, PetStoreServer};

/// The service implementation over a shared [`PetStore`].
#[derive(Debug)]
pub struct PetStoreService {
    store: Arc<PetStore>,
    read: ScopeRequirement,
    step_up: StepUp,
}

impl PetStoreService {
    /// A service over `store`, `PayOrder` requiring the default step-up (`acr` `mfa`,
    /// authenticated within 300 s).
    pub fn new(store: Arc<PetStore>) -> Self {
        PetStoreService::with_step_up(store, petstore::default_step_up())
    }

    /// A service over `store` whose `PayOrder` requires `step_up`.
    pub fn with_step_up(store: Arc<PetStore>, step_up: StepUp) -> Self {
        PetStoreService { store, read: ScopeRequirement::all(["pets:read"]), step_up }
    }
}

/// The verified claims the [`AuthLayer`] put in the request, checked against `requirement`.
fn authorize<T>(
    request: &Request<T>,
    requirement: Option<&ScopeRequirement>,
) -> Result<auth_core::Claims, Status> {
    let Some(claims) = request.extensions().get::<auth_core::Claims>() else {
        // Only a server built without the AuthLayer gets here: fail closed.
        tracing::error!("no verified claims on a gRPC call: is the AuthLayer mounted?");
        return Err(Status::internal("authentication is not configured for this call"));
    };
    if let Some(requirement) = requirement
        && let Err(error) = requirement.check(claims.scopes())
    {
        // Through the layer's context, the refusal is counted and rendered as the layer's own.
        let rejection = match request.extensions().get::<tower_auth::AuthContext>() {
            Some(context) => context.refuse(error.clone()).into_parts().1,
            None => error.rejection(Some(petstore::REALM)),
        };
        let mut status = Status::permission_denied(error.to_string());
        for challenge in rejection.challenges() {
            if let Ok(value) = MetadataValue::try_from(challenge.to_string()) {
                status.metadata_mut().append("www-authenticate", value);
            }
        }
        return Err(status);
    }
    Ok(claims.clone())
}

fn to_proto(pet: petstore::Pet) -> proto::Pet {
    proto::Pet { id: pet.id, name: pet.name, tag: pet.tag, status: pet.status.as_str().to_owned() }
}

#[tonic::async_trait]
impl PetStoreRpc for PetStoreService {
    async fn list_pets(
        &self,
        request: Request<proto::ListPetsRequest>,
    ) -> Result<Response<proto::ListPetsResponse>, Status> {
        authorize(&request, Some(&self.read))?;
        let pets = self.store.list().into_iter().map(to_proto).collect();
        Ok(Response::new(proto::ListPetsResponse { pets }))
    }

    async fn get_pet(&self, request: Request<proto::GetPetRequest>) -> Result<Response<proto::Pet>, Status> {
        authorize(&request, Some(&self.read))?;
        let id = request.get_ref().id;
        let pet = self.store.get(id).ok_or_else(|| Status::not_found(format!("no pet with id {id}")))?;
        Ok(Response::new(to_proto(pet)))
    }

    // Two styles side by side: the read methods call `authorize`, these two state their scopes
    // with the attribute, which answers with the same `PERMISSION_DENIED` and challenge.
    #[requires_scopes("pets:write")]
    async fn create_pet(
        &self,
        request: Request<proto::CreatePetRequest>,
    ) -> Result<Response<proto::Pet>, Status> {
        let proto::CreatePetRequest { name, tag } = request.into_inner();
        let new = NewPet { name, tag };
        new.check().map_err(Status::invalid_argument)?;
        Ok(Response::new(to_proto(self.store.create(new))))
    }

    #[requires_scopes("pets:write", "admin")]
    async fn delete_pet(
        &self,
        request: Request<proto::DeletePetRequest>,
    ) -> Result<Response<proto::DeletePetResponse>, Status> {
        let id = request.get_ref().id;
        if !self.store.delete(id) {
            return Err(Status::not_found(format!("no pet with id {id}")));
        }
        Ok(Response::new(proto::DeletePetResponse {}))
    }

    // Scopes by the attribute first, then the step-up requirement from the settings.
    #[requires_scopes("pets:write")]
    async fn pay_order(
        &self,
        request: Request<proto::PayOrderRequest>,
    ) -> Result<Response<proto::Payment>, Status> {
        tower_auth::grpc_check_step_up(request.extensions(), &self.step_up)?;
        let paid = petstore::api::Payment::paid(request.get_ref().id);
        Ok(Response::new(proto::Payment { order: paid.order, status: paid.status }))
    }

    async fn get_me(&self, request: Request<proto::GetMeRequest>) -> Result<Response<proto::Me>, Status> {
        let claims = authorize(&request, None)?;
        let caller: Caller = claims.deserialize().map_err(|e| {
            tracing::debug!(error = %e, "claims do not fit the Caller type");
            Status::unauthenticated("the token's claims have unexpected types")
        })?;
        let me = caller.me();
        Ok(Response::new(proto::Me { sub: me.sub, client_id: me.client_id, scopes: me.scopes }))
    }
}

/// Serves the Petstore on `listener` until the process ends. Keys load in the background;
/// until they do, calls fail with `UNAVAILABLE`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    auth: impl Into<Protection>,
) -> Result<(), tonic::transport::Error> {
    serve_with_shutdown(listener, auth, std::future::pending()).await
}

/// [`serve`], stopping gracefully when `shutdown` completes.
pub async fn serve_with_shutdown(
    listener: tokio::net::TcpListener,
    auth: impl Into<Protection>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), tonic::transport::Error> {
    let Protection { authenticator, step_up, .. } = auth.into();
    petstore::spawn_warm_up(authenticator.validator().clone());
    let service = PetStoreService::with_step_up(Arc::new(PetStore::seeded()), step_up);
    // The RFC 9728 document beside the gRPC service, over HTTP/1.1 too (it is what every
    // challenge's `resource_metadata` names); the AuthLayer lets requests for it through.
    let mut routes = tonic::service::Routes::builder();
    if let Ok(metadata) = ResourceMetadataService::new(authenticator.clone()) {
        routes = tonic::service::RoutesBuilder::from(metadata.into_router::<()>());
    }
    routes.add_service(PetStoreServer::new(service));
    tonic::transport::Server::builder()
        .accept_http1(true)
        .layer(AuthLayer::from_authenticator(authenticator))
        .add_routes(routes.routes())
        .serve_with_incoming_shutdown(TcpIncoming::from(listener), shutdown)
        .await
}
