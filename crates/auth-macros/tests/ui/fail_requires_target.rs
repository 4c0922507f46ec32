use tower_auth::requires_scopes;

#[requires_scopes("pets:write")]
fn not_async() -> &'static str {
    "sync"
}

fn main() {}
