//! The Petstore API on actix-web 4, protected by [`actix_auth`]: the same routes, scopes,
//! environment variables, development issuer and answers as `petstore-axum`, byte for byte.
//!
//! | Route | Access |
//! |---|---|
//! | `GET /health` | public |
//! | `GET /openapi.json` | public: the OpenAPI document, its security generated from the attributes and middleware below |
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
//! Authentication failures are answered by `actix-auth` (RFC 6750). Run it with
//! `cargo run -p petstore-actix`; tests run [`server`] in-process on a real socket.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::sync::Arc;

use actix_auth::metadata::ResourceMetadataService;
use actix_auth::openapi::OpenApiSecurity;
use actix_auth::{
    AuthLayer, Claims, OptionalClaims, RequireScopesLayer, RequireStepUpLayer, requires_scopes,
};
use actix_web::dev::Server;
use actix_web::http::StatusCode;
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, web};
use auth_core::{DEFAULT_FORM_BODY_LIMIT, Validator};
use futures_util::StreamExt;
use petstore::api::{Caller, ErrorBody, Health, Inventory, Payment};
use petstore::revocation::{Action, AdminAnswer, MAX_BODY_BYTES};
use petstore::{NewPet, PetStore, Protection, parse_id};

/// The largest `POST /pets` body read: 2 MiB, axum's default body limit, so both answer alike.
const JSON_BODY_LIMIT: usize = 2 * 1024 * 1024;

struct AppState {
    store: Arc<PetStore>,
    validator: Validator,
    /// `GET /openapi.json`; `None` when the document disagreed with the routes (logged).
    openapi: Option<web::Bytes>,
}

/// Every operation behind the `protected` `AuthLayer`.
const PROTECTED: [&str; 8] =
    ["list_pets", "create_pet", "get_pet", "delete_pet", "me", "pay_order", "revoke", "lift"];

/// Registers the Petstore's routes, over `store`, on an actix `App` (`App::new().configure(..)`).
///
/// `AuthLayer` wraps each protected resource (not the app), so unknown paths still answer 404. The
/// handlers state their scopes with `#[requires_scopes]`; `POST /pets` shows the other style, a
/// `RequireScopesLayer` middleware inside `AuthLayer` (the same 403 answer; the attribute costs less per
/// request: an extractor rather than a boxed middleware call).
pub fn configure(cfg: &mut web::ServiceConfig, auth: impl Into<Protection>, store: Arc<PetStore>) {
    let Protection { authenticator, step_up, metrics } = auth.into();
    let validator = authenticator.validator().clone();
    // RFC 9728: the document at its well-known paths, public (the Petstore always has one).
    let metadata = ResourceMetadataService::new(authenticator.clone()).ok();
    // Form bodies are read (up to 64 KiB) so a token also sent as an `access_token` form field
    // is refused as `invalid_request` (RFC 6750 §2: one method per request).
    let protected =
        AuthLayer::from_authenticator(authenticator.clone()).inspect_form_body(DEFAULT_FORM_BODY_LIMIT);
    // No token: the handler sees `None`. A bad token is still refused (401).
    let optional = AuthLayer::from_authenticator(authenticator.clone())
        .optional()
        .inspect_form_body(DEFAULT_FORM_BODY_LIMIT);
    let write = RequireScopesLayer::all(["pets:write"]);
    let step_up = RequireStepUpLayer::new(step_up);

    // The OpenAPI security, from the values mounted below and the handlers' attributes.
    let security = OpenApiSecurity::new(&validator)
        .handlers_in(env!("CARGO_CRATE_NAME"))
        .operations(PROTECTED, &protected)
        .operation("create_pet", &write)
        .operation("pay_order", &write)
        .operation("pay_order", &step_up)
        .operation("inventory", &optional);
    let openapi = petstore::openapi::served(&security).map(web::Bytes::from);

    cfg.app_data(web::Data::new(AppState { store, validator, openapi }))
        .route("/health", web::get().to(health))
        .route("/ready", web::get().to(ready))
        .route(petstore::openapi::OPENAPI_PATH, web::get().to(openapi_json))
        .service(
            web::resource("/pets")
                .route(web::get().to(list_pets))
                .route(web::post().to(create_pet).wrap(write.clone()))
                .wrap(protected.clone()),
        )
        .service(
            web::resource("/pets/{id}")
                .route(web::get().to(get_pet))
                .route(web::delete().to(delete_pet))
                .wrap(protected.clone()),
        )
        .service(
            web::resource("/admin/revocations")
                .route(web::post().to(revoke))
                .route(web::delete().to(lift))
                .wrap(protected.clone()),
        )
        .service(
            web::resource("/store/orders/{id}/payment")
                // Registered last, runs first: scopes, then step-up (a token lacking
                // `pets:write` is 403 whatever its `acr`).
                .route(web::post().to(pay_order).wrap(step_up).wrap(write))
                .wrap(protected.clone()),
        )
        .service(web::resource("/me").route(web::get().to(me)).wrap(protected))
        .service(web::resource("/store/inventory").route(web::get().to(inventory)).wrap(optional))
        .default_service(web::to(no_route));
    if let Some(metadata) = metadata {
        cfg.service(metadata);
    }
    if let Some(metrics) = metrics {
        cfg.app_data(web::Data::new(metrics)).route("/metrics", web::get().to(scrape));
    }
}

async fn scrape(state: web::Data<AppState>, metrics: web::Data<petstore::metrics::Metrics>) -> HttpResponse {
    HttpResponse::Ok().content_type(petstore::metrics::CONTENT_TYPE).body(metrics.render(&state.validator))
}

