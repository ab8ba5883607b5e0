//! Compiles the C reference: the seed (through `csrc/seed_unit.c`, which
//! includes it unchanged), the red-black tree, the services and the entry
//! layer, into one static library with assertions on and every warning an
//! error.
//!
//! The compiler and instrumentation follow how the crate is being built:
//! under cargo-fuzz (`--cfg fuzzing`) the C is compiled by clang (or the
//! compiler `CC` names, with `CFLAGS` appended: how OSS-Fuzz and
//! ClusterFuzzLite pass their compiler and flags) with libFuzzer's coverage
//! instrumentation (and AddressSanitizer when the Rust side uses it), so
//! that libFuzzer sees the C's edges and comparisons;
//! under cargo-afl it is compiled by clang with the sanitizer-coverage
//! callbacks that AFL++'s runtime (linked by cargo-afl) consumes, so that
//! AFL++ sees the C's edges; otherwise the default C compiler is used. A
//! build that cannot compile fails with the compiler's message.
//!
//! Opt-in coverage (`scripts/coverage`): with `CREF_COVERAGE=1` in the
//! environment, a plain build compiles the C with gcc's `--coverage`
//! (unoptimised, so that lines map one to one) and links libgcov, so that
//! running the binary writes `.gcda` files beside the objects for `gcov`.

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
    /// gcc's line and branch coverage (`CREF_COVERAGE=1`), for gcov.
    Gcov,
}

/// The environment variable that asks for gcov coverage of the C.
const COVERAGE_VARIABLE: &str = "CREF_COVERAGE";

/// What in cargo-afl's compiler flags identifies its builds: the AFL++
/// runtime it links into every binary (`-Clink-arg=.../afl-compiler-rt.o`),
/// and the coverage it asks rustc for, either through LLVM's
/// sanitizer-coverage options or, when AFL++'s plugins are installed,
/// through AFL++'s own pass.
const AFL_RUSTFLAG_MARKERS: &[&str] = &[
    "afl-compiler-rt.o",
    "sanitizer-coverage-trace-pc-guard",
    "SanitizerCoveragePCGUARD",
];

/// Rust flags of this build, as cargo hands them to build scripts
/// (`CARGO_ENCODED_RUSTFLAGS`, flags separated by 0x1f).
fn rustflags() -> Vec<String> {
    env::var("CARGO_ENCODED_RUSTFLAGS")
        .unwrap_or_default()
        .split('\u{1f}')
        .map(str::to_string)
        .collect()
}

/// True when the build is driven by cargo-afl. cargo-afl passes
/// `--cfg fuzzing` too, so this is checked before `CARGO_CFG_FUZZING`; it
/// sets no variable of its own that reaches build scripts, but its RUSTFLAGS
/// do.
fn afl_requested() -> bool {
    rustflags().iter().any(|flag| {
        AFL_RUSTFLAG_MARKERS
            .iter()
            .any(|marker| flag.contains(marker))
    })
}

/// The `-C opt-level=` of the Rust flags, if any: cargo-afl forces one
/// (3 unless `AFL_OPT_LEVEL` says otherwise) whatever the profile, and the C
/// should run as optimised as the Rust beside it.
fn rustflags_opt_level() -> Option<String> {
    rustflags().iter().rev().find_map(|flag| {
        let value = flag.strip_prefix("-C").unwrap_or(flag).trim_start();
        value.strip_prefix("opt-level=").map(str::to_string)
    })
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
    if env::var(COVERAGE_VARIABLE).is_ok_and(|value| value == "1") {
        return Instrumentation::Gcov;
    }
    Instrumentation::Plain
}

/// gcc's coverage: `--coverage` on every C file, no optimisation, and
/// libgcov (from gcc's own library directory) linked into the binaries.
fn configure_gcov(build: &mut cc::Build) {
    build.compiler("gcc").opt_level(0).flag("--coverage");
    let libgcc = std::process::Command::new("gcc")
        .arg("-print-libgcc-file-name")
        .output()
        .expect("CREF_COVERAGE=1 needs gcc on the PATH");
    let libgcc = String::from_utf8_lossy(&libgcc.stdout);
    if let Some(directory) = std::path::Path::new(libgcc.trim()).parent() {
        println!("cargo:rustc-link-search=native={}", directory.display());
    }
    println!("cargo:rustc-link-lib=static=gcov");
}

/// AFL++ settings: clang's `trace-pc-guard` coverage, the callbacks
/// cargo-afl's AFL++ runtime implements for the Rust code as well (every
/// guard section of the binary, C and Rust, lands in one edge map), and
/// `trace-cmp`, which the runtime turns into comparison logging like
/// cargo-afl's `-sanitizer-coverage-trace-compares` does for Rust. Plain
/// clang is enough: AFL++'s own compiler wrapper is not needed, and
/// cargo-afl may not have built it.
fn configure_afl(build: &mut cc::Build) {
    build
        .compiler("clang")
        .flag("-fsanitize-coverage=trace-pc-guard,trace-cmp");
    if let Some(level) = rustflags_opt_level() {
        build.opt_level_str(&level);
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(cref_asan)");
    println!("cargo:rerun-if-changed=x15");
    println!("cargo:rerun-if-changed=csrc");
    // Read below for cargo-fuzz builds (the cc crate reports CFLAGS itself).
    println!("cargo:rerun-if-env-changed=CC");
    println!("cargo:rerun-if-env-changed={COVERAGE_VARIABLE}");

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
            // trace-pc is rejected): clang, unless CC names a compiler, as
            // OSS-Fuzz and ClusterFuzzLite do (their clang). The cc crate
            // appends CFLAGS from the environment after its own flags, so
            // their sanitizer, coverage and optimisation flags reach the C
            // as given; the flags below repeat what they ask for, which
            // clang accepts.
            if env::var_os("CC").is_none_or(|cc| cc.is_empty()) {
                build.compiler("clang");
            }
            build.flag("-fsanitize=fuzzer-no-link");
            if address_sanitizer {
                build.flag("-fsanitize=address");
                // The map walks check each node themselves instead of
                // every load (src/freed_check.rs).
                println!("cargo:rustc-cfg=cref_asan");
            }
        }
        Instrumentation::Afl => configure_afl(&mut build),
        Instrumentation::Gcov => configure_gcov(&mut build),
    }

    build.compile("cref");
}
