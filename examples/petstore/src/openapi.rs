//! The Petstore's OpenAPI document, described once for every HTTP binary: its paths,
//! operations and answers ([`document`]), with each operation's `operationId` the name of the
//! handler that serves it in `petstore-axum` and `petstore-actix`. The security is not written
//! here: each binary fills it from the attributes and layers that guard its routes
//! (`auth_core::openapi::OpenApiSecurity`), so `GET /openapi.json` says what runs.

use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::{
    Content, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Required, ResponseBuilder, ResponsesBuilder,
};

/// The path of the document.
pub const OPENAPI_PATH: &str = "/openapi.json";

/// One operation: method, path, `operationId` (the handler's name), summary, answers.
struct Operation {
    method: HttpMethod,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    answers: &'static [(&'static str, &'static str)],
}

const fn op(
    method: HttpMethod,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    answers: &'static [(&'static str, &'static str)],
) -> Operation {
    Operation { method, path, id, summary, answers }
}

const OK_JSON: (&str, &str) = ("200", "JSON");
const NOT_FOUND: (&str, &str) = ("404", "No such pet");
const UNAVAILABLE: (&str, &str) = ("503", "Signing keys not loaded yet, or the revocation list is stale");
const ADMIN: &[(&str, &str)] = &[
    ("204", "Done"),
    ("400", "Not a revocation body"),
    ("413", "Body too large"),
    ("415", "Not JSON"),
    ("503", "The revocation store cannot record it now"),
];

/// Every operation the HTTP Petstores serve.
const OPERATIONS: &[Operation] = &[
    op(HttpMethod::Get, "/health", "health", "The process answers; whether keys are loaded", &[OK_JSON]),
    op(
        HttpMethod::Get,
        "/ready",
        "ready",
        "Ready to serve (for orchestrators)",
        &[OK_JSON, ("503", "Not ready")],
    ),
    op(HttpMethod::Get, OPENAPI_PATH, "openapi_json", "This document", &[OK_JSON]),
    op(
        HttpMethod::Get,
        auth_core::metadata::WELL_KNOWN_PATH,
        "resource_metadata",
        "OAuth 2.0 Protected Resource Metadata (RFC 9728)",
        &[OK_JSON],
    ),
    op(HttpMethod::Get, "/pets", "list_pets", "List the pets", &[OK_JSON, UNAVAILABLE]),
    op(
        HttpMethod::Post,
        "/pets",
        "create_pet",
        "Add a pet: {\"name\", \"tag\"?}",
        &[
            ("201", "The new pet"),
            ("400", "Invalid pet"),
            ("415", "Not JSON"),
            ("422", "Not a pet"),
            UNAVAILABLE,
        ],
    ),
    op(HttpMethod::Get, "/pets/{id}", "get_pet", "One pet", &[OK_JSON, NOT_FOUND, UNAVAILABLE]),
    op(
        HttpMethod::Delete,
        "/pets/{id}",
        "delete_pet",
        "Delete a pet",
        &[("204", "Deleted"), NOT_FOUND, UNAVAILABLE],
    ),
    op(HttpMethod::Post, "/admin/revocations", "revoke", "Revoke a token, subject or client", ADMIN),
    op(HttpMethod::Delete, "/admin/revocations", "lift", "Lift a revocation", ADMIN),
    op(HttpMethod::Get, "/me", "me", "The caller, as the token names it", &[OK_JSON, UNAVAILABLE]),
    op(
        HttpMethod::Get,
        "/store/inventory",
        "inventory",
        "The inventory: public view anonymously, full view with a token",
        &[OK_JSON, UNAVAILABLE],
    ),
    op(
        HttpMethod::Post,
        "/store/orders/{id}/payment",
        "pay_order",
        "Pay an order (after a recent, strong sign-in: RFC 9470 step-up)",
        &[OK_JSON, ("404", "No such order"), UNAVAILABLE],
    ),
];

/// The document without security: paths, operations, answers.
///
/// ```
/// let doc = petstore::openapi::document();
/// assert!(doc.paths.get_path_operation("/pets", utoipa::openapi::HttpMethod::Get).is_some());
/// ```
pub fn document() -> OpenApi {
    let mut paths = Paths::new();
    for operation in OPERATIONS {
        let mut responses = ResponsesBuilder::new();
        for (status, description) in operation.answers {
            let mut response = ResponseBuilder::new().description(*description);
            if status.starts_with('2') && *status != "204" {
                response = response.content("application/json", Content::default());
            }
            responses = responses.response(*status, response.build());
        }
        let mut builder = OperationBuilder::new()
            .operation_id(Some(operation.id))
            .summary(Some(operation.summary))
            .responses(responses.build());
        if operation.path.contains("{id}") {
            builder = builder.parameter(
                ParameterBuilder::new().name("id").parameter_in(ParameterIn::Path).required(Required::True),
            );
        }
        if operation.id == "create_pet" {
            let body = RequestBodyBuilder::new()
                .content("application/json", Content::default())
                .required(Some(Required::True))
                .build();
            builder = builder.request_body(Some(body));
        }
        paths.add_path_operation(operation.path, vec![operation.method.clone()], builder.build());
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new().title("Petstore").version(env!("CARGO_PKG_VERSION")).description(Some(
                "The Petstore API; its security is generated from the code that enforces it.",
            )),
        )
        .paths(paths)
        .build()
}

/// The document with its security filled by `security` (the binary's own declarations), as JSON:
/// what `GET /openapi.json` answers. An error means the declarations and the document disagree:
/// the binaries answer 500 and log it.
pub fn json(
    security: &auth_core::openapi::OpenApiSecurity,
) -> Result<String, auth_core::openapi::OpenApiError> {
    let mut doc = document();
    security.apply(&mut doc)?;
    // Serializing utoipa's own types cannot fail (string keys only).
    Ok(serde_json::to_string(&doc).unwrap_or_default())
}

/// [`json`] as the bytes `GET /openapi.json` serves, built once at startup; `None` (the route
/// answers 500) when the declarations and the document disagree, logged here.
pub fn served(security: &auth_core::openapi::OpenApiSecurity) -> Option<Vec<u8>> {
    json(security)
        .inspect_err(|e| tracing::error!(error = %e, "the OpenAPI document disagrees with the routes"))
        .ok()
        .map(String::into_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_named_once() {
        let mut ids: Vec<&str> = OPERATIONS.iter().map(|o| o.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), OPERATIONS.len());
        let doc = serde_json::to_value(document()).unwrap();
        assert_eq!(doc["paths"]["/pets"]["post"]["operationId"], "create_pet");
        assert_eq!(doc["paths"]["/pets/{id}"]["delete"]["parameters"][0]["in"], "path");
    }
}
