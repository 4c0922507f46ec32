//! Fuzz target: a `DPoP` header's proof through the proof reader (see
//! `auth_core::__fuzz::DpopProofTarget`).

fn main() {
    // A panic ends the process: nothing observes the target after one.
    let target = std::panic::AssertUnwindSafe(auth_core::__fuzz::DpopProofTarget::new());
    afl::fuzz!(|data: &[u8]| {
        target.run(data);
    });
}
