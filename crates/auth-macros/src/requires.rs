//! `#[requires_scopes(...)]` / `#[requires_any_scope(...)]` on handlers.
//!
//! The handler's visible signature and return type are kept, so other attribute macros still see
//! what the user wrote:
//! - axum and actix handlers get one more (first) parameter, `_: Scoped<Marker>`, an extractor
//!   that checks the scopes before any other extractor runs; `Marker` is a zero-sized type
//!   generated beside the handler whose `ScopeSet::SCOPES` lists them (strings cannot be const
//!   generics);
//! - tonic methods (tower flavour, a `self` receiver) get a check at the top of their body that
//!   reads the request's extensions and returns the layer's `Status`. Inside a
//!   `#[tonic::async_trait]` impl the method has already been turned into a plain `fn` returning
//!   `Pin<Box<dyn Future<Output = ..>>>`: the check then runs before the boxed future is built.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{
    FnArg, GenericArgument, ItemFn, Pat, Path, PathArguments, ReturnType, Type, TypeParamBound, parse_quote,
};

use crate::args::{Errors, Scope, ScopeArgs};

/// Which runtime crate the generated code calls.
#[derive(Clone, Copy)]
pub(crate) enum Framework {
    /// `tower_auth`: axum handlers, and tonic methods (recognised by their `self` receiver).
    Tower,
    /// `actix_auth`: actix-web handlers.
    Actix,
}

impl Framework {
    pub(crate) fn default_crate(self) -> Path {
        match self {
            Framework::Tower => parse_quote!(::tower_auth),
            Framework::Actix => parse_quote!(::actix_auth),
        }
    }
}

