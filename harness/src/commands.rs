//! The commands of the `vm-diff` command line, as library functions so that
//! tests can call them: replay, show, encode. Each returns the process exit
//! code (0: as expected, 1: a finding or an unmet expectation, 2: an input
//! that cannot be read) and writes its report to the given writer.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::corpus::{self, CorpusEntry};
use crate::runner::{Runner, Verdict};
use crate::side::{c::CSide, rust::RustSide};
use sim::MachineConfig;

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

/// The files a path names: itself, or every file under a directory.
fn inputs(path: &Path) -> Result<Vec<PathBuf>, String> {
    if path.is_dir() {
        corpus::files_under(path)
    } else if path.exists() {
        Ok(vec![path.to_path_buf()])
    } else {
        Err(format!("{}: no such file or directory", path.display()))
    }
}

/// `vm-diff replay PATH`: runs every program, prints each finding's report
/// (and with `verbose`, every operation with both outcomes).
pub fn replay(path: &Path, verbose: bool, out: &mut dyn Write) -> io::Result<i32> {
    let files = match inputs(path) {
        Ok(files) => files,
        Err(message) => {
            writeln!(out, "vm-diff: {message}")?;
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let mut runner = new_runner();
    if verbose {
        runner.log = Some(Vec::new());
    }
    let progress = files.len() > 1 && io::stderr().is_terminal();
    let (mut failed, mut unreadable) = (0, 0);
    for (index, file) in files.iter().enumerate() {
        if progress {
            eprint!("\r[{}/{}] {}\x1b[K", index + 1, files.len(), file.display());
        }
        match corpus::load_file(file) {
            Ok(entry) => failed += usize::from(!replay_one(&mut runner, &entry, verbose, out)?),
            Err(message) => {
                unreadable += 1;
                writeln!(out, "vm-diff: {message}")?;
            }
        }
    }
    if progress {
        eprintln!();
    }
    writeln!(
        out,
        "vm-diff: {} programs, {} operations: {} as expected, {failed} not, {unreadable} unreadable",
        files.len(),
        runner.stats.ops,
        files.len() - failed - unreadable
    )?;
    Ok(if unreadable > 0 {
        EXIT_BAD_INPUT
    } else if failed > 0 {
        EXIT_FINDING
    } else {
        EXIT_OK
    })
}

/// Runs one program; true when it met its expectation.
fn replay_one(
    runner: &mut Runner<CSide, RustSide>,
    entry: &CorpusEntry,
    verbose: bool,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let verdict = runner.run(&entry.program);
    if verbose {
        writeln!(out, "== {}", entry.path.display())?;
        for step in runner.log.iter().flatten() {
            let index = step
                .op_index
                .map_or("setup".to_string(), |index| format!("{index:5}"));
            let op = step.op.map_or(String::new(), |op| op.to_string());
            writeln!(
                out,
                "{index}  {op}\n         C {}  |  Rust {}",
                step.c_outcome, step.rust_outcome
            )?;
        }
    }
    let met = entry.expectation.is_met_by(&verdict);
    match &verdict {
        Verdict::Divergence(divergence) => {
            writeln!(out, "{}: FINDING\n{divergence}", entry.path.display())?
        }
        Verdict::Known {
            divergence,
            op_index,
        } if !met || verbose => writeln!(
            out,
            "{}: known divergence {} at operation {}",
            entry.path.display(),
            divergence.id,
            op_index.map_or("setup".to_string(), |index| index.to_string())
        )?,
        _ if !met => writeln!(
            out,
            "{}: expected {}, got {verdict:?}",
            entry.path.display(),
            entry.expectation
        )?,
        _ => {}
    }
    Ok(met)
}

/// `vm-diff show FILE`: the program as readable text.
pub fn show(path: &Path, out: &mut dyn Write) -> io::Result<i32> {
    match corpus::load_file(path) {
        Ok(entry) => {
            write!(out, "{}", entry.program)?;
            Ok(EXIT_OK)
        }
        Err(message) => {
            writeln!(out, "vm-diff: {message}")?;
            Ok(EXIT_BAD_INPUT)
        }
    }
}

/// `vm-diff encode FILE OUT`: writes the program's bytes (for a fuzzer's
/// corpus directory).
pub fn encode(path: &Path, output: &Path, out: &mut dyn Write) -> io::Result<i32> {
    match corpus::load_file(path) {
        Ok(entry) => {
            std::fs::write(output, entry.program.encode())?;
            Ok(EXIT_OK)
        }
        Err(message) => {
            writeln!(out, "vm-diff: {message}")?;
            Ok(EXIT_BAD_INPUT)
        }
    }
}
