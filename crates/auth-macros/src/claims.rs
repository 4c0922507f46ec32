//! `#[derive(Claims)]`: the user's `serde` struct becomes a handler argument of its own.
//!
//! The generated extractor reads the claims the auth middleware verified, checks the required
//! claims (missing or `null`: 401 `invalid_token`), fills the scope fields, and deserializes. All
//! of that logic lives in the runtime crate (`__private::derived_claims`); the macro only emits
//! two constant tables and the framework's extractor impls.
//!
//! The tables name claims as serde reads them (`rename_all`, `rename`: see `serde_names`), so the
//! check and the deserializer agree on every field.

use proc_macro2::TokenStream;
use quote::quote;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Expr, ExprArray, ExprLit, Fields, Lit, LitStr, Meta, Path, Token, parse_quote};

use crate::args::Errors;
use crate::requires::Framework;
use crate::serde_names::{self, FieldName};

pub(crate) fn expand(input: TokenStream, framework: Framework) -> TokenStream {
    match syn::parse2::<DeriveInput>(input).and_then(|i| generate(i, framework)) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

#[derive(Default)]
struct Spec {
    krate: Option<Path>,
    required: Vec<LitStr>,
    /// (the field's name in the payload, the claims its scopes come from; empty: the
    /// validator's configured scope claims).
    scope_fields: Vec<(LitStr, Vec<LitStr>)>,
}

fn generate(input: DeriveInput, framework: Framework) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let mut spec = Spec::default();
    if !input.generics.params.is_empty() {
        errors.push(syn::Error::new(
            input.generics.span(),
            "`#[derive(Claims)]` needs a type without generics or lifetimes (it is deserialized as owned)",
        ));
    }
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("claims")) {
        match attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) {
            Ok(metas) => metas.into_iter().for_each(|m| container_key(m, &mut spec, &mut errors)),
            Err(e) => errors.push(e),
        }
    }
    let container = serde_names::container(&input.attrs, &mut errors);
    // Each field's (Rust name, serde's name), to check the claims the struct lists by name.
    let mut names = Vec::new();
    match &input.data {
        Data::Struct(data) => {
            if let Fields::Named(fields) = &data.fields {
                for field in &fields.named {
                    let Some(ident) = &field.ident else { continue };
                    let name = serde_names::field(field, ident, &container);
                    if !name.flatten {
                        let rust = ident.to_string();
                        names.push((rust.trim_start_matches("r#").to_owned(), name.name.value()));
                    }
                    for attr in field.attrs.iter().filter(|a| a.path().is_ident("claims")) {
                        match attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) {
                            Ok(metas) => {
                                metas.into_iter().for_each(|m| field_key(m, &name, &mut spec, &mut errors))
                            }
                            Err(e) => errors.push(e),
                        }
                    }
                }
            }
        }
        Data::Enum(_) | Data::Union(_) => {
            if !spec.required.is_empty() {
                errors.push(syn::Error::new(input.ident.span(), "`required` checks need a struct"));
            }
        }
    }
    // `required = [...]` names claims as the token carries them. A renamed field's Rust name there
    // (`tenant_id` under `rename_all = "camelCase"`) is no claim any field reads, and would refuse
    // every token that has the real one (`tenantId`).
    for r in &spec.required {
        let claim = r.value();
        if names.iter().any(|(_, name)| *name == claim) {
            continue;
        }
        if let Some((_, name)) = names.iter().find(|(rust, _)| *rust == claim) {
            errors.push(syn::Error::new(
                r.span(),
                format!(
                    "`{claim}` is the field serde reads from the claim `{name}`: `required` names claims, \
                     so write `\"{name}\"` (or mark the field `#[claims(required)]`)"
                ),
            ));
        }
    }
    let mut seen = Vec::new();
    for r in &spec.required {
        if seen.contains(&r.value()) {
            errors.push(syn::Error::new(r.span(), format!("`{}` is already required", r.value())));
        }
        seen.push(r.value());
    }
    errors.finish(())?;

    let krate = spec.krate.clone().unwrap_or_else(|| match framework {
        Framework::Tower => parse_quote!(::tower_auth),
        Framework::Actix => parse_quote!(::actix_auth),
    });
    let name = &input.ident;
    let required = &spec.required;
    let fields = spec.scope_fields.iter().map(|(field, sources)| quote!((#field, &[#(#sources),*])));
    let tables = quote! {
        impl #krate::__private::DeriveClaims for #name {
            const REQUIRED: &'static [&'static str] = &[#(#required),*];
            const SCOPE_FIELDS: &'static [(&'static str, &'static [&'static str])] = &[#(#fields),*];
        }
    };
    let extractors = match framework {
        Framework::Tower => quote! {
            impl<__S> #krate::__private::FromRequestParts<__S> for #name
            where
                __S: ::core::marker::Send + ::core::marker::Sync,
            {
                type Rejection = #krate::AuthRejection;

                async fn from_request_parts(
                    parts: &mut #krate::__private::Parts,
                    _state: &__S,
                ) -> ::core::result::Result<Self, Self::Rejection> {
                    #krate::__private::derived_claims::<Self>(parts)
                }
            }

            impl<__S> #krate::__private::OptionalFromRequestParts<__S> for #name
            where
                __S: ::core::marker::Send + ::core::marker::Sync,
            {
                type Rejection = #krate::AuthRejection;

                async fn from_request_parts(
                    parts: &mut #krate::__private::Parts,
                    _state: &__S,
                ) -> ::core::result::Result<::core::option::Option<Self>, Self::Rejection> {
                    #krate::__private::derived_claims_optional::<Self>(parts)
                }
            }
        },
        Framework::Actix => quote! {
            impl #krate::__private::FromRequest for #name {
                type Error = #krate::__private::Error;
                type Future = #krate::__private::Ready<::core::result::Result<Self, Self::Error>>;

                fn from_request(
                    req: &#krate::__private::HttpRequest,
                    _payload: &mut #krate::__private::Payload,
                ) -> Self::Future {
                    #krate::__private::ready(#krate::__private::derived_claims::<Self>(req))
                }
            }
        },
    };
    Ok(quote! {
        const _: () = {
            #tables
            #extractors
        };
    })
}

