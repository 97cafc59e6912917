//! Compile-fail and compile-pass tests for the macros and the handles' auto traits.
//! Snapshots: `TRYBUILD=overwrite cargo test --features trybuild --test compiletest`, then
//! review the diff.

#[cfg_attr(miri, ignore)]
// Diagnostics do not depend on pooling; the passthrough pass of CI need not compile them again.
#[cfg_attr(feature = "passthrough", ignore)]
#[rustversion::attr(not(stable), ignore)]
#[test]
fn ui() {
    // Two runs, not one: trybuild checks the cases of a compile-fail-only run together, in one
    // `cargo check`, but builds every case of a run that has a pass case in a cargo invocation of
    // its own (a cleaned build each time), which took minutes for the compile-fail cases.
    {
        let t = trybuild::TestCases::new();
        t.compile_fail("tests/ui/*.rs");
    }
    {
        let t = trybuild::TestCases::new();
        t.pass("tests/ui-pass/*.rs");
    }
}
