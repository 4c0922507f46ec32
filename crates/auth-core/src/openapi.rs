//! OpenAPI security generated from the code that enforces it (feature `utoipa`): the security
//! schemes from the validator's trusted issuers, and each operation's security requirement from
//! the `#[requires_scopes]` / `#[requires_any_scope]` / `#[requires_step_up]` attributes on its
//! handler and from the
//! layers in front of it, so the document cannot say something other than what runs.
//!
//! [`OpenApiSecurity`] fills a [`utoipa::openapi::OpenApi`] (written with `#[utoipa::path]`,
//! `utoipa-axum`'s `OpenApiRouter`, or by hand): it finds each operation's handler by its
//! `operationId` (utoipa's default is the handler's fn name, which the attributes record),
//! combines what the attributes state with what you declare for the routes a layer guards
//! ([`OpenApiSecurity::operation`], given the layer or authenticator value that enforces it),
//! and writes:
//!
//! | Route | `security` |
//! |---|---|
//! | all-of scopes `a`, `b` | `[{"openid": ["a", "b"]}]` |
//! | any-of scopes `a`, `b` | `[{"openid": ["a"]}, {"openid": ["b"]}]` |
//! | a valid token, no scopes | `[{"openid": []}]` |
//! | optional token | `[{}, {"openid": []}]` |
//! | public | none (`[]` when the document has a top-level requirement) |
//!
//! A step-up requirement (RFC 9470: a `RequireStepUpLayer`, a `StepUp`), which OpenAPI cannot
//! express, is stated in the operation's [`x-step-up`](STEP_UP) extension:
//! `[{"acr_values": ["mfa"], "max_age": 300}]`.
//!
//! One object per trusted issuer's scheme when there are several ([`security_schemes`]). A
//! requirement written by hand on an operation is replaced: the generated one is what runs.
//! Guarded operations also get the refusals they can answer, where the document has none for
//! the status: `401` (a missing or bad token) and, with scopes, `403` (`insufficient_scope`). An
//! operation without an `operationId`, a declared operation the document lacks, or a name that
//! guarded handlers in two modules share is an [`OpenApiError`], not a guess.
//!
//! The tower-auth and actix-auth `utoipa` features re-export this module as their `openapi`
//! module, with `Access` from their `AuthLayer` and `RequireScopesLayer`.
//!
//! ```
//! use auth_core::openapi::{Access, OpenApiSecurity};
//! use auth_core::{Algorithm, Authenticator, IssuerConfig, ScopeRequirement, StaticKey, Validator};
//! use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
//! use utoipa::openapi::{OpenApiBuilder, PathsBuilder};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let validator = Validator::builder()
//!     .issuer(IssuerConfig::static_keys("https://idp.example.com", [StaticKey::hmac(vec![7; 32])]))
//!     .algorithms([Algorithm::HS256])
//!     .audience("petstore")
//!     .build()?;
//! let operation = |id: &str| PathItem::new(HttpMethod::Get, OperationBuilder::new().operation_id(Some(id)));
//! let mut api = OpenApiBuilder::new()
//!     .paths(PathsBuilder::new().path("/pets", operation("list_pets")).path("/me", operation("me")))
//!     .build();
//!
//! // The same values the routes are mounted with.
//! let read = ScopeRequirement::all(["pets:read"]);
//! let authenticator = Authenticator::new(validator.clone());
//! OpenApiSecurity::new(&validator)
//!     .operation("list_pets", &read)
//!     .operation("me", &authenticator)
//!     .apply(&mut api)?;
//!
//! let json = serde_json::to_value(&api)?;
//! assert_eq!(json["paths"]["/pets"]["get"]["security"], serde_json::json!([{"openid": ["pets:read"]}]));
//! assert_eq!(json["paths"]["/me"]["get"]["security"], serde_json::json!([{"openid": []}]));
//! assert_eq!(json["components"]["securitySchemes"]["openid"]["type"], "openIdConnect");
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::SecurityScheme;
use utoipa::openapi::{OpenApi, Response};

