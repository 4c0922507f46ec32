//! The Petstore API on axum, protected by [`tower_auth`].
//!
//! | Route | Access |
//! |---|---|
//! | `GET /health` | public |
//! | `GET /openapi.json` | public: the OpenAPI document, its security generated from the attributes and layers below |
//! | `GET /ready` | public: 200 when keys are loaded and the revocation list is not stale, else 503 |
//! | `GET /metrics` | public, with `PETSTORE_METRICS=1` (else 404): Prometheus text, the series of `auth_core::metrics` |
//! | `GET`/`HEAD /.well-known/oauth-protected-resource` (and the path-inserted URI when `AUTH_RESOURCE` has a path) | public: RFC 9728 metadata |
//! | `GET /pets`, `GET /pets/{id}` | scope `pets:read` |
//! | `POST /pets` | scope `pets:write` |
//! | `DELETE /pets/{id}` | scopes `pets:write` and `admin` |
//! | `POST /admin/revocations`, `DELETE /admin/revocations` | scopes `pets:write` and `admin` |
//! | `GET /me` | any valid token |
//! | `GET /store/inventory` | optional: anonymous callers get the public view |
//! | `POST /store/orders/{id}/payment` | scope `pets:write`, then step-up (RFC 9470): `acr` among `AUTH_STEP_UP_ACR`, `auth_time` within `AUTH_STEP_UP_MAX_AGE` |
//!
//! Scopes are stated on the handlers with `#[requires_scopes(...)]`, and, to show the other style,
//! with `RequireScopesLayer` on `POST /pets`. Both answer the same 403; the attribute costs less
//! per request (an extractor reading the request's extensions, where each axum `route_layer`
//! adds boxed services and a boxed body). Authentication
//! failures are answered by `tower-auth` (RFC 6750). Run it with
//! `cargo run -p petstore-axum`; tests run [`serve`] in-process on a real socket.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::future::Future;
use std::sync::Arc;

use auth_core::Validator;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use petstore::api::{Caller, ErrorBody, Health, Inventory, Me, Payment};
use petstore::revocation::{Action, AdminAnswer, MAX_BODY_BYTES};
use petstore::{NewPet, Pet, PetStore, Protection, parse_id};
use tower_auth::metadata::ResourceMetadataService;
use tower_auth::openapi::OpenApiSecurity;
use tower_auth::{
    AuthLayer, Claims, DEFAULT_FORM_BODY_LIMIT, RequireScopesLayer, RequireStepUpLayer, requires_scopes,
};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;

#[derive(Clone)]
struct AppState {
    store: Arc<PetStore>,
    validator: Validator,
    /// `GET /openapi.json`; `None` when the document disagreed with the routes (logged).
    openapi: Option<Bytes>,
}

/// Every operation behind the `protected` router's `AuthLayer`.
const PROTECTED: [&str; 8] =
    ["list_pets", "create_pet", "get_pet", "delete_pet", "me", "pay_order", "revoke", "lift"];

/// The Petstore router, with a fresh store (the two seed pets).
/// `auth` is the validator, an [`Authenticator`](auth_core::Authenticator) with request rules
/// (`AUTH_PUBLIC_URL`), or a [`Protection`] with the payment route's step-up requirement.
pub fn app(auth: impl Into<Protection>) -> Router {
    app_with_store(auth, Arc::new(PetStore::seeded()))
}

/// The Petstore router over `store`.
pub fn app_with_store(auth: impl Into<Protection>, store: Arc<PetStore>) -> Router {
    let Protection { authenticator, step_up, metrics } = auth.into();
    // RFC 9728: the document at its well-known paths, public (the Petstore always has one).
    let metadata = ResourceMetadataService::new(authenticator.clone()).ok();
    // Form bodies are read (up to 64 KiB) so a token also sent as an `access_token` form
    // field is refused as `invalid_request` (RFC 6750 §2: one method per request).
    let required =
        AuthLayer::from_authenticator(authenticator.clone()).inspect_form_body(DEFAULT_FORM_BODY_LIMIT);
    // No token: the handler sees `None`. A bad token is still refused (401).
    let optional = AuthLayer::from_authenticator(authenticator.clone())
        .optional()
        .inspect_form_body(DEFAULT_FORM_BODY_LIMIT);
    let write = RequireScopesLayer::all(["pets:write"]);
    let step_up = RequireStepUpLayer::new(step_up);

    // The OpenAPI security, from the values mounted below and the handlers' attributes.
    let security = OpenApiSecurity::new(authenticator.validator())
        .handlers_in(env!("CARGO_CRATE_NAME"))
        .operations(PROTECTED, &required)
        .operation("create_pet", &write)
        .operation("pay_order", &write)
        .operation("pay_order", &step_up)
        .operation("inventory", &optional);
    let openapi = petstore::openapi::served(&security).map(Bytes::from);
    let state = AppState { store, validator: authenticator.validator().clone(), openapi };

    // Every route here needs a valid token. `route_layer` (not `layer`): unknown paths still
    // answer 404, not 401. Scope layers sit inside the AuthLayer, next to their handler.
    let protected = Router::new()
        .route("/pets", get(list_pets))
        .route("/pets", axum::routing::post(create_pet).route_layer(write.clone()))
        .route("/pets/{id}", get(get_pet))
        .route("/pets/{id}", axum::routing::delete(delete_pet))
        .route("/me", get(me))
        // Scopes first (the layer added last runs first), then step-up: a token lacking
        // `pets:write` is 403 whatever its `acr`.
        .route(
            "/store/orders/{id}/payment",
            axum::routing::post(pay_order).route_layer(step_up).route_layer(write),
        )
        .route(
            "/admin/revocations",
            axum::routing::post(revoke).delete(lift).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
        .route_layer(required);

    let optional = Router::new().route("/store/inventory", get(inventory)).route_layer(optional);

    let mut router = Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route(petstore::openapi::OPENAPI_PATH, get(openapi_json))
        .merge(protected)
        .merge(optional);
    if let Some(metadata) = metadata {
        router = router.merge(metadata.into_router());
    }
    if let Some(metrics) = metrics {
        router = router.route("/metrics", get(move |state| scrape(state, metrics.clone())));
    }
    router
        .fallback(no_route)
        .with_state(state)
        // Outermost, so the token never reaches the request logs.
        .layer(TraceLayer::new_for_http())
        .layer(SetSensitiveRequestHeadersLayer::new([AUTHORIZATION]))
}

/// Serves the Petstore on `listener` until the process ends. Keys load in the background:
/// `/health` answers at once, protected routes answer 503 until the keys are there.
pub async fn serve(listener: tokio::net::TcpListener, auth: impl Into<Protection>) -> std::io::Result<()> {
    serve_with_shutdown(listener, auth, std::future::pending()).await
}

/// [`serve`], stopping gracefully when `shutdown` completes.
pub async fn serve_with_shutdown(
    listener: tokio::net::TcpListener,
    auth: impl Into<Protection>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let protection = auth.into();
    petstore::spawn_warm_up(protection.authenticator.validator().clone());
    axum::serve(listener, app(protection)).with_graceful_shutdown(shutdown).await
}

async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health::of(&state.validator))
}

