//! The commands of the `vm-diff` command line, as library functions so that
//! tests can call them: replay, show, encode, and the triage commands
//! shrink, export and render. Each returns the process exit code (0: as
//! expected, 1: a finding or an unmet expectation, or for the triage
//! commands an input that is not a finding, 2: an input that cannot be read
//! or an output that cannot be written) and writes its report to the given
//! writer, and its errors (each naming its file) and progress to a second
//! one (`vm-diff` gives them stdout and stderr).

use std::fmt::{self, Write as _};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::corpus::{self, CorpusEntry, Expectation};
use crate::mismatch::{Mismatch, Signature};
use crate::program::{HeaderLine, Program};
use crate::render::{self, Mark};
use crate::runner::{Divergence, Runner, Verdict};
use crate::shrink::{self, Budget, ShrinkResult};
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

/// `vm-diff replay --json PATH`: runs every program and prints one JSON
/// object per program on its own line, for scripts:
///
/// ```text
/// {"file":"a.ops","verdict":"divergence","signature":"map:size","op_index":1,"op_kind":"enter","op":"enter map=0 ...","known_id":null}
/// ```
///
/// `verdict` is `equivalent`, `known` (with `known_id`), `divergence` (with
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
    let mut runner = new_runner();
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
        let verdict = runner.run(&entry.program);
        failed += usize::from(!entry.expectation.is_met_by(&verdict));
        let (name, op_index, signature, known_id) = match &verdict {
            Verdict::Equivalent => ("equivalent", None, None, None),
            Verdict::Known {
                divergence,
                op_index,
            } => ("known", *op_index, None, Some(divergence.id)),
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
    Ok(if unreadable > 0 {
        EXIT_BAD_INPUT
    } else if failed > 0 {
        EXIT_FINDING
    } else {
        EXIT_OK
    })
}

/// One JSON object on one line, built field by field.
struct JsonObject(String);

impl JsonObject {
    fn new() -> JsonObject {
        JsonObject(String::new())
    }

    fn key(mut self, key: &str) -> JsonObject {
        self.0.push(if self.0.is_empty() { '{' } else { ',' });
        push_json_string(&mut self.0, key);
        self.0.push(':');
        self
    }

    fn string(self, key: &str, value: &str) -> JsonObject {
        let mut object = self.key(key);
        push_json_string(&mut object.0, value);
        object
    }

    fn optional(self, key: &str, value: Option<&str>) -> JsonObject {
        match value {
            Some(value) => self.string(key, value),
            None => {
                let mut object = self.key(key);
                object.0.push_str("null");
                object
            }
        }
    }

    fn number(self, key: &str, value: Option<usize>) -> JsonObject {
        let mut object = self.key(key);
        match value {
            Some(value) => object.0.push_str(&value.to_string()),
            None => object.0.push_str("null"),
        }
        object
    }
}

impl fmt::Display for JsonObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}}}", self.0)
    }
}

/// Appends `value` as a JSON string literal.
fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    for character in value.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            control if u32::from(control) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(control)));
            }
            other => out.push(other),
        }
    }
    out.push('"');
}

/// `vm-diff show FILE`: the program as readable text.
pub fn show(path: &Path, out: &mut dyn Write, log: &mut dyn Write) -> io::Result<i32> {
    let Some(entry) = load_or_report(path, log)? else {
        return Ok(EXIT_BAD_INPUT);
    };
    write!(out, "{}", entry.program)?;
    Ok(EXIT_OK)
}

/// `vm-diff encode FILE OUT`: writes the program's bytes (for a fuzzer's
/// corpus directory).
pub fn encode(path: &Path, output: &Path, log: &mut dyn Write) -> io::Result<i32> {
    let Some(entry) = load_or_report(path, log)? else {
        return Ok(EXIT_BAD_INPUT);
    };
    if !write_output(output, &entry.program.encode(), log)? {
        return Ok(EXIT_BAD_INPUT);
    }
    Ok(EXIT_OK)
}

// ------------------------------------------------------------------ triage

/// What a shrink must keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keep {
    /// A finding with this signature ([`crate::mismatch::Mismatch::signature`]).
    Signature(Signature),
    /// The known divergence with this id.
    Known(&'static str),
}

