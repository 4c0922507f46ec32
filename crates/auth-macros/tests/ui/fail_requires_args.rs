use tower_auth::{requires_any_scope, requires_scopes};

#[requires_scopes()]
async fn empty() {}

#[requires_scopes("pets:write", scope = "admin")]
async fn unknown_key() {}

#[requires_scopes("pets:write", "admin", "pets:write")]
async fn duplicate() {}

#[requires_scopes("pets:write admin", "")]
async fn malformed() {}

#[requires_scopes("admin", any("a", "b"))]
async fn mixed_any() {}

#[requires_any_scope(any("a"))]
async fn nested_any() {}

fn main() {}
