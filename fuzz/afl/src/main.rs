//! AFL++ target: the C original and the Rust port in lockstep on every
//! input, through the same harness entry as the libFuzzer target; a
//! divergence panics with its report, which AFL++ records as a crash.
//!
//! Build with `cargo afl build` (cargo-afl instruments the Rust code and
//! c-reference's build script instruments the C for AFL++), then run
//! `cargo afl fuzz -i <seeds> -o <out> target/debug/differential-afl`.

fn main() {
    // Warm up before the loop: AFL++'s fork server starts each child from
    // here, so no input's coverage includes the warm-up.
    harness::fuzz::prepare();
    afl::fuzz!(|bytes: &[u8]| harness::fuzz::run_input(bytes));
}
