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

fn main() {}
