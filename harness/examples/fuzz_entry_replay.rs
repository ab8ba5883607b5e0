//! Runs each file named on the command line once through the fuzz entry
//! (`harness::fuzz::run_input`), as the fuzz target does, but without
//! libFuzzer or a sanitizer: for profilers that count what an input costs
//! the entry itself, such as
//! `valgrind --tool=dhat target/release/examples/fuzz_entry_replay FILES`.
//! A file that cannot be read ends the run with its error; a finding panics
//! with its report, as in the fuzz target.

use std::process::ExitCode;

fn main() -> ExitCode {
    for path in std::env::args().skip(1) {
        match std::fs::read(&path) {
            Ok(bytes) => harness::fuzz::run_input(&bytes),
            Err(error) => {
                eprintln!("fuzz_entry_replay: cannot read {path}: {error}");
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}
