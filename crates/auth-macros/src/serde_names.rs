//! The name serde reads a field from: the field's own name, renamed by the container's
//! `rename_all` and the field's `rename`, exactly as `serde_derive` does it. `#[derive(Claims)]`
//! checks required claims and fills scope fields by these names, so any difference from serde's
//! would make it check a claim the deserializer never reads.
//!
//! Only the deserialize side counts (`rename(deserialize = "...")`, `rename_all(deserialize =
//! "...")`): the claims are deserialized, never serialized. A `#[serde(...)]` attribute that does
//! not parse is skipped here: serde reports it.

use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, Field, Lit, LitStr, Meta, Token};

use crate::args::Errors;

/// serde's `rename_all` rules, with the spelling serde accepts for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RenameRule {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

const RULES: [(&str, RenameRule); 8] = [
    ("lowercase", RenameRule::Lower),
    ("UPPERCASE", RenameRule::Upper),
    ("PascalCase", RenameRule::Pascal),
    ("camelCase", RenameRule::Camel),
    ("snake_case", RenameRule::Snake),
    ("SCREAMING_SNAKE_CASE", RenameRule::ScreamingSnake),
    ("kebab-case", RenameRule::Kebab),
    ("SCREAMING-KEBAB-CASE", RenameRule::ScreamingKebab),
];

impl RenameRule {
    fn parse(lit: &LitStr) -> syn::Result<Self> {
        let value = lit.value();
        RULES.iter().find(|(name, _)| *name == value).map(|(_, rule)| *rule).ok_or_else(|| {
            let known = RULES.iter().map(|(name, _)| format!("\"{name}\"")).collect::<Vec<_>>().join(", ");
            syn::Error::new(
                lit.span(),
                format!("unknown `rename_all` case {value:?}: expected one of {known}"),
            )
        })
    }

    /// A Rust field name (snake_case by convention) as serde spells it under this rule.
    ///
    /// serde treats a field name as snake_case words: `lowercase` and `snake_case` leave it as
    /// it is (they do not lowercase it), and the Pascal/camel rules capitalise after each `_`.
    pub(crate) fn apply_to_field(self, field: &str) -> String {
        match self {
            RenameRule::Lower | RenameRule::Snake => field.to_owned(),
            RenameRule::Upper | RenameRule::ScreamingSnake => field.to_ascii_uppercase(),
            RenameRule::Pascal => {
                let mut pascal = String::with_capacity(field.len());
                let mut capitalize = true;
                for ch in field.chars() {
                    if ch == '_' {
                        capitalize = true;
                    } else if capitalize {
                        pascal.push(ch.to_ascii_uppercase());
                        capitalize = false;
                    } else {
                        pascal.push(ch);
                    }
                }
                pascal
            }
            RenameRule::Camel => {
                let pascal = RenameRule::Pascal.apply_to_field(field);
                // serde slices off one byte here (and so fails on `_` alone); by char it cannot.
                let mut chars = pascal.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_lowercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            }
            RenameRule::Kebab => field.replace('_', "-"),
            RenameRule::ScreamingKebab => field.to_ascii_uppercase().replace('_', "-"),
        }
    }
}

/// serde's container attributes that decide field names.
#[derive(Default)]
pub(crate) struct Container {
    rename_all: Option<RenameRule>,
}

/// What serde's attributes say about one field.
pub(crate) struct FieldName {
    /// The claim serde reads the field from, spanned on the `rename` string when there is one.
    pub(crate) name: LitStr,
    /// `#[serde(alias = "...")]`: further names serde accepts.
    pub(crate) aliases: Vec<LitStr>,
    /// `#[serde(flatten)]`: the field has no claim of its own.
    pub(crate) flatten: bool,
}

/// The container's `rename_all`; an unknown case is an error on its string.
pub(crate) fn container(attrs: &[Attribute], errors: &mut Errors) -> Container {
    let mut out = Container::default();
    for meta in serde_metas(attrs) {
        if !meta.path().is_ident("rename_all") {
            continue;
        }
        // Every rule is checked, the serialize one too, so a misspelt case never passes unseen.
        for (direction, lit) in directed(&meta) {
            match RenameRule::parse(&lit) {
                Ok(rule) if direction != Direction::Serialize => out.rename_all = Some(rule),
                Ok(_) => {}
                Err(e) => errors.push(e),
            }
        }
    }
    out
}

