//! libFuzzer target: the C original and the Rust port in lockstep on every
//! input; a divergence panics with its report.
//!
//! What the target can set for itself is set here rather than in a script,
//! so that plain `cargo fuzz run differential` gets it: ASan's defaults
//! (below), the summary line when the run ends, and the runner's warm-up
//! before the first input. Comparison tracing is a build flag, which the
//! target cannot set: `scripts/fuzz` turns it off for all the Rust code
//! (`--no-trace-compares`), and for the plain command `fuzz/rustc-wrapper`
//! (named by the root's `.cargo/config.toml`) turns it off in the Rust
//! crates too, where under ASan it traced every shadow-memory check; the
//! C keeps its own in both. The same wrapper leaves ASan out of the crates
//! with no unsafe code (harness, spec, vm-rs), and out of c-reference,
//! whose walks of the C's maps check each node themselves, in every
//! libFuzzer build.
#![no_main]

libfuzzer_sys::fuzz_target!(
    init: {
        harness::fuzz::print_summary_at_exit();
        harness::fuzz::prepare();
    },
    |bytes: &[u8]| harness::fuzz::run_input(bytes)
);

/// AddressSanitizer's default options for this binary, read by ASan's
/// runtime at start-up (`ASAN_OPTIONS` still overrides them; without ASan
/// nothing calls this). A 32 MiB quarantine instead of ASan's 256 MiB keeps
/// the process near 150 MiB instead of 460 and is faster: every program
/// frees the C side's allocations, and a large quarantine only ages them.
/// Stack-use-after-return detection is off: it moves every instrumented
/// stack frame of both sides and of the oracles to a heap-allocated fake
/// stack (about 6% of the time in a profile) to catch a pointer to a
/// returned frame; the safe Rust cannot keep one, and vm_map.c's callers
/// (our entry layer) pass only out-parameters that the call writes before
/// it returns.
#[no_mangle]
pub extern "C" fn __asan_default_options() -> *const std::ffi::c_char {
    c"quarantine_size_mb=32:detect_stack_use_after_return=0".as_ptr()
}
