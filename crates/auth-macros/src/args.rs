//! The arguments of `#[requires_scopes(...)]` / `#[requires_any_scope(...)]`: scopes as string
//! literals or paths to `#[derive(Scopes)]` variants, `any(...)`, and `crate = "..."`. Every
//! mistake is reported, each with the span of the token at fault.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Path, Token};

/// One required scope, as written.
pub(crate) enum Scope {
    /// `"pets:write"`.
    Literal(LitStr),
    /// `PetScope::Write`: resolved at compile time through the derived `as_str`.
    Path(Path),
}

impl Scope {
    /// How the scope appears in the handler's docs.
    pub(crate) fn doc(&self) -> String {
        match self {
            Scope::Literal(s) => format!("`{}`", s.value()),
            Scope::Path(p) => format!("`{}`", p.to_token_stream().to_string().replace(' ', "")),
        }
    }

    /// An expression of type `&'static str`, usable in a `const`.
    pub(crate) fn expr(&self) -> TokenStream {
        match self {
            Scope::Literal(s) => s.to_token_stream(),
            Scope::Path(p) => quote!(#p.as_str()),
        }
    }

    /// What duplicates are compared by.
    fn key(&self) -> String {
        match self {
            Scope::Literal(s) => format!("\"{}\"", s.value()),
            Scope::Path(p) => p.to_token_stream().to_string(),
        }
    }
}

/// The parsed arguments.
pub(crate) struct ScopeArgs {
    pub(crate) scopes: Vec<Scope>,
    pub(crate) any_of: bool,
    pub(crate) krate: Option<Path>,
}

impl ScopeArgs {
    /// Parses `tokens`, the attribute's arguments; `any_of` for `requires_any_scope`.
    pub(crate) fn parse(tokens: TokenStream, macro_name: &str, any_of: bool) -> syn::Result<Self> {
        let items = syn::parse::Parser::parse2(Punctuated::<Item, Token![,]>::parse_terminated, tokens)?;
        let mut errors = Errors::default();
        let mut out = ScopeArgs { scopes: Vec::new(), any_of, krate: None };
        let mut any_span = None;
        let mut plain = 0usize;
        for item in items {
            match item {
                Item::Scope(s) => {
                    plain += 1;
                    out.scopes.push(s)
                }
                Item::Crate(path, span) => {
                    if out.krate.replace(path).is_some() {
                        errors.push(syn::Error::new(span, "`crate` is given twice"));
                    }
                }
                Item::Any(scopes, span) => {
                    if any_of {
                        errors.push(syn::Error::new(
                            span,
                            format!("`{macro_name}` is already any-of: list the scopes without `any(...)`"),
                        ));
                    } else if any_span.replace(span).is_some() {
                        errors.push(syn::Error::new(span, "only one `any(...)` group is allowed"));
                    }
                    if scopes.is_empty() {
                        errors.push(syn::Error::new(span, "`any(...)` needs at least one scope"));
                    }
                    out.scopes.extend(scopes);
                    out.any_of = true;
                }
                Item::Invalid(e) => errors.push(e),
            }
        }
        // `any(...)` beside plain scopes would be ambiguous: refuse rather than guess.
        if let Some(span) = any_span
            && plain > 0
        {
            errors.push(syn::Error::new(
                span,
                "`any(...)` must be the only scope list: write `requires_scopes(any(\"a\", \"b\"))`",
            ));
        }
        if out.scopes.is_empty() && any_span.is_none() {
            errors.push(syn::Error::new(
                Span::call_site(),
                format!("`{macro_name}` needs at least one scope, e.g. `#[{macro_name}(\"pets:write\")]`"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for scope in &out.scopes {
            if let Scope::Literal(s) = scope
                && let Some(problem) = scope_token_problem(&s.value())
            {
                errors.push(syn::Error::new(s.span(), problem));
            }
            if !seen.insert(scope.key()) {
                errors.push(syn::Error::new_spanned(
                    scope_tokens(scope),
                    format!("duplicate scope {}", scope.doc()),
                ));
            }
        }
        errors.finish(out)
    }
}

fn scope_tokens(scope: &Scope) -> TokenStream {
    match scope {
        Scope::Literal(s) => s.to_token_stream(),
        Scope::Path(p) => p.to_token_stream(),
    }
}

/// Why `s` is not an RFC 6749 §3.3 scope-token, if it is not one.
pub(crate) fn scope_token_problem(s: &str) -> Option<&'static str> {
    if s.is_empty() {
        return Some("a scope cannot be empty");
    }
    if s.contains(' ') {
        return Some("a scope cannot contain a space: list each scope separately");
    }
    let valid = |b: u8| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b);
    if !s.bytes().all(valid) {
        return Some("a scope is printable ASCII without space, `\"` or `\\` (RFC 6749 §3.3)");
    }
    None
}

enum Item {
    Scope(Scope),
    Any(Vec<Scope>, Span),
    Crate(Path, Span),
    Invalid(syn::Error),
}

impl Parse for Item {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(LitStr) {
            return Ok(Item::Scope(Scope::Literal(input.parse()?)));
        }
        if input.peek(Lit) {
            let lit: Lit = input.parse()?;
            return Ok(Item::Invalid(syn::Error::new(lit.span(), EXPECTED)));
        }
        let meta: Meta = input.parse()?;
        Ok(match meta {
            Meta::Path(path) => Item::Scope(Scope::Path(path)),
            Meta::List(list) if list.path.is_ident("any") => {
                let span = list.path.segments[0].ident.span();
                let inner = list.parse_args_with(Punctuated::<Item, Token![,]>::parse_terminated)?;
                let mut scopes = Vec::new();
                for item in inner {
                    match item {
                        Item::Scope(s) => scopes.push(s),
                        Item::Invalid(e) => return Err(e),
                        Item::Any(_, span) | Item::Crate(_, span) => {
                            return Err(syn::Error::new(span, "`any(...)` holds scopes only"));
                        }
                    }
                }
                Item::Any(scopes, span)
            }
            Meta::NameValue(nv) if nv.path.is_ident("crate") => {
                let span = nv.path.segments[0].ident.span();
                match &nv.value {
                    Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => match s.parse::<Path>() {
                        Ok(path) => Item::Crate(path, span),
                        Err(_) => Item::Invalid(syn::Error::new(s.span(), "`crate` must name a path")),
                    },
                    other => Item::Invalid(syn::Error::new_spanned(
                        other,
                        "`crate` takes a string: `crate = \"my_tower_auth\"`",
                    )),
                }
            }
            other => {
                let name = other.path().to_token_stream().to_string().replace(' ', "");
                Item::Invalid(syn::Error::new_spanned(
                    other.path(),
                    format!("unknown argument `{name}`: {EXPECTED}"),
                ))
            }
        })
    }
}

const EXPECTED: &str =
    "expected a scope (a string literal or a `#[derive(Scopes)]` variant), `any(...)` or `crate = \"...\"`";

/// Accumulated errors, reported together.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    pub(crate) fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.0 {
            Some(e) => Err(e),
            None => Ok(value),
        }
    }
}
