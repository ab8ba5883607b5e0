//! vm-diff's harness: the program language the fuzzer speaks (and, later,
//! the runner, oracles and reports that compare the C original with its
//! Rust port). Each module documents how it reports failure.

pub mod program;
