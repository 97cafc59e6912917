//! Compile-fail and compile-pass tests for the macros and the handles' auto traits.
//! Snapshots: `TRYBUILD=overwrite cargo test --features trybuild --test compiletest`, then
//! review the diff.

#[cfg_attr(miri, ignore)]
// Diagnostics do not depend on pooling; the passthrough pass of CI need not compile them again.
#[cfg_attr(feature = "passthrough", ignore)]
#[rustversion::attr(not(stable), ignore)]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui-pass/*.rs");
}