fn container_key(meta: Meta, spec: &mut Spec, errors: &mut Errors) {
    match &meta {
        Meta::NameValue(nv) if nv.path.is_ident("required") => match string_list(&nv.value) {
            Ok(list) => spec.required.extend(list),
            Err(e) => errors.push(e),
        },
        Meta::NameValue(nv) if nv.path.is_ident("crate") => match string(&nv.value).and_then(|s| s.parse()) {
            Ok(path) => spec.krate = Some(path),
            Err(e) => errors.push(e),
        },
        other => errors.push(syn::Error::new_spanned(
            other.path(),
            "unknown `claims` argument: expected `required = [\"claim\", ...]` or `crate = \"...\"`",
        )),
    }
}

fn field_key(meta: Meta, field: &FieldName, spec: &mut Spec, errors: &mut Errors) {
    let usable = |what: &str, errors: &mut Errors| {
        if field.flatten {
            errors.push(syn::Error::new_spanned(
                meta.path(),
                format!(
                    "a `#[serde(flatten)]` field has no claim of its own to be {what}: name the claims on the \
                     struct (`#[claims(required = [\"claim\", ...])]`)"
                ),
            ));
            return false;
        }
        // The check and the filling use one name; a token carrying only the alias would be refused,
        // or would show serde the field twice: an alias here can only mislead.
        if let Some(alias) = field.aliases.first() {
            errors.push(syn::Error::new(
                alias.span(),
                format!(
                    "a field that is {what} is read under its name `{}` only: remove the alias, or the \
                     `#[claims]` mark (serde then accepts either name)",
                    field.name.value()
                ),
            ));
            return false;
        }
        true
    };
    match &meta {
        Meta::Path(p) if p.is_ident("required") => {
            if usable("required", errors) {
                spec.required.push(field.name.clone());
            }
        }
        Meta::Path(p) if p.is_ident("scopes") => {
            if usable("filled with scopes", errors) {
                spec.scope_fields.push((field.name.clone(), Vec::new()));
            }
        }
        Meta::NameValue(nv) if nv.path.is_ident("scopes") => match string_list(&nv.value) {
            Ok(list) if list.is_empty() => {
                errors.push(syn::Error::new_spanned(&nv.value, "name at least one claim"))
            }
            Ok(list) => {
                if usable("filled with scopes", errors) {
                    spec.scope_fields.push((field.name.clone(), list));
                }
            }
            Err(e) => errors.push(e),
        },
        other => errors.push(syn::Error::new_spanned(
            other.path(),
            "unknown `claims` field argument: expected `required`, `scopes` or `scopes = \"claim\"`",
        )),
    }
}