/// The field's name in the payload, its aliases and whether it is flattened.
pub(crate) fn field(field: &Field, ident: &syn::Ident, container: &Container) -> FieldName {
    let mut renamed = None;
    let mut aliases = Vec::new();
    let mut flatten = false;
    for meta in serde_metas(&field.attrs) {
        if meta.path().is_ident("rename") {
            if let Some((_, lit)) = directed(&meta).into_iter().find(|(d, _)| *d != Direction::Serialize) {
                renamed = Some(lit);
            }
        } else if meta.path().is_ident("alias") {
            aliases.extend(directed(&meta).into_iter().map(|(_, lit)| lit));
        } else if meta.path().is_ident("flatten") {
            flatten = true;
        }
    }
    // serde names `r#type` "type"; an explicit rename wins over the container's rule.
    let name = renamed.unwrap_or_else(|| {
        let raw = ident.to_string();
        let plain = raw.strip_prefix("r#").unwrap_or(&raw);
        let name = container.rename_all.map_or_else(|| plain.to_owned(), |rule| rule.apply_to_field(plain));
        LitStr::new(&name, ident.span())
    });
    FieldName { name, aliases, flatten }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Both,
    Serialize,
    Deserialize,
}

/// `key = "x"` (both directions) or `key(serialize = "x", deserialize = "y")`; values that are not
/// string literals are skipped (serde reports them).
fn directed(meta: &Meta) -> Vec<(Direction, LitStr)> {
    match meta {
        Meta::NameValue(nv) => lit_str(&nv.value).map(|s| (Direction::Both, s)).into_iter().collect(),
        Meta::List(list) => list
            .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
            .map(|inner| {
                inner
                    .iter()
                    .filter_map(|m| {
                        let Meta::NameValue(nv) = m else { return None };
                        let direction = if nv.path.is_ident("serialize") {
                            Direction::Serialize
                        } else if nv.path.is_ident("deserialize") {
                            Direction::Deserialize
                        } else {
                            return None;
                        };
                        lit_str(&nv.value).map(|s| (direction, s))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Meta::Path(_) => Vec::new(),
    }
}

fn lit_str(expr: &Expr) -> Option<LitStr> {
    match expr {
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s.clone()),
        _ => None,
    }
}

fn serde_metas(attrs: &[Attribute]) -> impl Iterator<Item = Meta> + '_ {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .filter_map(|a| a.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    const ALL: [RenameRule; 8] = [
        RenameRule::Lower,
        RenameRule::Upper,
        RenameRule::Pascal,
        RenameRule::Camel,
        RenameRule::Snake,
        RenameRule::ScreamingSnake,
        RenameRule::Kebab,
        RenameRule::ScreamingKebab,
    ];

    fn apply(field: &str) -> Vec<String> {
        ALL.iter().map(|rule| rule.apply_to_field(field)).collect()
    }

    #[test]
    fn each_rule_spells_a_snake_case_field_as_serde_does() {
        assert_eq!(
            apply("tenant_id"),
            [
                "tenant_id",
                "TENANT_ID",
                "TenantId",
                "tenantId",
                "tenant_id",
                "TENANT_ID",
                "tenant-id",
                "TENANT-ID"
            ]
        );
        assert_eq!(apply("sub"), ["sub", "SUB", "Sub", "sub", "sub", "SUB", "sub", "SUB"]);
        assert_eq!(apply("a_b_c"), ["a_b_c", "A_B_C", "ABC", "aBC", "a_b_c", "A_B_C", "a-b-c", "A-B-C"]);
    }

    #[test]
    fn rules_keep_what_is_not_an_underscore_boundary() {
        // serde does not lowercase: `lowercase` on a field is the identity, like `snake_case`.
        assert_eq!(RenameRule::Lower.apply_to_field("tenantID"), "tenantID");
        assert_eq!(RenameRule::Camel.apply_to_field("tenant_ID"), "tenantID");
        // Leading, doubled and trailing underscores only mark word starts.
        assert_eq!(RenameRule::Camel.apply_to_field("_private__x_"), "privateX");
        assert_eq!(RenameRule::Pascal.apply_to_field("x2_y"), "X2Y");
        assert_eq!(RenameRule::Kebab.apply_to_field("_a"), "-a");
        // Where serde_derive would panic, the macro does not.
        assert_eq!(RenameRule::Camel.apply_to_field("_"), "");
    }

    #[test]
    fn every_case_serde_accepts_parses_and_nothing_else_does() {
        for (name, rule) in RULES {
            assert_eq!(
                RenameRule::parse(&LitStr::new(name, proc_macro2::Span::call_site())).ok(),
                Some(rule)
            );
        }
        for wrong in ["camelcase", "CamelCase", "snake-case", "kebab_case", "", "SCREAMING_KEBAB_CASE"] {
            let err = RenameRule::parse(&LitStr::new(wrong, proc_macro2::Span::call_site())).unwrap_err();
            assert!(err.to_string().contains("expected one of \"lowercase\""), "{err}");
        }
    }

    /// serde itself reads a struct of each rule from the names `apply_to_field` gives, and
    /// refuses any other name (`deny_unknown_fields`).
    #[test]
    fn serde_reads_the_names_each_rule_gives() {
        use serde::Deserialize;
        use serde::de::value::{Error, MapDeserializer};

        macro_rules! check {
            ($($case:literal => $rule:expr),* $(,)?) => {$({
                #[derive(Deserialize)]
                #[serde(rename_all = $case, deny_unknown_fields)]
                #[allow(dead_code, non_snake_case)]
                struct T { tenant_id: u8, a_b_c: u8, sub: u8, x2_y: u8, _private__x_: u8, r#type: u8 }
                let fields = ["tenant_id", "a_b_c", "sub", "x2_y", "_private__x_", "type"];
                let map = fields.iter().map(|f| ($rule.apply_to_field(f), 0u8));
                let read = T::deserialize(MapDeserializer::<_, Error>::new(map));
                assert!(read.is_ok(), "{}: {:?}", $case, read.err());
            })*};
        }
        check!(
            "lowercase" => RenameRule::Lower,
            "UPPERCASE" => RenameRule::Upper,
            "PascalCase" => RenameRule::Pascal,
            "camelCase" => RenameRule::Camel,
            "snake_case" => RenameRule::Snake,
            "SCREAMING_SNAKE_CASE" => RenameRule::ScreamingSnake,
            "kebab-case" => RenameRule::Kebab,
            "SCREAMING-KEBAB-CASE" => RenameRule::ScreamingKebab,
        );
    }

    fn names(input: syn::DeriveInput) -> Vec<(String, Vec<String>, bool)> {
        let mut errors = Errors::default();
        let container = container(&input.attrs, &mut errors);
        assert!(errors.finish(()).is_ok());
        let syn::Data::Struct(data) = input.data else { unreachable!("a struct") };
        data.fields
            .iter()
            .map(|f| {
                let n = field(f, f.ident.as_ref().expect("named"), &container);
                (n.name.value(), n.aliases.iter().map(LitStr::value).collect(), n.flatten)
            })
            .collect()
    }

    #[test]
    fn field_rename_wins_over_the_containers_rule_and_only_deserialize_counts() {
        let input: syn::DeriveInput = parse_quote! {
            #[serde(deny_unknown_fields, rename_all(serialize = "UPPERCASE", deserialize = "camelCase"))]
            struct T {
                tenant_id: String,
                #[serde(rename = "tid")]
                tenant: String,
                #[serde(rename(serialize = "ignored"))]
                client_id: String,
                #[serde(default, rename(deserialize = "org", serialize = "o"))]
                org_name: String,
                #[serde(alias = "grp", alias = "g")]
                group_id: String,
                #[serde(flatten)]
                rest: std::collections::HashMap<String, String>,
                r#type: String,
            }
        };
        let s = |v: &str| v.to_owned();
        assert_eq!(
            names(input),
            [
                (s("tenantId"), vec![], false),
                (s("tid"), vec![], false),
                (s("clientId"), vec![], false),
                (s("org"), vec![], false),
                (s("groupId"), vec![s("grp"), s("g")], false),
                (s("rest"), vec![], true),
                (s("type"), vec![], false),
            ]
        );
    }

    #[test]
    fn a_serialize_only_rule_leaves_names_alone() {
        let input: syn::DeriveInput = parse_quote! {
            #[serde(rename_all(serialize = "camelCase"))]
            struct T { tenant_id: String }
        };
        assert_eq!(names(input)[0].0, "tenant_id");
    }

    #[test]
    fn an_unknown_case_is_an_error_on_its_string() {
        let input: syn::DeriveInput = parse_quote! {
            #[serde(rename_all(serialize = "camelCase", deserialize = "camel"))]
            struct T { tenant_id: String }
        };
        let mut errors = Errors::default();
        let _ = container(&input.attrs, &mut errors);
        let err = errors.finish(()).unwrap_err();
        assert!(err.to_string().starts_with("unknown `rename_all` case \"camel\""), "{err}");
    }
}
