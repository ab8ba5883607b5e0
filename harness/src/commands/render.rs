//! `vm-diff render FILE --svg OUT`: a picture of both sides' maps step by
//! step, the first difference marked. An unreadable input exits 2.

use std::io::{self, Write};
use std::path::Path;

use super::shrink::verdict_summary;
use super::{count, new_runner, with_program, write_output, EXIT_BAD_INPUT, EXIT_OK};
use crate::mismatch::Mismatch;
use crate::render::{self, Mark};
use crate::runner::Verdict;

/// `vm-diff render FILE --svg OUT`: a picture of both sides' maps step by
/// step, the first difference marked. Exit 0 when written, 2 when the
/// input cannot be read.
pub fn render(
    path: &Path,
    svg: &Path,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> io::Result<i32> {
    with_program(path, log, |entry, log| {
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
    })
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
        Verdict::Fixed {
            divergence,
            op_index,
        } => Some(Mark {
            op_index: *op_index,
            text: format!("C retired: known divergence {}", divergence.id),
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
