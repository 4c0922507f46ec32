//! Fuzz target: an introspection answer through its reader and the claim rules (see
//! `auth_core::__fuzz::introspection_answer`).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        auth_core::__fuzz::introspection_answer(data);
    });
}
