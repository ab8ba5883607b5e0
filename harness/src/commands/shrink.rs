//! `vm-diff shrink FILE`: the structural minimisation of a finding, and what
//! the other triage commands share with it (what a shrink keeps, one-line
//! verdicts). An input that is not a finding exits 1, an unreadable one 2.

use std::io::{self, Write};
use std::path::Path;

use super::{
    count, new_runner, with_program, write_program, EXIT_BAD_INPUT, EXIT_FINDING, EXIT_OK,
};
use crate::mismatch::Signature;
use crate::program::Program;
use crate::runner::{Runner, Verdict};
use crate::shrink::{self, Budget, ShrinkResult};
use crate::side::{c::CSide, rust::RustSide};

/// What a shrink must keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keep {
    /// A finding with this signature ([`crate::mismatch::Mismatch::signature`]).
    Signature(Signature),
    /// The known divergence with this id.
    Known(&'static str),
    /// Fixed mode past the known divergence with this id.
    Fixed(&'static str),
}

impl Keep {
    /// What `verdict` shows that a shrink can keep; `None` when equivalent.
    pub fn of(verdict: &Verdict) -> Option<Keep> {
        match verdict {
            Verdict::Equivalent => None,
            Verdict::Known { divergence, .. } => Some(Keep::Known(divergence.id)),
            Verdict::Fixed { divergence, .. } => Some(Keep::Fixed(divergence.id)),
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
            (Keep::Known(id), Verdict::Known { divergence, .. })
            | (Keep::Fixed(id), Verdict::Fixed { divergence, .. }) => divergence.id == *id,
            _ => false,
        }
    }
}

impl std::fmt::Display for Keep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Keep::Signature(signature) => write!(f, "divergence {signature}"),
            Keep::Known(id) => write!(f, "known divergence {id}"),
            Keep::Fixed(id) => write!(f, "the fixed port past known divergence {id}"),
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
/// One line on how a search ended.
pub(super) fn shrink_summary(before: &Program, result: &ShrinkResult, budget: Budget) -> String {
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
    with_program(path, log, |entry, log| {
        let mut runner = new_runner();
        let verdict = runner.run(&entry.program);
        let Some(keep) = signature_to_keep(path, &verdict, log)? else {
            return Ok(EXIT_FINDING);
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
        write_shrunk(&result.program, output, out, log)
    })
}

/// The finding's signature to keep while shrinking, or `None` (said on
/// `log`) when the verdict is no finding.
fn signature_to_keep(
    path: &Path,
    verdict: &Verdict,
    log: &mut dyn Write,
) -> io::Result<Option<Keep>> {
    if let Some(keep @ Keep::Signature(_)) = Keep::of(verdict) {
        return Ok(Some(keep));
    }
    writeln!(
        log,
        "vm-diff: {}: not a finding ({}); nothing to shrink",
        path.display(),
        verdict_summary(verdict)
    )?;
    Ok(None)
}

/// The shrunk program to `output` (text for `.ops`, bytes otherwise) or as
/// text to `out`.
fn write_shrunk(
    program: &Program,
    output: Option<&Path>,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> io::Result<i32> {
    match output {
        Some(output) => {
            if !write_program(output, program, log)? {
                return Ok(EXIT_BAD_INPUT);
            }
            writeln!(log, "shrink: written to {}", output.display())?;
        }
        None => write!(out, "{program}")?,
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
        Verdict::Fixed {
            divergence,
            op_index,
        } => format!(
            "fixed port past known divergence {} at {}, then no finding",
            divergence.id,
            place(op_index)
        ),
        Verdict::Divergence(divergence) => format!(
            "divergence at {} ({})",
            place(&divergence.op_index),
            divergence.mismatch.signature()
        ),
    }
}