impl Keep {
    /// What `verdict` shows that a shrink can keep; `None` when equivalent.
    pub fn of(verdict: &Verdict) -> Option<Keep> {
        match verdict {
            Verdict::Equivalent => None,
            Verdict::Known { divergence, .. } => Some(Keep::Known(divergence.id)),
            Verdict::Divergence(divergence) => {
                Some(Keep::Signature(divergence.mismatch.signature()))
            }
        }
    }

    /// Whether `verdict` still shows it.
    pub fn is_kept_by(&self, verdict: &Verdict) -> bool {
        match (self, verdict) {
            (Keep::Signature(signature), Verdict::Divergence(divergence)) => {
                divergence.mismatch.signature() == *signature
            }
            (Keep::Known(id), Verdict::Known { divergence, .. }) => divergence.id == *id,
            _ => false,
        }
    }
}

impl std::fmt::Display for Keep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Keep::Signature(signature) => write!(f, "divergence {signature}"),
            Keep::Known(id) => write!(f, "known divergence {id}"),
        }
    }
}

/// Shrinks `program` on both sides while it keeps `keep`, writing each
/// accepted step to `log`.
pub fn shrink_program(
    runner: &mut Runner<CSide, RustSide>,
    program: &Program,
    keep: &Keep,
    budget: Budget,
    log: &mut dyn Write,
) -> Result<ShrinkResult, shrink::NotInteresting> {
    let predicate = |candidate: &Program| keep.is_kept_by(&runner.run(candidate));
    let mut on_step = |step: &str| {
        let _ = writeln!(log, "shrink: {step}");
    };
    shrink::shrink(program, predicate, budget, &mut on_step)
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

/// One line on how a search ended.
fn shrink_summary(before: &Program, result: &ShrinkResult, budget: Budget) -> String {
    let cut = if result.cut_short {
        format!("; cut short by the budget of {budget} (not a local minimum)")
    } else {
        "; a local minimum".to_string()
    };
    format!(
        "shrink: {} -> {}, {} in {}{cut}",
        before.ops.len(),
        count(result.program.ops.len(), "op"),
        count(result.steps.len(), "accepted step"),
        count(result.tests as usize, "run")
    )
}

/// `vm-diff shrink FILE`: minimises a finding while it keeps its
/// signature; the program goes to `output` (text for `.ops`, bytes
/// otherwise) or as text to `out`, the steps to `log`. Exit 0 when the
/// input is a finding, 1 when it is not, 2 when it cannot be read.
pub fn shrink(
    path: &Path,
    budget: Budget,
    output: Option<&Path>,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> io::Result<i32> {
    let Some(entry) = load_or_report(path, log)? else {
        return Ok(EXIT_BAD_INPUT);
    };
    let mut runner = new_runner();
    let verdict = runner.run(&entry.program);
    let keep = match Keep::of(&verdict) {
        Some(keep @ Keep::Signature(_)) => keep,
        _ => {
            writeln!(
                log,
                "vm-diff: {}: not a finding ({}); nothing to shrink",
                path.display(),
                verdict_summary(&verdict)
            )?;
            return Ok(EXIT_FINDING);
        }
    };
    writeln!(
        log,
        "shrink: {}, keeping {keep}, budget {budget}",
        count(entry.program.ops.len(), "op")
    )?;
    let Ok(result) = shrink_program(&mut runner, &entry.program, &keep, budget, log) else {
        writeln!(
            log,
            "vm-diff: {}: the finding does not reproduce",
            path.display()
        )?;
        return Ok(EXIT_FINDING);
    };
    writeln!(log, "{}", shrink_summary(&entry.program, &result, budget))?;
    match output {
        Some(output) => {
            if !write_program(output, &result.program, log)? {
                return Ok(EXIT_BAD_INPUT);
            }
            writeln!(log, "shrink: written to {}", output.display())?;
        }
        None => write!(out, "{}", result.program)?,
    }
    Ok(EXIT_OK)
}

/// "divergence at operation 3 (map:size)", "known divergence X at
/// operation 2", "equivalent".
pub fn verdict_summary(verdict: &Verdict) -> String {
    let place = |op_index: &Option<usize>| {
        op_index.map_or("setup".to_string(), |index| format!("operation {index}"))
    };
    match verdict {
        Verdict::Equivalent => "equivalent".to_string(),
        Verdict::Known {
            divergence,
            op_index,
        } => format!("known divergence {} at {}", divergence.id, place(op_index)),
        Verdict::Divergence(divergence) => format!(
            "divergence at {} ({})",
            place(&divergence.op_index),
            divergence.mismatch.signature()
        ),
    }
}

/// Options of `vm-diff export`.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The regression's name: the file is `regressions/<name>.ops`.
    pub name: String,
    /// Overwrite an existing file of that name.
    pub force: bool,
    /// Shrink first (otherwise take the program as it is).
    pub shrink: bool,
    /// When the shrink stops searching.
    pub budget: Budget,
    /// The corpus directory; found from the current directory when `None`.
    pub corpus_dir: Option<PathBuf>,
}

/// The `corpus/` directory: the first `corpus` holding `regressions/` or
/// `seeds/` in the current directory or one of its parents, else the
/// repository's.
pub fn find_corpus_dir() -> PathBuf {
    let current = std::env::current_dir().unwrap_or_default();
    current
        .ancestors()
        .map(|directory| directory.join("corpus"))
        .find(|corpus| corpus.join("regressions").is_dir() || corpus.join("seeds").is_dir())
        .unwrap_or_else(corpus::default_root)
}

/// Whether `name` can be a regression's file name: letters, digits, `-`,
/// `_` and `.`, not starting with a dot.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `vm-diff export FILE --name NAME`: shrinks a finding (or a known
/// divergence) and writes it to `regressions/NAME.ops` with its header and
/// a postmortem stub. Exit 0 when written, 1 when the input shows nothing,
/// 2 when it cannot be read or the file cannot be written.
pub fn export(
    path: &Path,
    options: &ExportOptions,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> io::Result<i32> {
    if !is_valid_name(&options.name) {
        writeln!(
            log,
            "vm-diff: `{}` is not a regression name (letters, digits, - _ .)",
            options.name
        )?;
        return Ok(EXIT_BAD_INPUT);
    }
    let directory = options
        .corpus_dir
        .clone()
        .unwrap_or_else(find_corpus_dir)
        .join("regressions");
    let target = directory.join(format!("{}.ops", options.name));
    if target.exists() && !options.force {
        writeln!(
            log,
            "vm-diff: {} exists; pass --force to overwrite it",
            target.display()
        )?;
        return Ok(EXIT_BAD_INPUT);
    }
    let Some(entry) = load_or_report(path, log)? else {
        return Ok(EXIT_BAD_INPUT);
    };
    let mut runner = new_runner();
    let Some(keep) = Keep::of(&runner.run(&entry.program)) else {
        writeln!(
            log,
            "vm-diff: {}: equivalent, not a finding; nothing to export",
            path.display()
        )?;
        return Ok(EXIT_FINDING);
    };
    let program = if options.shrink {
        match shrink_program(&mut runner, &entry.program, &keep, options.budget, log) {
            Ok(result) => {
                writeln!(
                    log,
                    "{}",
                    shrink_summary(&entry.program, &result, options.budget)
                )?;
                result.program
            }
            Err(_) => entry.program.clone(),
        }
    } else {
        entry.program.clone()
    };
    let verdict = runner.run(&program);
    if let Err(error) = std::fs::create_dir_all(&directory) {
        writeln!(
            log,
            "vm-diff: cannot create {}: {error}",
            directory.display()
        )?;
        return Ok(EXIT_BAD_INPUT);
    }
    if !write_output(&target, regression_text(&program, &verdict).as_bytes(), log)? {
        return Ok(EXIT_BAD_INPUT);
    }
    let expectation = corpus::load_file(&target)
        .map(|saved| saved.expectation)
        .map_err(io::Error::other)?;
    writeln!(
        out,
        "export: wrote {} ({}, now {}; expects {expectation})",
        target.display(),
        count(program.ops.len(), "op"),
        verdict_summary(&verdict)
    )?;
    if expectation == Expectation::Equivalent {
        writeln!(
            out,
            "export: it fails until the port is fixed; fill in its postmortem then"
        )?;
    }
    Ok(EXIT_OK)
}

/// The text of a regression file: the header, the expectation, a
/// postmortem stub, what was seen as comments, then the program.
pub fn regression_text(program: &Program, verdict: &Verdict) -> String {
    let mut text = format!("{}\n", HeaderLine::Format);
    match verdict {
        Verdict::Known { divergence, .. } => {
            text.push_str(&format!("# expect: known {}\n", divergence.id));
        }
        _ => text.push_str("# expect: equivalent\n"),
    }
    text.push_str("#\n# Postmortem: TODO — what was wrong, where, the fix.\n#\n");
    text.push_str(&format!("# Found: {}\n", verdict_summary(verdict)));
    let mut comments = CommentLines {
        text: &mut text,
        at_line_start: true,
    };
    // Writing into a String cannot fail.
    let _ = match verdict {
        Verdict::Divergence(divergence) => write_excerpt(&mut comments, divergence),
        Verdict::Known { divergence, .. } => writeln!(comments, "{}", divergence.c_behaviour),
        Verdict::Equivalent => Ok(()),
    };
    for line in program.header_lines() {
        if line != HeaderLine::Format {
            text.push_str(&format!("{line}\n"));
        }
    }
    for op in &program.ops {
        text.push_str(&format!("{op}\n"));
    }
    text
}

/// The report's first lines, from the typed divergence: the differing
/// operation as written and as run, both outcomes and what differs.
fn write_excerpt(out: &mut dyn fmt::Write, divergence: &Divergence) -> fmt::Result {
    if let Some(index) = divergence.op_index {
        if let Some(op) = divergence.program.ops.get(index) {
            writeln!(out, "op {index}: {op}")?;
        }
    }
    divergence.write_outcomes(out)?;
    writeln!(out, "{}", divergence.mismatch)
}

/// A writer that turns text into comment lines of a regression file,
/// each line starting with `#   `.
struct CommentLines<'a> {
    text: &'a mut String,
    at_line_start: bool,
}

impl fmt::Write for CommentLines<'_> {
    fn write_str(&mut self, piece: &str) -> fmt::Result {
        for part in piece.split_inclusive('\n') {
            if self.at_line_start {
                self.text.push_str("#   ");
            }
            self.text.push_str(part);
            self.at_line_start = part.ends_with('\n');
        }
        Ok(())
    }
}

