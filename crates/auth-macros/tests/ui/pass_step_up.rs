//! Every accepted form of `#[requires_step_up]`, on axum handlers and tonic methods, alone and
//! beside `#[requires_scopes]` in either order.

use axum::routing::{MethodRouter, post};
use tonic::{Request, Response, Status};
use tower_auth::{requires_scopes, requires_step_up};

#[requires_step_up(acr = "mfa")]
async fn one_acr() -> &'static str {
    "ok"
}

#[requires_step_up(acr = ["mfa", "hwk"], max_age = 300)]
async fn set_and_age() -> &'static str {
    "ok"
}

#[requires_step_up(max_age = 60)]
async fn age_only() -> &'static str {
    "ok"
}

#[requires_step_up(acr_levels = ["pwd", "mfa", "phr"], acr_at_least = "mfa", crate = "tower_auth")]
async fn levels() -> &'static str {
    "ok"
}

#[requires_scopes("pets:write")]
#[requires_step_up(acr = "mfa")]
async fn scopes_then(body: String) -> String {
    body
}

#[requires_step_up(acr = "mfa")]
#[requires_scopes("pets:write")]
async fn step_up_then(body: String) -> String {
    body
}

#[tonic::async_trait]
trait Orders: Send + Sync + 'static {
    async fn pay(&self, request: Request<u64>) -> Result<Response<()>, Status>;
    async fn refund(&self, request: Request<u64>) -> Result<Response<()>, Status>;
}

struct Service;

#[tonic::async_trait]
impl Orders for Service {
    #[requires_scopes("pets:write")]
    #[requires_step_up(acr = ["mfa"], max_age = 300)]
    async fn pay(&self, request: Request<u64>) -> Result<Response<()>, Status> {
        let _id = request.into_inner();
        Ok(Response::new(()))
    }

    #[requires_step_up(max_age = 300)]
    async fn refund(&self, request: Request<u64>) -> Result<Response<()>, Status> {
        let _id = request.into_inner();
        Ok(Response::new(()))
    }
}

fn main() {
    let _: [MethodRouter; 6] = [
        post(one_acr),
        post(set_and_age),
        post(age_only),
        post(levels),
        post(scopes_then),
        post(step_up_then),
    ];
    let _ = Service;
}