async fn openapi_json(State(state): State<AppState>) -> Response {
    match &state.openapi {
        Some(json) => ([(CONTENT_TYPE, "application/json")], json.clone()).into_response(),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn ready(State(state): State<AppState>) -> Response {
    let (status, health) = Health::readiness(&state.validator);
    (StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE), Json(health)).into_response()
}

async fn scrape(State(state): State<AppState>, metrics: petstore::metrics::Metrics) -> Response {
    ([(CONTENT_TYPE, petstore::metrics::CONTENT_TYPE)], metrics.render(&state.validator)).into_response()
}

#[requires_scopes("pets:read")]
async fn list_pets(State(state): State<AppState>) -> Json<Vec<Pet>> {
    Json(state.store.list())
}

#[requires_scopes("pets:read")]
async fn get_pet(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match parse_id(&id).and_then(|id| state.store.get(id)) {
        Some(pet) => Json(pet).into_response(),
        None => not_found(&id),
    }
}

async fn create_pet(State(state): State<AppState>, body: Result<Json<NewPet>, JsonRejection>) -> Response {
    let new = match body {
        Ok(Json(new)) => new,
        Err(rejection) => {
            let message = "the body must be JSON like {\"name\": \"Rex\", \"tag\": \"dog\"}";
            return (rejection.status(), Json(ErrorBody::invalid_pet(message))).into_response();
        }
    };
    if let Err(message) = new.check() {
        return (StatusCode::BAD_REQUEST, Json(ErrorBody::invalid_pet(message))).into_response();
    }
    (StatusCode::CREATED, Json(state.store.create(new))).into_response()
}

/// Deletes a pet. The scope check answers exactly as `RequireScopesLayer` would (403
/// `insufficient_scope` naming both scopes), before the path is even parsed.
#[requires_scopes("pets:write", "admin")]
async fn delete_pet(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    if parse_id(&id).is_some_and(|id| state.store.delete(id)) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found(&id)
    }
}

/// Revokes the entry the body names (see [`petstore::revocation`]): 204.
#[requires_scopes("pets:write", "admin")]
async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    admin(&state, Action::Revoke, &headers, body).await
}

/// Lifts the entry the body names: 204.
#[requires_scopes("pets:write", "admin")]
async fn lift(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    admin(&state, Action::Lift, &headers, body).await
}

async fn admin(
    state: &AppState,
    action: Action,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let answer = match body {
        Ok(body) => petstore::revocation::answer(&state.validator, action, content_type, &body).await,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => AdminAnswer::too_large(),
        Err(_) => AdminAnswer::unreadable(),
    };
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match answer.body {
        Some(body) => (status, Json(body)).into_response(),
        None => status.into_response(),
    };
    if let Some(secs) = answer.retry_after {
        response.headers_mut().insert(RETRY_AFTER, secs.into());
    }
    response
}

/// Pays an order; the layers have checked the scope and the step-up requirement.
async fn pay_order(Path(id): Path<String>) -> Response {
    match parse_id(&id) {
        Some(order) => Json(Payment::paid(order)).into_response(),
        None => (StatusCode::NOT_FOUND, Json(ErrorBody::no_route())).into_response(),
    }
}

async fn me(Claims(caller): Claims<Caller>) -> Json<Me> {
    Json(caller.me())
}

async fn inventory(caller: Option<Claims<Caller>>) -> Json<Inventory> {
    Json(match caller {
        Some(Claims(caller)) => Inventory::full(&caller),
        None => Inventory::public(),
    })
}

async fn no_route() -> Response {
    (StatusCode::NOT_FOUND, Json(ErrorBody::no_route())).into_response()
}

fn not_found(raw_id: &str) -> Response {
    (StatusCode::NOT_FOUND, Json(ErrorBody::pet_not_found(raw_id))).into_response()
}
