//! `vm-diff export FILE --name NAME`: a finding saved as a regression with
//! its expectation and a postmortem stub. Exit 1 when the input shows
//! nothing, 2 when it cannot be read or the file cannot be written.

use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::shrink::{shrink_program, shrink_summary, verdict_summary, Keep};
use super::{
    count, load_or_report, new_runner, write_output, EXIT_BAD_INPUT, EXIT_FINDING, EXIT_OK,
};
use crate::corpus::{self, Expectation};
use crate::program::{HeaderLine, Program};
use crate::runner::{Divergence, Verdict};
use crate::shrink::Budget;

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
