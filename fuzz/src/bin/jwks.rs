//! Fuzz target: a JWKS document through the key set parser (see `auth_core::__fuzz::jwks_document`).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        auth_core::__fuzz::jwks_document(data);
    });
}
