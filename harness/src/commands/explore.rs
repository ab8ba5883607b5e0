//! `vm-diff explore`: the command-line face of [`crate::explore`]. It
//! prints the per-depth table and the bound proven on stdout, progress on
//! stderr; a finding is printed as a report, like a fuzz finding, and its
//! program is written as text so that `vm-diff replay`, `render` and
//! `export` take it as they take a minimised crash. Exit codes as for the
//! other commands: 0 the bound is proven (or cut by a count, and says so),
//! 1 a finding, 2 the finding's program cannot be written.

use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

use super::{new_runner, EXIT_BAD_INPUT, EXIT_FINDING, EXIT_OK};
use crate::explore::{self, preset_name, Alphabet, Bounds, End, Progress, Scope};
use crate::program::MachinePreset;

/// The command line as the hints name it: the canary build lives apart
/// (scripts/minimize), so its hints name its own binary.
const VM_DIFF: &str = if cfg!(feature = "canary") {
    "target/canary/release/vm-diff"
} else {
    "target/release/vm-diff"
};

/// The bound CI proves (`scripts/explore`): about a minute on one core.
pub const EXPLORE_CI_DEPTH: usize = 4;

/// `vm-diff explore`: explores `scope` within `bounds` with the C and the
/// port; a finding's program goes to `finding_out`.
pub fn explore(
    scope: &Scope,
    bounds: Bounds,
    finding_out: &Path,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> io::Result<i32> {
    let mut runner = new_runner();
    let started = Instant::now();
    let mut last_line = 0;
    let mut report_progress = |progress: Progress| {
        // Only the rate depends on the clock; it is on stderr, never compared.
        if progress.transitions >= last_line + 50_000 || progress.expanded == 0 {
            last_line = progress.transitions;
            let rate = progress.transitions as f64 / started.elapsed().as_secs_f64().max(1e-3);
            let _ = writeln!(
                log,
                "explore: depth {}: {}/{} states expanded; {} states, {} transitions ({rate:.0}/s)",
                progress.depth,
                progress.expanded,
                progress.frontier,
                progress.states,
                progress.transitions
            );
        }
    };
    let exploration = explore::explore(&mut runner, scope, bounds, &mut report_progress);
    writeln!(
        out,
        "explore: {} preset, depth {}, at most {} states and {} transitions",
        preset_name(scope.machine),
        bounds.depth,
        bounds.max_states,
        bounds.max_transitions
    )?;
    writeln!(out, "{exploration}")?;
    let End::Finding(divergence) = &exploration.end else {
        return Ok(EXIT_OK);
    };
    writeln!(out, "\n{divergence}")?;
    if let Err(error) = std::fs::write(finding_out, divergence.program.to_string()) {
        writeln!(
            log,
            "vm-diff: cannot write {}: {error}",
            finding_out.display()
        )?;
        return Ok(EXIT_BAD_INPUT);
    }
    let file = finding_out.display();
    writeln!(
        out,
        "wrote {file}; next:\n  {VM_DIFF} replay -v {file}\n  {VM_DIFF} render {file} --svg {file}.svg\n  {VM_DIFF} export {file} --no-shrink --name NAME"
    )?;
    Ok(EXIT_FINDING)
}

/// The scope of `vm-diff explore`: the standard alphabet on `machine`,
/// with at most `user_maps` user maps and `objects` objects.
pub fn explore_scope(machine: MachinePreset, user_maps: u32, objects: u32) -> Scope {
    Scope {
        machine,
        alphabet: Alphabet {
            max_user_maps: user_maps,
            max_objects: objects,
            ..Alphabet::standard()
        },
    }
}
