//! Fuzzes pool operations: the input is a program for the interpreter in `ops.rs`, which checks
//! every step against a model (ownership stamps, capacities, zeroing, every counter).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)] // `ops::REGRESSIONS` is for `tests/test_bad_input.rs`.
mod ops;

fuzz_target!(|data: &[u8]| ops::run(data));
