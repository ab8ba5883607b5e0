//! The fuzz entry shared by libFuzzer (`fuzz/fuzz_targets/differential.rs`)
//! and AFL++ (`fuzz/afl`): decode the bytes, run the program on both sides,
//! panic with the report on a finding.
//!
//! One [`Runner`] lives for the whole fuzzing process (it owns the
//! process's C instance), and a status line goes to stderr every
//! [`STATUS_INTERVAL_PROGRAMS`] programs. Panicking is how a finding is
//! reported: the fuzzer keeps the input.

use std::cell::RefCell;

use crate::program::{OpKind, Program};
use crate::runner::{RunStats, Runner, Verdict};
use crate::side::{c::CSide, rust::RustSide};
use sim::MachineConfig;

/// How often the status line is printed, in programs.
pub const STATUS_INTERVAL_PROGRAMS: u64 = 100_000;

thread_local! {
    /// The fuzzing thread's runner, created on first use. (It holds the
    /// process's C instance, whose lock guard cannot move between threads.)
    static RUNNER: RefCell<Option<Runner<CSide, RustSide>>> = const { RefCell::new(None) };
}

/// Runs one fuzz input; panics with the divergence report on a finding.
pub fn run_input(bytes: &[u8]) {
    let program = Program::decode(bytes);
    let verdict = RUNNER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let runner = slot.get_or_insert_with(|| {
            Runner::new(CSide::new(), RustSide::new(&MachineConfig::normal()))
        });
        let known_before = runner.stats.known_first_seen.len();
        let verdict = runner.run(&program);
        // A registered bug of the C met for the first time in this process:
        // say so at once, so that a run shows how soon it meets each one.
        if let Some(seen) = runner.stats.known_first_seen.get(known_before) {
            eprintln!(
                "vm-diff: first sighting of known bug {} at program {}",
                seen.id, seen.first_program
            );
        }
        if runner.stats.programs % STATUS_INTERVAL_PROGRAMS == 0 {
            eprintln!("{}", status_line(&runner.stats));
        }
        verdict
    });
    // The borrow has ended, so a fuzzer that continues after a crash
    // (-fork, AFL's persistent mode) still finds the runner usable.
    if let Verdict::Divergence(divergence) = verdict {
        panic!("\n{divergence}");
    }
}

/// One line of counters: programs, the operation mix, and how operations
/// ended.
pub fn status_line(stats: &RunStats) -> String {
    let ops = stats.ops.max(1) as f64;
    let percent = |count: u64| 100.0 * count as f64 / ops;
    let mix: Vec<String> = OpKind::ALL
        .iter()
        .map(|kind| {
            format!(
                "{} {:.0}%",
                kind.name(),
                percent(stats.ops_by_kind[*kind as usize])
            )
        })
        .collect();
    let sightings: Vec<String> = stats
        .known_first_seen
        .iter()
        .map(|seen| {
            format!(
                "{} x{} (first at program {})",
                seen.id, seen.programs, seen.first_program
            )
        })
        .collect();
    let sightings = if sightings.is_empty() {
        String::new()
    } else {
        format!(" [{}]", sightings.join(", "))
    };
    format!(
        "vm-diff: {} programs, {} ops [{}]; ok {:.1}% errors {:.1}% panics {:.1}%; known divergences {}{sightings}; findings {}",
        stats.programs,
        stats.ops,
        mix.join(", "),
        percent(stats.successes),
        percent(stats.errors),
        percent(stats.panics),
        stats.known_divergences,
        stats.divergences,
    )
}