/// The attribute's expansion; on errors, the errors followed by the untouched item, so one
/// mistake does not cascade into "cannot find" errors elsewhere.
pub(crate) fn expand(
    args: TokenStream,
    item: TokenStream,
    framework: Framework,
    macro_name: &str,
    any_of: bool,
) -> TokenStream {
    let mut errors = Errors::default();
    let args = ScopeArgs::parse(args, macro_name, any_of).map_err(|e| errors.push(e)).ok();
    let func = syn::parse2::<ItemFn>(item.clone()).map_err(|e| errors.push(e)).ok();
    let result = match (args, func) {
        (Some(args), Some(func)) => {
            errors.finish(()).and_then(|()| generate(args, func, framework, macro_name))
        }
        _ => errors.finish(()).map(|()| TokenStream::new()),
    };
    match result {
        Ok(tokens) => tokens,
        Err(e) => {
            let errors = e.to_compile_error();
            quote!(#errors #item)
        }
    }
}

fn generate(
    args: ScopeArgs,
    mut func: ItemFn,
    framework: Framework,
    macro_name: &str,
) -> syn::Result<TokenStream> {
    let krate = args.krate.clone().unwrap_or_else(|| framework.default_crate());
    let boxed_output = if func.sig.asyncness.is_none() { async_trait_output(&func.sig.output) } else { None };
    if func.sig.asyncness.is_none() && boxed_output.is_none() {
        return Err(syn::Error::new(
            func.sig.fn_token.span(),
            format!(
                "`#[{macro_name}]` goes on an `async fn` handler (or a method of a `#[tonic::async_trait]` impl)"
            ),
        ));
    }
    let doc = doc_line(&args);
    let scopes: Vec<TokenStream> = args.scopes.iter().map(Scope::expr).collect();
    let any_of = args.any_of;
    let receiver = func.sig.receiver().is_some();
    // The handler's name as utoipa's default `operation_id`: what an OpenAPI document finds it by.
    let name = func.sig.ident.unraw().to_string();

    match (framework, receiver) {
        (Framework::Tower, true) => {
            let request = request_ident(&func)?;
            let failed = match &boxed_output {
                None => {
                    quote!(return ::core::result::Result::Err(::core::convert::From::from(__auth_status)))
                }
                Some(output) => quote! {
                    return ::std::boxed::Box::pin(async move {
                        let __ret: #output = ::core::result::Result::Err(::core::convert::From::from(__auth_status));
                        __ret
                    })
                },
            };
            let stmts = &func.block.stmts;
            func.block = parse_quote!({
                const __AUTH_SCOPES: &[&str] = &[#(#scopes),*];
                const _: () = #krate::__private::validate_scopes(__AUTH_SCOPES);
                #krate::__private::inventory::submit! {
                    #krate::__private::ScopeRegistration::handler(
                        __AUTH_SCOPES, #any_of, ::core::module_path!(), #name,
                    )
                }
                if let ::core::result::Result::Err(__auth_status) =
                    #krate::__private::grpc_require(#request.extensions(), __AUTH_SCOPES, #any_of)
                {
                    #failed;
                }
                #(#stmts)*
            });
            func.attrs.push(parse_quote!(#[doc = ""]));
            func.attrs.push(parse_quote!(#[doc = #doc]));
            Ok(quote!(#func))
        }
        (_, true) => Err(syn::Error::new(
            func.sig.inputs.span(),
            format!("`#[{macro_name}]` from actix_auth goes on a free `async fn` handler, not a method"),
        )),
        (_, false) if boxed_output.is_some() => Err(syn::Error::new(
            func.sig.fn_token.span(),
            format!("`#[{macro_name}]` goes on an `async fn` handler"),
        )),
        (_, false) => {
            let marker = format_ident!("__requires_scopes_{}", func.sig.ident);
            let vis = &func.vis;
            func.sig.inputs.insert(0, parse_quote!(_: #krate::Scoped<#marker>));
            func.attrs.push(parse_quote!(#[doc = ""]));
            func.attrs.push(parse_quote!(#[doc = #doc]));
            Ok(quote! {
                #[doc(hidden)]
                #[allow(non_camel_case_types)]
                #vis struct #marker;
                impl #krate::ScopeSet for #marker {
                    const SCOPES: &'static [&'static str] = &[#(#scopes),*];
                    const ANY_OF: bool = #any_of;
                }
                const _: () = #krate::__private::validate_scopes(<#marker as #krate::ScopeSet>::SCOPES);
                #krate::__private::inventory::submit! {
                    #krate::__private::ScopeRegistration::handler(
                        <#marker as #krate::ScopeSet>::SCOPES, #any_of, ::core::module_path!(), #name,
                    )
                }
                #func
            })
        }
    }
}

/// "**Requires scopes:** `a` and `b`." for the handler's rustdoc.
fn doc_line(args: &ScopeArgs) -> String {
    let names: Vec<String> = args.scopes.iter().map(Scope::doc).collect();
    match (args.any_of, names.as_slice()) {
        (_, [one]) => format!(" **Requires scope:** {one}."),
        (false, [init @ .., last]) => format!(" **Requires scopes:** {} and {last}.", init.join(", ")),
        (true, [init @ .., last]) => {
            format!(" **Requires one of the scopes:** {} or {last}.", init.join(", "))
        }
        (_, []) => String::new(),
    }
}

/// The name of a tonic method's request parameter (the first after `self`).
pub(crate) fn request_ident(func: &ItemFn) -> syn::Result<syn::Ident> {
    let arg = func.sig.inputs.iter().find_map(|a| match a {
        FnArg::Typed(t) => Some(t),
        FnArg::Receiver(_) => None,
    });
    match arg {
        Some(t) => match &*t.pat {
            Pat::Ident(p) => Ok(p.ident.clone()),
            other => Err(syn::Error::new(
                other.span(),
                "name the request parameter (`request: Request<_>`) so the scope check can read it",
            )),
        },
        None => Err(syn::Error::new(
            func.sig.paren_token.span.join(),
            "a tonic method takes the request after `self`",
        )),
    }
}

/// `O` in `Pin<Box<dyn Future<Output = O> + ..>>`: the return type `#[async_trait]` gives a
/// method before this attribute sees it.
pub(crate) fn async_trait_output(output: &ReturnType) -> Option<Type> {
    let ReturnType::Type(_, ty) = output else { return None };
    let pinned = single_generic(ty, "Pin")?;
    let boxed = single_generic(pinned, "Box")?;
    let Type::TraitObject(object) = boxed else { return None };
    object.bounds.iter().find_map(|bound| {
        let TypeParamBound::Trait(t) = bound else { return None };
        let last = t.path.segments.last()?;
        if last.ident != "Future" {
            return None;
        }
        let PathArguments::AngleBracketed(args) = &last.arguments else { return None };
        args.args.iter().find_map(|a| match a {
            GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(assoc.ty.clone()),
            _ => None,
        })
    })
}

fn single_generic<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    args.args.iter().find_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}
