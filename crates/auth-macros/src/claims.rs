//! `#[derive(Claims)]`: the user's `serde` struct becomes a handler argument of its own.
//!
//! The generated extractor reads the claims the auth middleware verified, checks the required
//! claims (missing or `null`: 401 `invalid_token`), fills the scope fields, and deserializes. All
//! of that logic lives in the runtime crate (`__private::derived_claims`); the macro only emits
//! two constant tables and the framework's extractor impls.

use proc_macro2::TokenStream;
use quote::quote;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Expr, ExprArray, ExprLit, Fields, Lit, LitStr, Meta, Path, Token, parse_quote};

use crate::args::Errors;
use crate::requires::Framework;

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
    match &input.data {
        Data::Struct(data) => {
            if let Fields::Named(fields) = &data.fields {
                for field in &fields.named {
                    let Some(ident) = &field.ident else { continue };
                    let name =
                        serde_name(field).unwrap_or_else(|| LitStr::new(&ident.to_string(), ident.span()));
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

fn field_key(meta: Meta, field: &LitStr, spec: &mut Spec, errors: &mut Errors) {
    match &meta {
        Meta::Path(p) if p.is_ident("required") => spec.required.push(field.clone()),
        Meta::Path(p) if p.is_ident("scopes") => spec.scope_fields.push((field.clone(), Vec::new())),
        Meta::NameValue(nv) if nv.path.is_ident("scopes") => match string_list(&nv.value) {
            Ok(list) if list.is_empty() => {
                errors.push(syn::Error::new_spanned(&nv.value, "name at least one claim"))
            }
            Ok(list) => spec.scope_fields.push((field.clone(), list)),
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

/// The field's name in the payload when serde renames it (`#[serde(rename = "x")]`).
fn serde_name(field: &syn::Field) -> Option<LitStr> {
    field.attrs.iter().filter(|a| a.path().is_ident("serde")).find_map(|attr| {
        let metas = attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated).ok()?;
        metas.into_iter().find_map(|m| match m {
            Meta::NameValue(nv) if nv.path.is_ident("rename") => string(&nv.value).ok(),
            _ => None,
        })
    })
}
