//! `#[requires_step_up(acr = "mfa", max_age = 300)]` on handlers (RFC 9470 step-up).
//!
//! Arguments: `acr = "mfa"` or `acr = ["mfa", "hwk"]` (any one satisfies); or ordered levels,
//! `acr_levels = ["pwd", "mfa", "phr"], acr_at_least = "mfa"` (the named level or a stronger one);
//! `max_age = 300` (seconds since `auth_time`); `crate = "path"`. At least one of `acr` and
//! `max_age` is needed; every mistake is reported with the span of the token at fault.
//!
//! Like `#[requires_scopes]`, the handler's signature is kept: axum and actix handlers get a
//! `_: SteppedUp<Marker>` parameter, placed after a `Scoped<_>` one when `#[requires_scopes]`
//! already added it, so scopes are checked first whatever the order of the attributes; tonic
//! methods get a check after the scope check at the top of their body.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    Expr, ExprArray, ExprLit, FnArg, Item, ItemFn, Lit, LitStr, Meta, Path, Stmt, Token, Type, parse_quote,
};

use crate::args::Errors;
use crate::requires::{Framework, async_trait_output, request_ident};

struct StepUpArgs {
    acr: Vec<LitStr>,
    max_age: Option<u64>,
    krate: Option<Path>,
}

