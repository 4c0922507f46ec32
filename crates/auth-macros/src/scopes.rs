//! `#[derive(Scopes)]`: an enum whose variants name scopes, so a scope is a Rust path and a typo
//! is a compile error.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, LitStr};

use crate::args::{Errors, scope_token_problem};

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<DeriveInput>(input).and_then(generate) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

fn generate(input: DeriveInput) -> syn::Result<TokenStream> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new(input.ident.span(), "`#[derive(Scopes)]` goes on an enum of scopes"));
    };
    if data.variants.is_empty() {
        return Err(syn::Error::new(input.ident.span(), "`#[derive(Scopes)]` needs at least one variant"));
    }
    let mut errors = Errors::default();
    let mut arms = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            errors.push(syn::Error::new(variant.fields.span(), "scope variants carry no data"));
        }
        let mut scope: Option<LitStr> = None;
        for attr in variant.attrs.iter().filter(|a| a.path().is_ident("scope")) {
            match attr.parse_args::<LitStr>() {
                Ok(lit) => {
                    if scope.is_some() {
                        errors.push(syn::Error::new(lit.span(), "a variant names one scope"));
                    } else if let Some(problem) = scope_token_problem(&lit.value()) {
                        errors.push(syn::Error::new(lit.span(), problem));
                    } else if seen.contains(&lit.value()) {
                        errors
                            .push(syn::Error::new(lit.span(), format!("duplicate scope `{}`", lit.value())));
                    } else {
                        seen.push(lit.value());
                        scope = Some(lit);
                    }
                }
                Err(e) => errors.push(syn::Error::new(e.span(), "expected `#[scope(\"name:action\")]`")),
            }
        }
        let ident = &variant.ident;
        match scope {
            Some(lit) => arms.push(quote!(Self::#ident => #lit)),
            None if errors_free_variant(variant) => errors.push(syn::Error::new(
                ident.span(),
                format!("add `#[scope(\"...\")]` to `{ident}`: the scope string it stands for"),
            )),
            None => {}
        }
    }
    errors.finish(())?;

    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics #name #ty_generics #where_clause {
            /// The scope string this variant stands for.
            pub const fn as_str(&self) -> &'static str {
                match self {
                    #(#arms,)*
                }
            }
        }

        impl #impl_generics ::core::fmt::Display for #name #ty_generics #where_clause {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl #impl_generics ::core::convert::AsRef<str> for #name #ty_generics #where_clause {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl #impl_generics ::core::convert::From<#name #ty_generics> for &'static str #where_clause {
            fn from(scope: #name #ty_generics) -> Self {
                scope.as_str()
            }
        }

        impl #impl_generics ::core::convert::From<#name #ty_generics> for ::std::string::String #where_clause {
            fn from(scope: #name #ty_generics) -> Self {
                ::std::string::String::from(scope.as_str())
            }
        }
    })
}

/// A variant with no `#[scope]` at all (one with a malformed attribute was already reported).
fn errors_free_variant(variant: &syn::Variant) -> bool {
    !variant.attrs.iter().any(|a| a.path().is_ident("scope"))
}
