//! Fuzz target: a request's `Authorization`, `DPoP` and other credential headers through
//! `Authenticator::authenticate` (see `auth_core::__fuzz::RequestTarget`).

fn main() {
    // A panic ends the process: nothing observes the target after one.
    let target = std::panic::AssertUnwindSafe(auth_core::__fuzz::RequestTarget::new(include_str!(
        "../../keys/jwks.json"
    )));
    afl::fuzz!(|data: &[u8]| {
        target.run(data);
    });
}