/// The Petstore server on `listener`, with a fresh store (the two seed pets), not yet running:
/// await it to serve, or keep its [`handle`](Server::handle) to stop it. Keys load in the
/// background: `/health` answers at once, protected routes answer 503 until the keys are there.
///
/// Must be called inside an actix (or tokio) runtime.
pub fn server(listener: std::net::TcpListener, auth: impl Into<Protection>) -> std::io::Result<Server> {
    let protection = auth.into();
    petstore::spawn_warm_up(protection.authenticator.validator().clone());
    let store = Arc::new(PetStore::seeded());
    let server = HttpServer::new(move || {
        App::new().configure(|cfg| configure(cfg, protection.clone(), Arc::clone(&store)))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

/// Serves the Petstore on `listener` until the server stops (Ctrl-C, or its handle).
pub async fn serve(listener: std::net::TcpListener, auth: impl Into<Protection>) -> std::io::Result<()> {
    server(listener, auth)?.await
}

/// Pays an order; the middleware has checked the scope and the step-up requirement.
async fn pay_order(id: web::Path<String>) -> HttpResponse {
    match parse_id(&id) {
        Some(order) => HttpResponse::Ok().json(Payment::paid(order)),
        None => HttpResponse::NotFound().json(ErrorBody::no_route()),
    }
}

async fn health(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(Health::of(&state.validator))
}

async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    match &state.openapi {
        Some(json) => HttpResponse::Ok().content_type("application/json").body(json.clone()),
        None => HttpResponse::InternalServerError().finish(),
    }
}

async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let (status, health) = Health::readiness(&state.validator);
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)).json(health)
}

#[requires_scopes("pets:read")]
async fn list_pets(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.store.list())
}

#[requires_scopes("pets:read")]
async fn get_pet(state: web::Data<AppState>, id: web::Path<String>) -> HttpResponse {
    match parse_id(&id).and_then(|id| state.store.get(id)) {
        Some(pet) => HttpResponse::Ok().json(pet),
        None => not_found(&id),
    }
}

async fn create_pet(state: web::Data<AppState>, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    let new = match read_json::<NewPet>(&req, payload).await {
        Ok(new) => new,
        Err(status) => {
            let message = "the body must be JSON like {\"name\": \"Rex\", \"tag\": \"dog\"}";
            return HttpResponse::build(status).json(ErrorBody::invalid_pet(message));
        }
    };
    if let Err(message) = new.check() {
        return HttpResponse::BadRequest().json(ErrorBody::invalid_pet(message));
    }
    HttpResponse::Created().json(state.store.create(new))
}

/// A JSON body, refused with the statuses axum's `Json` extractor uses: 415 without a JSON
/// content type, 413 over the limit, 400 for a syntax error or a body that cannot be read,
/// 422 for valid JSON of the wrong shape.
async fn read_json<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    mut payload: web::Payload,
) -> Result<T, StatusCode> {
    let is_json = match req.mime_type() {
        Ok(Some(mime)) => {
            mime.type_() == "application"
                && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
        }
        _ => false,
    };
    if !is_json {
        return Err(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| StatusCode::BAD_REQUEST)?;
        if body.len() + chunk.len() > JSON_BODY_LIMIT {
            return Err(StatusCode::PAYLOAD_TOO_LARGE);
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_REQUEST,
    })
}

/// Deletes a pet.
#[requires_scopes("pets:write", "admin")]
async fn delete_pet(state: web::Data<AppState>, id: web::Path<String>) -> HttpResponse {
    if parse_id(&id).is_some_and(|id| state.store.delete(id)) {
        HttpResponse::NoContent().finish()
    } else {
        not_found(&id)
    }
}

/// Revokes the entry the body names (see [`petstore::revocation`]): 204.
#[requires_scopes("pets:write", "admin")]
async fn revoke(state: web::Data<AppState>, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    admin(&state, Action::Revoke, &req, payload).await
}

/// Lifts the entry the body names: 204.
#[requires_scopes("pets:write", "admin")]
async fn lift(state: web::Data<AppState>, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    admin(&state, Action::Lift, &req, payload).await
}

async fn admin(
    state: &AppState,
    action: Action,
    req: &HttpRequest,
    mut payload: web::Payload,
) -> HttpResponse {
    let mut body = web::BytesMut::new();
    let mut read = Ok(());
    while let Some(chunk) = payload.next().await {
        match chunk {
            Ok(chunk) if body.len() + chunk.len() > MAX_BODY_BYTES => {
                read = Err(AdminAnswer::too_large());
                break;
            }
            Ok(chunk) => body.extend_from_slice(&chunk),
            Err(_) => {
                read = Err(AdminAnswer::unreadable());
                break;
            }
        }
    }
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok());
    let answer = match read {
        Ok(()) => petstore::revocation::answer(&state.validator, action, content_type, &body).await,
        Err(answer) => answer,
    };
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    if let Some(secs) = answer.retry_after {
        response.insert_header(("retry-after", secs.to_string()));
    }
    match answer.body {
        Some(body) => response.json(body),
        None => response.finish(),
    }
}

async fn me(Claims(caller): Claims<Caller>) -> HttpResponse {
    HttpResponse::Ok().json(caller.me())
}

async fn inventory(OptionalClaims(caller): OptionalClaims<Caller>) -> HttpResponse {
    HttpResponse::Ok().json(match caller {
        Some(caller) => Inventory::full(&caller),
        None => Inventory::public(),
    })
}

async fn no_route() -> HttpResponse {
    HttpResponse::NotFound().json(ErrorBody::no_route())
}

fn not_found(raw_id: &str) -> HttpResponse {
    HttpResponse::NotFound().json(ErrorBody::pet_not_found(raw_id))
}
