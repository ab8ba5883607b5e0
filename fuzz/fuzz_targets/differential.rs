//! libFuzzer target: the C original and the Rust port in lockstep on every
//! input; a divergence panics with its report.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| harness::fuzz::run_input(bytes));
