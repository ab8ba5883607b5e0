//! The commands of the `vm-diff` command line, as library functions so that
//! tests can call them, one subcommand a file (as cargo-fuzz lays out its
//! own): `replay` (and `replay --json`), `show`, `encode`, `seeds`,
//! `migrate`, `explore`, and the triage commands `shrink`, `export` and
//! `render`. Each
//! returns the process exit code (0: as expected, 1: a finding or an unmet
//! expectation, or for the triage commands an input that is not a finding,
//! 2: an input that cannot be read or an output that cannot be written) and
//! writes its report to the given writer, and its errors (each naming its
//! file) and progress to a second one (`vm-diff` gives them stdout and
//! stderr). This file holds what several commands share.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::corpus::{self, CorpusEntry};
use crate::program::Program;
use crate::runner::Runner;
use crate::side::{c::CSide, rust::RustSide};
use sim::MachineConfig;

mod digest;
mod encode;
mod explore;
mod export;
mod json;
mod migrate;
mod render;
mod replay;
mod seeds;
mod show;
mod shrink;

pub use digest::digest;
pub use encode::encode;
pub use explore::{explore, explore_scope, EXPLORE_CI_DEPTH};
pub use export::{export, find_corpus_dir, regression_text, ExportOptions};
pub use migrate::migrate;
pub use render::{mark_of, render};
pub use replay::{replay, replay_json};
pub use seeds::seeds;
pub use show::show;
pub use shrink::{shrink, shrink_program, verdict_summary, Keep};

/// Exit code: everything as expected.
pub const EXIT_OK: i32 = 0;
/// Exit code: a divergence, or a corpus expectation not met.
pub const EXIT_FINDING: i32 = 1;
/// Exit code: an input could not be read or parsed.
pub const EXIT_BAD_INPUT: i32 = 2;

/// A runner over the C original and the port.
pub fn new_runner() -> Runner<CSide, RustSide> {
    Runner::new(CSide::new(), RustSide::new(&MachineConfig::normal()))
}

/// The files a path names: itself, or the programs under a directory
/// ([`corpus::is_program_name`]; the other files are named on `log`).
fn inputs(path: &Path, log: &mut dyn Write) -> io::Result<Result<Vec<PathBuf>, String>> {
    if path.is_dir() {
        let (programs, others) = match corpus::programs_under(path) {
            Ok(found) => found,
            Err(message) => return Ok(Err(message)),
        };
        for other in others {
            writeln!(
                log,
                "vm-diff: skipping {}: not a program (`*.ops` text, or a fuzzer input named by its SHA-1)",
                other.display()
            )?;
        }
        Ok(Ok(programs))
    } else {
        match std::fs::metadata(path) {
            Ok(_) => Ok(Ok(vec![path.to_path_buf()])),
            Err(error) => Ok(Err(format!("{}: {error}", path.display()))),
        }
    }
}

/// Writes `contents` to `path`; on failure says so on `log`, naming the
/// file, and returns false.
fn write_output(path: &Path, contents: &[u8], log: &mut dyn Write) -> io::Result<bool> {
    match std::fs::write(path, contents) {
        Ok(()) => Ok(true),
        Err(error) => {
            writeln!(log, "vm-diff: cannot write {}: {error}", path.display())?;
            Ok(false)
        }
    }
}

/// "1 program", "2 programs".
pub fn count(number: usize, noun: &str) -> String {
    if number == 1 {
        format!("1 {noun}")
    } else {
        format!("{number} {noun}s")
    }
}

/// Loads a program file and gives it to `command` with the log, or reports
/// why it cannot (exit 2).
fn with_program(
    path: &Path,
    log: &mut dyn Write,
    command: impl FnOnce(CorpusEntry, &mut dyn Write) -> io::Result<i32>,
) -> io::Result<i32> {
    match load_or_report(path, log)? {
        Some(entry) => command(entry, log),
        None => Ok(EXIT_BAD_INPUT),
    }
}

/// Loads a program file, or reports why not.
fn load_or_report(path: &Path, log: &mut dyn Write) -> io::Result<Option<CorpusEntry>> {
    match corpus::load_file(path) {
        Ok(entry) => Ok(Some(entry)),
        Err(message) => {
            writeln!(log, "vm-diff: {message}")?;
            Ok(None)
        }
    }
}

/// Writes a program as text when `path` ends in `.ops`, as bytes otherwise;
/// false (said on `log`) when it cannot.
fn write_program(path: &Path, program: &Program, log: &mut dyn Write) -> io::Result<bool> {
    if path.extension().is_some_and(|extension| extension == "ops") {
        write_output(path, program.to_string().as_bytes(), log)
    } else {
        write_output(path, &program.encode(), log)
    }
}