/// `vm-diff render FILE --svg OUT`: a picture of both sides' maps step by
/// step, the first difference marked. Exit 0 when written, 2 when the
/// input cannot be read.
pub fn render(
    path: &Path,
    svg: &Path,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> io::Result<i32> {
    let Some(entry) = load_or_report(path, log)? else {
        return Ok(EXIT_BAD_INPUT);
    };
    let mut runner = new_runner();
    runner.log = Some(Vec::new());
    let verdict = runner.run(&entry.program);
    let steps = runner.log.take().unwrap_or_default();
    let mark = mark_of(&verdict);
    let title = format!(
        "{} ({}): {}",
        path.display(),
        count(entry.program.ops.len(), "op"),
        verdict_summary(&verdict)
    );
    let picture = render::render_svg(&title, &entry.program, &steps, mark.as_ref());
    if !write_output(svg, picture.as_bytes(), log)? {
        return Ok(EXIT_BAD_INPUT);
    }
    writeln!(
        out,
        "render: wrote {} ({}; {})",
        svg.display(),
        count(steps.len(), "step"),
        verdict_summary(&verdict)
    )?;
    Ok(EXIT_OK)
}

/// The row a picture marks for a verdict.
pub fn mark_of(verdict: &Verdict) -> Option<Mark> {
    match verdict {
        Verdict::Equivalent => None,
        Verdict::Known {
            divergence,
            op_index,
        } => Some(Mark {
            op_index: *op_index,
            text: format!("known divergence {}", divergence.id),
            known: true,
            map: None,
        }),
        Verdict::Divergence(divergence) => Some(Mark {
            op_index: divergence.op_index,
            text: divergence.mismatch.signature().to_string(),
            known: false,
            map: match divergence.mismatch {
                Mismatch::Map { map, .. } => Some(map.0 as usize),
                _ => None,
            },
        }),
    }
}