pub(crate) fn expand(args: TokenStream, item: TokenStream, framework: Framework) -> TokenStream {
    let mut errors = Errors::default();
    let args = parse_args(args).map_err(|e| errors.push(e)).ok();
    let func = syn::parse2::<ItemFn>(item.clone()).map_err(|e| errors.push(e)).ok();
    let result = match (args, func) {
        (Some(args), Some(func)) => errors.finish(()).and_then(|()| generate(args, func, framework)),
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

fn parse_args(tokens: TokenStream) -> syn::Result<StepUpArgs> {
    let items = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens)?;
    let mut errors = Errors::default();
    let mut out = StepUpArgs { acr: Vec::new(), max_age: None, krate: None };
    let (mut acr, mut levels, mut at_least) = (None, None, None);
    for meta in items {
        let Meta::NameValue(nv) = meta else {
            errors.push(syn::Error::new_spanned(meta, EXPECTED));
            continue;
        };
        let name = nv.path.get_ident().map(ToString::to_string).unwrap_or_default();
        let span = nv.path.span();
        let twice =
            |errors: &mut Errors| errors.push(syn::Error::new(span, format!("`{name}` is given twice")));
        match name.as_str() {
            "acr" => match strings(&nv.value) {
                Ok(v) if acr.replace(v.clone()).is_some() => twice(&mut errors),
                Ok(_) => {}
                Err(e) => errors.push(e),
            },
            "acr_levels" => match strings(&nv.value) {
                Ok(v) if levels.replace(v.clone()).is_some() => twice(&mut errors),
                Ok(_) => {}
                Err(e) => errors.push(e),
            },
            "acr_at_least" => match &nv.value {
                Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => {
                    if at_least.replace(s.clone()).is_some() {
                        twice(&mut errors)
                    }
                }
                other => errors.push(syn::Error::new_spanned(other, "`acr_at_least` takes a string")),
            },
            "max_age" => match &nv.value {
                Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) => match i.base10_parse::<u64>() {
                    Ok(secs) if out.max_age.replace(secs).is_some() => twice(&mut errors),
                    Ok(_) => {}
                    Err(e) => errors.push(e),
                },
                other => {
                    errors.push(syn::Error::new_spanned(other, "`max_age` takes seconds: `max_age = 300`"))
                }
            },
            "crate" => match &nv.value {
                Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => match s.parse::<Path>() {
                    Ok(p) if out.krate.replace(p.clone()).is_some() => twice(&mut errors),
                    Ok(_) => {}
                    Err(_) => errors.push(syn::Error::new(s.span(), "`crate` must name a path")),
                },
                other => errors.push(syn::Error::new_spanned(other, "`crate` takes a string")),
            },
            _ => errors.push(syn::Error::new(span, format!("unknown argument `{name}`: {EXPECTED}"))),
        }
    }
    let acr_given = acr.is_some() || levels.is_some() || at_least.is_some();
    match (acr, levels, at_least) {
        (Some(_), Some(l), _) => {
            errors.push(syn::Error::new_spanned(&l[0], "give either `acr` or `acr_levels` + `acr_at_least`"))
        }
        (Some(a), None, None) => out.acr = a,
        (_, Some(levels), Some(min)) => match levels.iter().position(|l| l.value() == min.value()) {
            Some(i) => out.acr = levels[i..].to_vec(),
            None => errors.push(syn::Error::new(min.span(), "`acr_at_least` must be one of `acr_levels`")),
        },
        (_, Some(l), None) => {
            errors.push(syn::Error::new_spanned(&l[0], "`acr_levels` needs `acr_at_least`"))
        }
        (_, None, Some(min)) => errors.push(syn::Error::new(min.span(), "`acr_at_least` needs `acr_levels`")),
        (None, None, None) => {}
    }
    if !acr_given && out.max_age.is_none() {
        errors.push(syn::Error::new(
            Span::call_site(),
            "`requires_step_up` needs `acr` or `max_age`, e.g. `#[requires_step_up(acr = \"mfa\", max_age = 300)]`",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for v in &out.acr {
        let value = v.value();
        if value.is_empty() || value.contains(' ') {
            errors.push(syn::Error::new(v.span(), "an acr value is non-empty and has no spaces"));
        } else if !seen.insert(value.clone()) {
            errors.push(syn::Error::new(v.span(), format!("duplicate acr value `{value}`")));
        }
    }
    errors.finish(out)
}

/// `"a"` or `["a", "b"]`.
fn strings(value: &Expr) -> syn::Result<Vec<LitStr>> {
    let one = |e: &Expr| match e {
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Ok(s.clone()),
        other => Err(syn::Error::new_spanned(other, "expected a string literal")),
    };
    match value {
        Expr::Array(ExprArray { elems, .. }) if !elems.is_empty() => elems.iter().map(one).collect(),
        Expr::Array(a) => Err(syn::Error::new_spanned(a, "list at least one value")),
        other => one(other).map(|s| vec![s]),
    }
}

const EXPECTED: &str = "expected `acr = \"..\"`, `acr = [..]`, `acr_levels = [..]`, `acr_at_least = \"..\"`, \
     `max_age = <seconds>` or `crate = \"..\"`";

fn generate(args: StepUpArgs, mut func: ItemFn, framework: Framework) -> syn::Result<TokenStream> {
    let krate = args.krate.clone().unwrap_or_else(|| framework.default_crate());
    let boxed_output = if func.sig.asyncness.is_none() { async_trait_output(&func.sig.output) } else { None };
    if func.sig.asyncness.is_none() && boxed_output.is_none() {
        return Err(syn::Error::new(
            func.sig.fn_token.span(),
            "`#[requires_step_up]` goes on an `async fn` handler (or a method of a `#[tonic::async_trait]` impl)",
        ));
    }
    let acr = &args.acr;
    let max_age = match args.max_age {
        Some(secs) => quote!(::core::option::Option::Some(#secs)),
        None => quote!(::core::option::Option::None),
    };
    let doc = doc_line(&args);
    // The handler's name as utoipa's default `operation_id`: what an OpenAPI document finds it by.
    let name = func.sig.ident.unraw().to_string();
    let marker_items = |marker: &syn::Ident| {
        quote! {
            impl #krate::StepUpSet for #marker {
                const ACR: &'static [&'static str] = &[#(#acr),*];
                const MAX_AGE: ::core::option::Option<u64> = #max_age;
            }
            const _: () = #krate::__private::validate_step_up(
                <#marker as #krate::StepUpSet>::ACR,
                <#marker as #krate::StepUpSet>::MAX_AGE,
            );
            #krate::__private::inventory::submit! {
                #krate::__private::StepUpRegistration::handler(
                    <#marker as #krate::StepUpSet>::ACR,
                    <#marker as #krate::StepUpSet>::MAX_AGE,
                    ::core::module_path!(),
                    #name,
                )
            }
        }
    };
    func.attrs.push(parse_quote!(#[doc = ""]));
    func.attrs.push(parse_quote!(#[doc = #doc]));
    match (framework, func.sig.receiver().is_some()) {
        (Framework::Tower, true) => {
            let request = request_ident(&func)?;
            let marker = format_ident!("__RequiresStepUp");
            let items = marker_items(&marker);
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
            let check: Vec<Stmt> = parse_quote! {
                #[allow(non_camel_case_types)]
                struct #marker;
                #items
                if let ::core::result::Result::Err(__auth_status) =
                    #krate::__private::grpc_require_step_up::<#marker>(#request.extensions())
                {
                    #failed;
                }
            };
            let at = after_scope_check(&func.block.stmts);
            func.block.stmts.splice(at..at, check);
            Ok(quote!(#func))
        }
        (_, true) => Err(syn::Error::new(
            func.sig.inputs.span(),
            "`#[requires_step_up]` from actix_auth goes on a free `async fn` handler, not a method",
        )),
        (_, false) if boxed_output.is_some() => Err(syn::Error::new(
            func.sig.fn_token.span(),
            "`#[requires_step_up]` goes on an `async fn` handler",
        )),
        (_, false) => {
            let marker = format_ident!("__requires_step_up_{}", func.sig.ident);
            let vis = &func.vis;
            let items = marker_items(&marker);
            let at = func.sig.inputs.iter().take_while(|a| is_scoped(a)).count();
            func.sig.inputs.insert(at, parse_quote!(_: #krate::SteppedUp<#marker>));
            Ok(quote! {
                #[doc(hidden)]
                #[allow(non_camel_case_types)]
                #vis struct #marker;
                #items
                #func
            })
        }
    }
}

/// Whether a parameter is the `_: Scoped<_>` that `#[requires_scopes]` added.
fn is_scoped(arg: &FnArg) -> bool {
    let FnArg::Typed(t) = arg else { return false };
    let Type::Path(p) = &*t.ty else { return false };
    p.path.segments.last().is_some_and(|s| s.ident == "Scoped")
}

/// Where a tonic method's step-up check goes: after the scope check of `#[requires_scopes]`
/// (its `const __AUTH_SCOPES`, the `const _` validation and the `if let`), else first.
fn after_scope_check(stmts: &[Stmt]) -> usize {
    match stmts.first() {
        Some(Stmt::Item(Item::Const(c))) if c.ident == "__AUTH_SCOPES" => 3.min(stmts.len()),
        _ => 0,
    }
}

fn doc_line(args: &StepUpArgs) -> String {
    let acr: Vec<String> = args.acr.iter().map(|s| format!("`{}`", s.value())).collect();
    match (acr.is_empty(), args.max_age) {
        (false, Some(secs)) => {
            format!(" **Requires step-up:** `acr` one of {}, authenticated within {secs} s.", acr.join(", "))
        }
        (false, None) => format!(" **Requires step-up:** `acr` one of {}.", acr.join(", ")),
        (true, Some(secs)) => format!(" **Requires step-up:** authenticated within {secs} s."),
        (true, None) => String::new(),
    }
}
