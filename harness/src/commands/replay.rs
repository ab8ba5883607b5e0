//! `vm-diff replay PATH`: runs programs and reports findings, as text or as
//! one JSON verdict per program. Unreadable files and unmet expectations
//! are reported on the log and in the exit code.

use std::io::{self, IsTerminal, Write};
use std::path::Path;

use super::json::JsonObject;
use super::shrink::verdict_summary;
use super::{count, inputs, new_runner, EXIT_BAD_INPUT, EXIT_FINDING, EXIT_OK};
use crate::corpus::{self, CorpusEntry};
use crate::program::Program;
use crate::runner::{Runner, Verdict};
use crate::side::{c::CSide, rust::RustSide};

/// `vm-diff replay PATH`: runs every program, prints each finding's report
/// (and with `verbose`, every operation with both outcomes).
pub fn replay(
    path: &Path,
    verbose: bool,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> io::Result<i32> {
    let files = match inputs(path, log)? {
        Ok(files) => files,
        Err(message) => {
            writeln!(log, "vm-diff: {message}")?;
            return Ok(EXIT_BAD_INPUT);
        }
    };
    if files.is_empty() {
        writeln!(log, "vm-diff: {}: no programs found", path.display())?;
        return Ok(EXIT_BAD_INPUT);
    }
    let mut runner = replay_runner();
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
                writeln!(log, "vm-diff: {message}")?;
            }
        }
    }
    if progress {
        eprintln!();
    }
    writeln!(
        out,
        "vm-diff: {}, {}: {} as expected, {failed} not, {unreadable} unreadable",
        count(files.len(), "program"),
        count(runner.stats.ops as usize, "operation"),
        files.len() - failed - unreadable
    )?;
    Ok(exit_code(unreadable, failed))
}

/// The runner, with the oracles the fuzz target would use
/// (`VM_DIFF_ORACLES`), so that a replay says what the fuzz target says.
fn replay_runner() -> Runner<CSide, RustSide> {
    let mut runner = new_runner();
    runner.oracles = crate::fuzz::oracles_from_environment();
    runner
}

/// `program` in the mode the fuzz target would run it in (`VM_DIFF_MODE`,
/// or its own).
fn as_the_fuzz_target_runs(program: &Program) -> Program {
    let mut program = program.clone();
    if let Some(mode) = crate::fuzz::forced_mode() {
        program.mode = mode;
    }
    program
}

/// Runs one program; true when it met its expectation.
fn replay_one(
    runner: &mut Runner<CSide, RustSide>,
    entry: &CorpusEntry,
    verbose: bool,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let verdict = runner.run(&as_the_fuzz_target_runs(&entry.program));
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
        Verdict::Known { .. } | Verdict::Fixed { .. } if !met || verbose => writeln!(
            out,
            "{}: {}",
            entry.path.display(),
            verdict_summary(&verdict)
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

/// `vm-diff replay --json PATH`: runs every program and prints one JSON
/// object per program on its own line, for scripts:
///
/// ```text
/// {"file":"a.ops","verdict":"divergence","signature":"map:size","op_index":1,"op_kind":"enter","op":"enter map=0 ...","known_id":null}
/// ```
///
/// `verdict` is `equivalent`, `known` (with `known_id`), `fixed` (with
/// `known_id`: the fixed port went on past that bug of the C), `divergence` (with
/// `signature`) or `unreadable` (with `error`); `op_index`, `op_kind` and
/// `op` name the operation where comparison stopped (`null` for set-up or
/// when equivalent). Exit codes as for [`replay`].
pub fn replay_json(path: &Path, out: &mut dyn Write, log: &mut dyn Write) -> io::Result<i32> {
    let files = match inputs(path, log)? {
        Ok(files) => files,
        Err(message) => {
            let line = JsonObject::new()
                .string("file", &path.display().to_string())
                .string("verdict", "unreadable")
                .string("error", &message);
            writeln!(out, "{line}")?;
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let mut runner = replay_runner();
    let (mut failed, mut unreadable) = (0, 0);
    for file in &files {
        let line = JsonObject::new().string("file", &file.display().to_string());
        let entry = match corpus::load_file(file) {
            Ok(entry) => entry,
            Err(message) => {
                unreadable += 1;
                let line = line
                    .string("verdict", "unreadable")
                    .string("error", &message);
                writeln!(out, "{line}")?;
                continue;
            }
        };
        let verdict = runner.run(&as_the_fuzz_target_runs(&entry.program));
        failed += usize::from(!entry.expectation.is_met_by(&verdict));
        let (name, op_index, signature, known_id) = match &verdict {
            Verdict::Equivalent => ("equivalent", None, None, None),
            Verdict::Known {
                divergence,
                op_index,
            } => ("known", *op_index, None, Some(divergence.id)),
            Verdict::Fixed {
                divergence,
                op_index,
            } => ("fixed", *op_index, None, Some(divergence.id)),
            Verdict::Divergence(divergence) => (
                "divergence",
                divergence.op_index,
                Some(divergence.mismatch.signature()),
                None,
            ),
        };
        let op = op_index.and_then(|index| entry.program.ops.get(index));
        let line = line
            .string("verdict", name)
            .optional("signature", signature.map(|s| s.to_string()).as_deref())
            .number("op_index", op_index)
            .optional("op_kind", op.map(|op| op.kind().name()))
            .optional("op", op.map(ToString::to_string).as_deref())
            .optional("known_id", known_id);
        writeln!(out, "{line}")?;
    }
    Ok(exit_code(unreadable, failed))
}

/// A replay's exit code: an unreadable program outweighs a failed one.
fn exit_code(unreadable: usize, failed: usize) -> i32 {
    if unreadable > 0 {
        EXIT_BAD_INPUT
    } else if failed > 0 {
        EXIT_FINDING
    } else {
        EXIT_OK
    }
}