use crate::Validator;
use crate::requirements::registry::{handler_requirements, handler_step_ups};

mod access;
mod scheme;

/// The operation extension stating a step-up requirement (RFC 9470), which OpenAPI has no word
/// for: `[{"acr_values": ["mfa"], "max_age": 300}]` (see [`Access::step_up_extension`]).
pub const STEP_UP: &str = "x-step-up";

pub use access::Access;
pub use scheme::security_schemes;

/// Why [`OpenApiSecurity::apply`] refused to write a document that might disagree with what runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenApiError {
    /// An operation has no `operationId`, so its handler cannot be found.
    #[error("the operation `{method} {path}` has no operationId: its security cannot be found")]
    UnnamedOperation {
        /// The operation's method, lowercase.
        method: String,
        /// Its path.
        path: String,
    },
    /// An operation was declared with [`OpenApiSecurity::operation`] but the document has none
    /// of that `operationId`.
    #[error("no operation in the document has the operationId `{0}` given to OpenApiSecurity::operation")]
    UnknownOperation(String),
    /// A guarded operation, but no security scheme to name (`with_schemes` given none): it
    /// would read as public.
    #[error("the operation `{0}` is guarded, but there is no security scheme to name")]
    NoSchemes(String),
    /// Guarded handlers of this name live in several modules: narrow the search with
    /// [`OpenApiSecurity::handlers_in`].
    #[error(
        "guarded handlers named `{operation}` live in several modules ({modules}): narrow them with handlers_in"
    )]
    AmbiguousHandler {
        /// The `operationId`.
        operation: String,
        /// The modules, comma-separated.
        modules: String,
    },
}

/// The security of an API's operations, for an OpenAPI document: the schemes of a validator,
/// what the scope attributes state on handlers, and what you declare for routes guarded by
/// layers. See the [module documentation](self).
#[derive(Clone)]
pub struct OpenApiSecurity {
    schemes: Vec<(String, SecurityScheme)>,
    module: String,
    declared: BTreeMap<String, Access>,
}

impl std::fmt::Debug for OpenApiSecurity {
    // utoipa's types are `Debug` only with its `debug` feature: name the schemes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let schemes: Vec<&str> = self.schemes.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("OpenApiSecurity")
            .field("schemes", &schemes)
            .field("module", &self.module)
            .field("declared", &self.declared)
            .finish()
    }
}

impl OpenApiSecurity {
    /// The security of an API whose tokens `validator` checks: its schemes are
    /// [`security_schemes`]`(validator)`; handlers are searched in every module.
    pub fn new(validator: &Validator) -> Self {
        OpenApiSecurity::with_schemes(security_schemes(validator))
    }

    /// The security of an API described with these schemes instead (an `oauth2` scheme with
    /// your provider's flows, say). Each requirement names every one of them, as alternatives.
    pub fn with_schemes(schemes: impl IntoIterator<Item = (String, SecurityScheme)>) -> Self {
        OpenApiSecurity {
            schemes: schemes.into_iter().collect(),
            module: String::new(),
            declared: BTreeMap::new(),
        }
    }

    /// Reads the attributes of handlers in `module` and its submodules only (pass
    /// `module_path!()` where the handlers are): for a program that links two APIs whose handlers
    /// share names.
    #[must_use]
    pub fn handlers_in(mut self, module: impl Into<String>) -> Self {
        self.module = module.into();
        self
    }

    /// Declares what the route of `operation_id` enforces besides its handler's attributes: the
    /// `Authenticator` or `AuthLayer` in front of it (required or optional), a `RequireScopesLayer`
    /// or [`ScopeRequirement`](crate::ScopeRequirement). Declaring twice adds (both enforced).
    #[must_use]
    pub fn operation(mut self, operation_id: impl Into<String>, access: impl Into<Access>) -> Self {
        self.declare(operation_id, access);
        self
    }

    /// [`operation`](Self::operation), in place.
    pub fn declare(&mut self, operation_id: impl Into<String>, access: impl Into<Access>) {
        let access = access.into();
        let entry = self.declared.entry(operation_id.into()).or_default();
        *entry = std::mem::take(entry).and(access);
    }

