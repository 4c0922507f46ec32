//! Typed claims and required scopes written on the handler.
//!
//! **Use these through `tower_auth` (axum, tonic) or `actix_auth` (actix-web)**, which re-export
//! them under their short names and document them with compiled examples:
//!
//! | Re-exported as | What it does |
//! |---|---|
//! | `#[requires_scopes("pets:write", "admin")]` | the handler needs all of these scopes (403 `insufficient_scope` otherwise) |
//! | `#[requires_any_scope("a", "b")]`, `#[requires_scopes(any("a", "b"))]` | at least one of them |
//! | `#[requires_step_up(acr = "mfa", max_age = 300)]` | the token's `acr` is accepted and its `auth_time` recent (401 `insufficient_user_authentication` otherwise, RFC 9470); checked after scopes |
//! | `#[derive(Claims)]` | your `serde` struct is a handler argument: the verified claims as that type |
//! | `#[derive(Scopes)]` | an enum of scopes (`#[scope("pets:write")] Write`), usable in the attributes |
//!
//! # How the framework is chosen
//!
//! Each framework has its own macro here (`tower_requires_scopes`, `actix_requires_scopes`,
//! `TowerClaims`, `ActixClaims`), and each runtime crate re-exports its own under the short
//! name, so `use tower_auth::requires_scopes` can only mean axum/tonic. Cargo features of this
//! crate could not do it: features are unified across a workspace, so a workspace with both an
//! axum and an actix server would enable both and the macro could no longer tell which one a
//! handler is for. In the tower flavour a method with a `self` receiver is a tonic service
//! method (axum handlers are free functions).
//!
//! Generated code names `::tower_auth` / `::actix_auth`; pass `crate = "path"` when the runtime
//! crate is renamed or re-exported.
#![forbid(unsafe_code)]

mod args;
mod claims;
mod requires;
mod scopes;
mod serde_names;
mod step_up;

use proc_macro::TokenStream;
use requires::Framework;

/// axum handlers and tonic methods: every listed scope is required. Re-exported as
/// `tower_auth::requires_scopes`, documented there.
#[proc_macro_attribute]
pub fn tower_requires_scopes(args: TokenStream, item: TokenStream) -> TokenStream {
    requires::expand(args.into(), item.into(), Framework::Tower, "requires_scopes", false).into()
}

/// axum handlers and tonic methods: one of the listed scopes is required. Re-exported as
/// `tower_auth::requires_any_scope`, documented there.
#[proc_macro_attribute]
pub fn tower_requires_any_scope(args: TokenStream, item: TokenStream) -> TokenStream {
    requires::expand(args.into(), item.into(), Framework::Tower, "requires_any_scope", true).into()
}

/// actix-web handlers: every listed scope is required. Re-exported as
/// `actix_auth::requires_scopes`, documented there.
#[proc_macro_attribute]
pub fn actix_requires_scopes(args: TokenStream, item: TokenStream) -> TokenStream {
    requires::expand(args.into(), item.into(), Framework::Actix, "requires_scopes", false).into()
}

/// actix-web handlers: one of the listed scopes is required. Re-exported as
/// `actix_auth::requires_any_scope`, documented there.
#[proc_macro_attribute]
pub fn actix_requires_any_scope(args: TokenStream, item: TokenStream) -> TokenStream {
    requires::expand(args.into(), item.into(), Framework::Actix, "requires_any_scope", true).into()
}

/// axum handlers and tonic methods: a step-up requirement (RFC 9470). Re-exported as
/// `tower_auth::requires_step_up`, documented there.
#[proc_macro_attribute]
pub fn tower_requires_step_up(args: TokenStream, item: TokenStream) -> TokenStream {
    step_up::expand(args.into(), item.into(), Framework::Tower).into()
}

/// actix-web handlers: a step-up requirement (RFC 9470). Re-exported as
/// `actix_auth::requires_step_up`, documented there.
#[proc_macro_attribute]
pub fn actix_requires_step_up(args: TokenStream, item: TokenStream) -> TokenStream {
    step_up::expand(args.into(), item.into(), Framework::Actix).into()
}

/// Typed claims as an axum extractor. Re-exported as `tower_auth::Claims` (the derive), documented
/// there.
#[proc_macro_derive(TowerClaims, attributes(claims))]
pub fn derive_tower_claims(input: TokenStream) -> TokenStream {
    claims::expand(input.into(), Framework::Tower).into()
}

/// Typed claims as an actix-web extractor. Re-exported as `actix_auth::Claims` (the derive),
/// documented there.
#[proc_macro_derive(ActixClaims, attributes(claims))]
pub fn derive_actix_claims(input: TokenStream) -> TokenStream {
    claims::expand(input.into(), Framework::Actix).into()
}

/// An enum of scopes: each unit variant carries `#[scope("...")]`. Generates `const fn
/// as_str(&self) -> &'static str`, `Display`, `AsRef<str>`, and `From<Self>` for `&'static str`
/// and `String`, so a variant can be passed wherever a scope string is (`RequireScopesLayer::all`,
/// `#[requires_scopes(PetScope::Write)]`). Re-exported by `tower_auth` and `actix_auth`.
#[proc_macro_derive(Scopes, attributes(scope))]
pub fn derive_scopes(input: TokenStream) -> TokenStream {
    scopes::expand(input.into()).into()
}
