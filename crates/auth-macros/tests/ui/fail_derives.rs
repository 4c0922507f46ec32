use tower_auth::{Claims, Scopes};

#[derive(Scopes)]
enum PetScope {
    #[scope("pets:read")]
    Read,
    Write,
    #[scope("pets:read")]
    Again,
    #[scope("two words")]
    Spaced,
}

#[derive(serde::Deserialize, Claims)]
#[claims(requried = ["tenant"])]
struct Caller {
    #[claims(scope)]
    sub: String,
}

// A case serde does not know: the macro names the accepted ones (serde reports it too).
#[derive(serde::Deserialize, Claims)]
#[serde(rename_all = "camelcase")]
struct Miscased {
    #[claims(required)]
    tenant_id: String,
}

// `required` names claims: the field's Rust name would never be in the token.
#[derive(serde::Deserialize, Claims)]
#[serde(rename_all = "camelCase")]
#[claims(required = ["tenant_id"])]
struct RustNameRequired {
    tenant_id: String,
}

#[derive(serde::Deserialize, Claims)]
struct FlattenRequired {
    #[serde(flatten)]
    #[claims(required)]
    rest: std::collections::HashMap<String, String>,
}

#[derive(serde::Deserialize, Claims)]
struct AliasRequired {
    #[serde(rename = "tid", alias = "tenant")]
    #[claims(required)]
    tenant_id: String,
}

fn main() {}