    /// Declares `access` for every operation `described` has (with an `operationId`): for the
    /// routes of a router that describes itself (utoipa-axum's `OpenApiRouter`), guarded by one
    /// layer. tower-auth's `OpenApiRouterExt::route_layer_secured` calls it.
    pub fn declare_described(&mut self, described: &OpenApi, access: impl Into<Access>) {
        let access = access.into();
        for item in described.paths.paths.values() {
            for (_, operation) in operations(item) {
                if let Some(id) = &operation.operation_id {
                    self.declare(id.clone(), access.clone());
                }
            }
        }
    }

    /// [`operation`](Self::operation) for each of `operation_ids`, with the same access.
    #[must_use]
    pub fn operations<I, S>(mut self, operation_ids: I, access: impl Into<Access>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let access = access.into();
        for id in operation_ids {
            self = self.operation(id, access.clone());
        }
        self
    }

    /// What the operation `operation_id` enforces: its handler's attributes and what was
    /// declared for it.
    pub fn access(&self, operation_id: &str) -> Result<Access, OpenApiError> {
        let scopes = handler_requirements(&self.module, operation_id);
        let step_ups = handler_step_ups(&self.module, operation_id);
        let mut modules: Vec<&str> =
            scopes.iter().map(|(m, _)| *m).chain(step_ups.iter().map(|(m, _)| *m)).collect();
        modules.sort_unstable();
        modules.dedup();
        if modules.len() > 1 {
            return Err(OpenApiError::AmbiguousHandler {
                operation: operation_id.to_owned(),
                modules: modules.join(", "),
            });
        }
        let declared = self.declared.get(operation_id).cloned().unwrap_or_default();
        let access = scopes.into_iter().fold(declared, |access, (_, requirement)| access.and(requirement));
        Ok(step_ups.into_iter().fold(access, |access, (_, requirement)| access.and(requirement)))
    }

    /// Writes the schemes into `openapi`'s components and every operation's `security`, or
    /// changes nothing and answers why the document could disagree with what runs.
    pub fn apply(&self, openapi: &mut OpenApi) -> Result<(), OpenApiError> {
        let names: Vec<&str> = self.schemes.iter().map(|(name, _)| name.as_str()).collect();
        let global = openapi.security.as_ref().is_some_and(|s| !s.is_empty());
        let mut planned = Vec::new();
        let mut seen = Vec::new();
        for (path, item) in &openapi.paths.paths {
            for (method, operation) in operations(item) {
                let Some(id) = operation.operation_id.as_deref() else {
                    return Err(OpenApiError::UnnamedOperation { method, path: path.clone() });
                };
                let access = self.access(id)?;
                if names.is_empty() && !access.is_public() {
                    return Err(OpenApiError::NoSchemes(id.to_owned()));
                }
                planned.push(access);
                seen.push(id);
            }
        }
        if let Some(missing) = self.declared.keys().find(|id| !seen.contains(&id.as_str())) {
            return Err(OpenApiError::UnknownOperation(missing.clone()));
        }
        let mut planned = planned.into_iter();
        for item in openapi.paths.paths.values_mut() {
            for (operation, access) in operations_mut(item).zip(&mut planned) {
                operation.security = access.security_requirements(&names).or_else(|| global.then(Vec::new));
                add_refusals(operation, &access);
                if let Some(step_up) = access.step_up_extension() {
                    operation
                        .extensions
                        .get_or_insert_with(Default::default)
                        .insert(STEP_UP.to_owned(), step_up);
                }
            }
        }
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, scheme) in &self.schemes {
            components.add_security_scheme(name.clone(), scheme.clone());
        }
        Ok(())
    }
}

