//! Compile-pass and compile-fail cases: the expected compiler messages are checked in beside
//! each case (`tests/ui/*.stderr`; regenerate with `TRYBUILD=overwrite` and review the diff).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass.rs");
    t.pass("tests/ui/pass_step_up.rs");
    t.compile_fail("tests/ui/fail_*.rs");
}
