//! Every accepted form, on axum handlers and a tonic service.

use axum::routing::{MethodRouter, get};
use serde::Deserialize;
use tonic::{Request, Response, Status};
use tower_auth::{Claims, Scopes, requires_any_scope, requires_scopes};

#[derive(Scopes, Clone, Copy)]
enum PetScope {
    #[scope("pets:read")]
    Read,
    #[scope("pets:write")]
    Write,
}

#[derive(Deserialize, Claims)]
#[claims(required = ["client_id"], crate = "tower_auth")]
struct Caller {
    #[serde(rename = "sub")]
    #[claims(required)]
    subject: String,
    client_id: String,
    #[claims(scopes)]
    scopes: Vec<String>,
    #[claims(scopes = ["roles", "groups"])]
    roles: Vec<String>,
}

// serde's renames decide the claims' names: `rename_all`, then a field's own `rename`.
#[derive(Deserialize, Claims)]
#[serde(rename_all = "camelCase")]
#[claims(required = ["clientId"])]
struct Renamed {
    #[claims(required)]
    tenant_id: String,
    client_id: String,
    #[serde(rename(deserialize = "org"))]
    #[claims(required)]
    org_name: Option<String>,
    #[claims(scopes = "scp")]
    granted_scopes: Vec<String>,
    // Aliases are fine where `#[claims]` does not need the field's name.
    #[serde(default, alias = "grp")]
    group_id: Option<String>,
}

/// Deletes.
#[requires_scopes(PetScope::Write, "admin")]
pub async fn delete_pet(caller: Caller, axum::extract::Path(id): axum::extract::Path<u64>) -> String {
    format!("{} {} {id} {:?} {:?}", caller.subject, caller.client_id, caller.scopes, caller.roles)
}

#[requires_scopes(any(PetScope::Read, "admin"), crate = "::tower_auth")]
async fn list_pets(caller: Option<Caller>) -> &'static str {
    if caller.is_some() { "[]" } else { "" }
}

#[requires_any_scope("pets:read", PetScope::Write)]
pub(crate) async fn read_or_write(body: String) -> String {
    body
}

#[tonic::async_trait]
trait Pets: Send + Sync + 'static {
    async fn delete(&self, request: Request<u64>) -> Result<Response<()>, Status>;
    async fn list(&self, request: Request<()>) -> Result<Response<Vec<u64>>, Status>;
}

struct Service;

#[tonic::async_trait]
impl Pets for Service {
    #[requires_scopes(PetScope::Write, "admin")]
    async fn delete(&self, request: Request<u64>) -> Result<Response<()>, Status> {
        let _id = request.into_inner();
        Ok(Response::new(()))
    }

    #[requires_any_scope(PetScope::Read)]
    async fn list(&self, mut request: Request<()>) -> Result<Response<Vec<u64>>, Status> {
        request.metadata_mut().remove("x");
        Ok(Response::new(vec![1]))
    }
}

fn main() {
    use tower_auth::__private::DeriveClaims;
    assert_eq!(<Renamed as DeriveClaims>::REQUIRED, ["clientId", "tenantId", "org"]);
    assert_eq!(<Renamed as DeriveClaims>::SCOPE_FIELDS, [("grantedScopes", &["scp"][..])]);
    assert_eq!(<Caller as DeriveClaims>::REQUIRED, ["client_id", "sub"]);
    let _: fn(Renamed) -> (String, String, Option<String>, Vec<String>, Option<String>) =
        |r| (r.tenant_id, r.client_id, r.org_name, r.granted_scopes, r.group_id);
    let _: [MethodRouter; 3] = [get(delete_pet), get(list_pets), get(read_or_write)];
    assert_eq!(PetScope::Write.as_str(), "pets:write");
    let _: String = PetScope::Read.into();
    let _ = Service;
}