/// A path item's operations with their methods, in a fixed order: the fixed methods, then
/// OpenAPI 3.2's additional operations.
fn operations(item: &PathItem) -> impl Iterator<Item = (String, &Operation)> {
    let fixed = [
        ("get", &item.get),
        ("put", &item.put),
        ("post", &item.post),
        ("delete", &item.delete),
        ("options", &item.options),
        ("head", &item.head),
        ("patch", &item.patch),
        ("trace", &item.trace),
        ("query", &item.query),
    ];
    let fixed = fixed.into_iter().filter_map(|(method, op)| op.as_ref().map(|op| (method.to_owned(), op)));
    fixed.chain(item.additional_operations.iter().map(|(method, op)| (method.clone(), op)))
}

/// [`operations`], mutably, in the same order.
fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    let fixed = [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
        &mut item.query,
    ];
    fixed.into_iter().filter_map(Option::as_mut).chain(item.additional_operations.values_mut())
}

/// The answers a guarded operation can give besides its own, added where the document has none
/// for the status: 401 for a missing (when required) or invalid token, 403 when scopes are lacking.
fn add_refusals(operation: &mut Operation, access: &Access) {
    if access.is_public() {
        return;
    }
    let responses = &mut operation.responses.responses;
    responses.entry("401".to_owned()).or_insert_with(|| {
        let text = if access.admits_anonymous() {
            "The token sent is invalid or expired (RFC 6750 `invalid_token`; requests without one are anonymous)."
        } else if !access.step_ups().is_empty() {
            "No token, an invalid or expired one (RFC 6750), or a sign-in not strong or recent enough \
             (RFC 9470 `insufficient_user_authentication`, with `acr_values` / `max_age`; see `x-step-up`)."
        } else {
            "No token, or an invalid or expired one (RFC 6750: `WWW-Authenticate: Bearer`)."
        };
        Response::new(text).into()
    });
    if !access.scopes().is_empty() {
        responses.entry("403".to_owned()).or_insert_with(|| {
            Response::new("The token lacks a required scope (RFC 6750 `insufficient_scope`).").into()
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
    use utoipa::openapi::security::SecurityRequirement;
    use utoipa::openapi::{OpenApiBuilder, PathsBuilder};

    use super::*;
    use crate::__private::ScopeRegistration;
    use crate::{Algorithm, Authenticator, IssuerConfig, ScopeRequirement, StaticKey};

    inventory::submit! { ScopeRegistration::handler(&["t:read"], false, "openapi_test::api", "t_list") }
    inventory::submit! { ScopeRegistration::handler(&["t:read", "t:admin"], true, "openapi_test::api", "t_any") }
    inventory::submit! { ScopeRegistration::handler(&["t:other"], false, "openapi_test_other", "t_list") }

    fn validator() -> Validator {
        Validator::builder()
            .issuer(IssuerConfig::static_keys("https://idp.example.com", [StaticKey::hmac(vec![7; 32])]))
            .algorithms([Algorithm::HS256])
            .audience("api")
            .build()
            .unwrap()
    }

    fn op(id: Option<&str>) -> OperationBuilder {
        OperationBuilder::new().operation_id(id)
    }

    fn api(global: bool) -> OpenApi {
        let mut pets = PathItem::new(HttpMethod::Get, op(Some("t_list")));
        pets.post = Some(op(Some("t_create")).build());
        let paths = PathsBuilder::new()
            .path("/pets", pets)
            .path("/any", PathItem::new(HttpMethod::Get, op(Some("t_any"))))
            .path("/me", PathItem::new(HttpMethod::Get, op(Some("t_me"))))
            .path("/inventory", PathItem::new(HttpMethod::Get, op(Some("t_inventory"))))
            .path(
                "/health",
                PathItem::new(
                    HttpMethod::Get,
                    op(Some("t_health")).security(SecurityRequirement::new("x", ["y"])),
                ),
            );
        let mut api = OpenApiBuilder::new().paths(paths).build();
        if global {
            api.security = Some(vec![SecurityRequirement::new("openid", Vec::<String>::new())]);
        }
        api
    }

    fn security(validator: &Validator) -> OpenApiSecurity {
        let authenticator = Authenticator::new(validator.clone());
        OpenApiSecurity::new(validator)
            .handlers_in("openapi_test")
            .operation("t_create", ScopeRequirement::all(["t:write"]))
            .operation("t_create", &authenticator)
            .operation("t_me", &authenticator)
            .operation("t_inventory", &authenticator.clone().optional())
    }

    #[test]
    fn every_operation_gets_what_runs() {
        let validator = validator();
        let mut api = api(false);
        security(&validator).apply(&mut api).unwrap();
        let json = serde_json::to_value(&api).unwrap();
        let sec = |path: &str, method: &str| json["paths"][path][method]["security"].clone();
        assert_eq!(sec("/pets", "get"), json!([{"openid": ["t:read"]}]));
        assert_eq!(sec("/pets", "post"), json!([{"openid": ["t:write"]}]));
        assert_eq!(sec("/any", "get"), json!([{"openid": ["t:read"]}, {"openid": ["t:admin"]}]));
        assert_eq!(sec("/me", "get"), json!([{"openid": []}]));
        assert_eq!(sec("/inventory", "get"), json!([{}, {"openid": []}]));
        let responses = |path: &str| -> Vec<String> {
            json["paths"][path]["get"]["responses"]
                .as_object()
                .map(|r| r.keys().cloned().collect())
                .unwrap_or_default()
        };
        assert_eq!(responses("/pets"), ["401", "403"]);
        assert_eq!(responses("/me"), ["401"]);
        assert_eq!(responses("/inventory"), ["401"]);
        assert!(responses("/health").is_empty());
        // Written by hand, but nothing guards it: the hand-written requirement is dropped.
        assert_eq!(sec("/health", "get"), Value::Null);
        assert_eq!(
            json["components"]["securitySchemes"]["openid"]["openIdConnectUrl"],
            "https://idp.example.com/.well-known/openid-configuration"
        );
    }

    #[test]
    fn a_described_router_is_declared_whole() {
        let validator = validator();
        let authenticator = Authenticator::new(validator.clone());
        let mut security = OpenApiSecurity::new(&validator).handlers_in("openapi_test");
        let guarded = OpenApiBuilder::new()
            .paths(PathsBuilder::new().path("/me", PathItem::new(HttpMethod::Get, op(Some("t_me")))))
            .build();
        security.declare_described(&guarded, &authenticator);
        assert_eq!(security.access("t_me").unwrap(), Access::authenticated());
        assert_eq!(security.access("t_health").unwrap(), Access::public());
    }

    #[test]
    fn public_operations_opt_out_of_a_top_level_requirement() {
        let validator = validator();
        let mut api = api(true);
        security(&validator).apply(&mut api).unwrap();
        let json = serde_json::to_value(&api).unwrap();
        assert_eq!(json["paths"]["/health"]["get"]["security"], json!([]));
        assert_eq!(json["paths"]["/me"]["get"]["security"], json!([{"openid": []}]));
    }

    #[test]
    fn refuses_to_guess() {
        let validator = validator();
        let unchanged = api(false);

        let mut doc = unchanged.clone();
        let err = security(&validator).operation("t_typo", Access::authenticated()).apply(&mut doc);
        assert_eq!(err.unwrap_err(), OpenApiError::UnknownOperation("t_typo".into()));
        assert!(doc == unchanged, "nothing written on error");

        let mut doc = unchanged.clone();
        let err = OpenApiSecurity::new(&validator).apply(&mut doc).unwrap_err();
        assert!(
            matches!(&err, OpenApiError::AmbiguousHandler { operation, modules }
            if operation == "t_list" && modules.contains("openapi_test::api") && modules.contains("openapi_test_other")),
            "{err}"
        );

        let mut doc = unchanged.clone();
        let err = OpenApiSecurity::with_schemes([]).handlers_in("openapi_test").apply(&mut doc).unwrap_err();
        assert_eq!(err, OpenApiError::NoSchemes("t_any".into()));

        let mut doc = unchanged.clone();
        doc.paths.paths.insert("/anon".into(), PathItem::new(HttpMethod::Delete, op(None)));
        let err = security(&validator).apply(&mut doc).unwrap_err();
        assert_eq!(err, OpenApiError::UnnamedOperation { method: "delete".into(), path: "/anon".into() });
    }
}