/// `"a"` or `["a", "b"]`.
fn string_list(expr: &Expr) -> syn::Result<Vec<LitStr>> {
    match expr {
        Expr::Array(ExprArray { elems, .. }) => elems.iter().map(string).collect(),
        other => string(other).map(|s| vec![s]),
    }
}

fn string(expr: &Expr) -> syn::Result<LitStr> {
    match expr {
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) if !s.value().is_empty() => Ok(s.clone()),
        other => Err(syn::Error::new_spanned(other, "expected a non-empty string literal")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn required(input: DeriveInput) -> String {
        let tokens = generate(input, Framework::Tower).expect("expands").to_string();
        let start = tokens.find("REQUIRED").expect("a REQUIRED table");
        let end = tokens[start..].find(';').expect("its end") + start;
        tokens[start..end].trim_end().to_owned()
    }

    fn error(input: DeriveInput) -> String {
        generate(input, Framework::Tower).err().map(|e| e.to_string()).expect("an error")
    }

    #[test]
    fn required_claims_are_named_as_serde_reads_them() {
        let input = parse_quote! {
            #[serde(rename_all = "camelCase")]
            #[claims(required = ["clientId"])]
            struct Caller {
                #[claims(required)]
                tenant_id: String,
                client_id: String,
                #[serde(rename = "org")]
                #[claims(required)]
                org_name: String,
                #[claims(required)]
                r#type: String,
                #[serde(flatten)]
                rest: std::collections::HashMap<String, String>,
            }
        };
        assert_eq!(
            required(input),
            r#"REQUIRED : & 'static [& 'static str] = & ["clientId" , "tenantId" , "org" , "type"]"#
        );
    }

    #[test]
    fn scope_fields_are_filled_under_serde_names() {
        let input: DeriveInput = parse_quote! {
            #[serde(rename_all = "SCREAMING-KEBAB-CASE")]
            struct Caller {
                #[claims(scopes)]
                granted_scopes: Vec<String>,
            }
        };
        let tokens = generate(input, Framework::Tower).expect("expands").to_string();
        assert!(tokens.contains(r#"& [("GRANTED-SCOPES" , & [])]"#), "{tokens}");
    }

    #[test]
    fn a_renamed_fields_rust_name_in_required_is_an_error() {
        let input = parse_quote! {
            #[serde(rename_all = "camelCase")]
            #[claims(required = ["tenant_id"])]
            struct Caller { tenant_id: String }
        };
        assert!(error(input).starts_with("`tenant_id` is the field serde reads from the claim `tenantId`"));
    }

    #[test]
    fn flatten_and_alias_cannot_be_required() {
        let flatten = parse_quote! {
            struct Caller {
                #[serde(flatten)]
                #[claims(required)]
                rest: std::collections::HashMap<String, String>,
            }
        };
        assert!(error(flatten).starts_with("a `#[serde(flatten)]` field has no claim of its own"));
        let alias = parse_quote! {
            struct Caller {
                #[serde(alias = "tid")]
                #[claims(scopes)]
                tenant_id: Vec<String>,
            }
        };
        assert!(
            error(alias)
                .starts_with("a field that is filled with scopes is read under its name `tenant_id` only")
        );
    }

    #[test]
    fn an_unknown_case_is_an_error() {
        let input = parse_quote! {
            #[serde(rename_all = "Camel")]
            struct Caller { tenant_id: String }
        };
        assert!(error(input).starts_with("unknown `rename_all` case \"Camel\""));
    }
}
