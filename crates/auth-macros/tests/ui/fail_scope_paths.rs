use tower_auth::{Scopes, requires_scopes};

#[derive(Scopes)]
enum PetScope {
    #[scope("pets:write")]
    Write,
}

#[requires_scopes(PetScope::Wirte)]
async fn typo() {}

#[requires_scopes(PetScope::Write, "pets:write")]
async fn same_scope_twice() {}

fn main() {}
