//! Compiles the C reference: the seed (through `csrc/seed_unit.c`, which
//! includes it unchanged), the red-black tree, the services and the entry
//! layer, into one static library with assertions on and every warning an
//! error.
//!
//! The compiler and instrumentation follow how the crate is being built:
//! under cargo-fuzz (`--cfg fuzzing`) the C is compiled by clang with
//! libFuzzer's coverage instrumentation (and AddressSanitizer when the Rust
//! side uses it), so that libFuzzer sees the C's edges and comparisons;
//! otherwise the default C compiler is used. A build that cannot compile
//! fails with the compiler's message.

use std::env;

/// The C files of the reference, relative to the crate.
const SOURCES: &[&str] = &[
    "csrc/seed_unit.c",
    "x15/kern/rbtree.c",
    "csrc/services.c",
    "csrc/entry.c",
];

/// How the C code is instrumented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Instrumentation {
    /// An ordinary build: tests, the command line, benchmarks.
    Plain,
    /// cargo-fuzz: libFuzzer coverage, optionally with AddressSanitizer.
    LibFuzzer { address_sanitizer: bool },
    /// AFL++ through cargo-afl.
    Afl,
}

/// The AFL hook: true when the build is driven by cargo-afl. Detection and
/// the matching compiler settings (`configure_afl`) are still to be written.
/// It is checked before `CARGO_CFG_FUZZING` because cargo-afl passes
/// `--cfg fuzzing` too; until it detects AFL, an AFL build gets the
/// libFuzzer settings below.
fn afl_requested() -> bool {
    false
}

fn instrumentation() -> Instrumentation {
    if afl_requested() {
        return Instrumentation::Afl;
    }
    if env::var_os("CARGO_CFG_FUZZING").is_some() {
        let sanitizers = env::var("CARGO_CFG_SANITIZE").unwrap_or_default();
        return Instrumentation::LibFuzzer {
            address_sanitizer: sanitizers.split(',').any(|name| name == "address"),
        };
    }
    Instrumentation::Plain
}

/// AFL++ settings (compiler `afl-clang-fast` or the like); see `afl_requested`.
fn configure_afl(_build: &mut cc::Build) {}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=x15");
    println!("cargo:rerun-if-changed=csrc");

    let mut build = cc::Build::new();
    build
        .files(SOURCES)
        .include("x15")
        .include("csrc")
        .flag("-std=gnu11")
        .flag("-Wall")
        .flag("-Wextra")
        .warnings_into_errors(true);

    match instrumentation() {
        Instrumentation::Plain => {}
        Instrumentation::LibFuzzer { address_sanitizer } => {
            // libFuzzer only understands clang's instrumentation (GCC's
            // trace-pc is rejected), whatever CC says.
            build.compiler("clang").flag("-fsanitize=fuzzer-no-link");
            if address_sanitizer {
                build.flag("-fsanitize=address");
            }
        }
        Instrumentation::Afl => configure_afl(&mut build),
    }

    build.compile("cref");
}
