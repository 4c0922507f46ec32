//! Fuzz target: a token's text through `Validator::validate` (see `auth_core::__fuzz::TokenTarget`).

fn main() {
    // A panic ends the process: nothing observes the target after one.
    let target = std::panic::AssertUnwindSafe(auth_core::__fuzz::TokenTarget::new(include_str!(
        "../../keys/jwks.json"
    )));
    afl::fuzz!(|data: &[u8]| {
        target.run(data);
    });
}
