//! The fuzz entry shared by libFuzzer (`fuzz/fuzz_targets/differential.rs`)
//! and AFL++ (`fuzz/afl`): decode the bytes, run the program on both sides,
//! panic with the report on a finding.
//!
//! One [`Runner`] lives for the whole fuzzing process (it owns the
//! process's C instance). A status line goes to stderr early and then at a
//! steady rhythm, counted in programs, not time (see [`is_status_point`]:
//! after 1,000 programs, doubling up to 64,000, then every
//! [`STATUS_INTERVAL_PROGRAMS`]), and [`print_summary_at_exit`] adds one
//! when the process exits normally (libFuzzer's `-max_total_time`, `-runs`).
//! Panicking is how a finding is reported: the fuzzer keeps the input.
//!
//! Coverage must follow from the input alone (AFL++ re-runs inputs in one
//! persistent process and calls every edge that differs unstable), so the
//! runner is warmed up before the first input ([`prepare`]), every input
//! cleans up after itself ([`settle`]), and under AFL++ nothing is printed
//! or counted across inputs.

use std::cell::RefCell;
use std::sync::Mutex;

use crate::program::{MachinePreset, OpKind, PortMode, Program};
use crate::runner::{machine_config, Oracles, RunStats, Runner, Verdict};
use crate::side::{c::CSide, rust::RustSide, Side};
use sim::{FaultPlan, MachineConfig};

/// How often the status line is printed once the run is under way, in
/// programs.
pub const STATUS_INTERVAL_PROGRAMS: u64 = 100_000;

/// The first status line comes after this many programs.
pub const FIRST_STATUS_PROGRAMS: u64 = 1_000;

/// Whether the status line is printed after `programs` programs: 1,000,
/// 2,000, 4,000, ... while below [`STATUS_INTERVAL_PROGRAMS`], then every
/// [`STATUS_INTERVAL_PROGRAMS`].
pub fn is_status_point(programs: u64) -> bool {
    if programs < STATUS_INTERVAL_PROGRAMS {
        programs % FIRST_STATUS_PROGRAMS == 0
            && (programs / FIRST_STATUS_PROGRAMS).is_power_of_two()
    } else {
        programs % STATUS_INTERVAL_PROGRAMS == 0
    }
}

/// The environment variable that selects the oracles of a fuzzing run:
/// `all` (the default), `differential` (without the specification model,
/// to measure what the model costs) or `specification` (the model alone).
pub const ORACLES_VARIABLE: &str = "VM_DIFF_ORACLES";

/// The oracles [`ORACLES_VARIABLE`] selects; an unknown value is said on
/// stderr and means every oracle, so that a typo never weakens a run.
pub fn oracles_from_environment() -> Oracles {
    let value = std::env::var(ORACLES_VARIABLE).unwrap_or_default();
    match value.as_str() {
        "" | "all" => Oracles::ALL,
        "differential" => Oracles::DIFFERENTIAL,
        "specification" => Oracles::SPECIFICATION,
        other => {
            eprintln!(
                "vm-diff: {ORACLES_VARIABLE}={other:?} is not all, differential or specification; using all"
            );
            Oracles::ALL
        }
    }
}

/// The environment variable that runs every input in one mode (`bug-for-bug`
/// or `fixed`) whatever its mode byte says: for measuring each mode alone.
pub const MODE_VARIABLE: &str = "VM_DIFF_MODE";

/// The mode [`MODE_VARIABLE`] forces, read once; `None` (the input's own
/// mode) when unset or unknown (said on stderr). Without the specification
/// (`VM_DIFF_ORACLES=differential`) every input runs bug for bug: the fixed
/// mode recognises the C's bugs by what the C alone broke, which the
/// specification judges.
/// The mode [`MODE_VARIABLE`] forces (see [`FORCED_MODE`]), for the
/// commands that replay as the fuzz target runs.
pub fn forced_mode() -> Option<PortMode> {
    *FORCED_MODE
}

static FORCED_MODE: std::sync::LazyLock<Option<PortMode>> = std::sync::LazyLock::new(|| {
    let Ok(value) = std::env::var(MODE_VARIABLE) else {
        return (!oracles_from_environment().specification).then_some(PortMode::BugForBug);
    };
    let mode = PortMode::from_name(&value);
    if mode.is_none() {
        eprintln!(
            "vm-diff: {MODE_VARIABLE}={value:?} is not bug-for-bug or fixed; each input's own mode"
        );
    }
    mode
});

/// The counters as of the last program, for the summary at exit: thread
/// locals are gone by the time exit handlers run.
static LAST_STATS: Mutex<Option<RunStats>> = Mutex::new(None);

/// The fuzzing thread's runner and how it reports.
struct FuzzRunner {
    runner: Runner<CSide, RustSide>,
    /// Under AFL++ (`__AFL_SHM_ID` set): no status lines, sightings or
    /// summary, and the counters start from zero for every input. afl-fuzz
    /// discards the target's stderr, and output printed only now and then
    /// (every 100,000 programs, a first sighting) would make the edges of
    /// its code unstable whenever AFL++ happens to be re-running an input.
    quiet: bool,
}

thread_local! {
    /// The fuzzing thread's runner, created and warmed up on first use. (It
    /// holds the process's C instance, whose lock guard cannot move between
    /// threads.)
    static RUNNER: RefCell<Option<FuzzRunner>> = const { RefCell::new(None) };
}

/// The programs run once when the runner is created, before the first input
/// (see [`warm_up`]).
pub const WARM_UP_PROGRAMS: u64 = 64;

/// Runs fixed pseudo-random programs of up to [`crate::program::MAX_OPS`]
/// operations on every preset in turn, then forgets their counters. What is built
/// lazily (the C instance and its host memory, a machine per preset, the
/// buffers the runner, the sides and the oracles reuse) is then built
/// before the fuzzer's first input rather than during some input, where
/// it would show as coverage that does not follow from that input.
fn warm_up(runner: &mut Runner<CSide, RustSide>) {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for index in 0..WARM_UP_PROGRAMS {
        let bytes: Vec<u8> = (0..1024)
            .map(|_| {
                // xorshift64: fixed, so that every process warms up alike.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let mut program = Program::decode(&bytes);
        let presets = MachinePreset::ALL;
        program.machine = presets[index as usize % presets.len()];
        let _ = runner.run(&program);
        settle(runner, &program);
    }
    runner.stats = RunStats::default();
}

/// Brings both sides back to the state every input starts from: set up
/// afresh, without operations, on each machine `program` used (the sides
/// keep the other presets' machines aside until a program asks for one
/// again), ending on the normal machine; and the runner without buffers.
/// Called after each input, so that the work of undoing an input (resets
/// proportional to what it touched, the switch back from another preset's
/// machine, buffers grown for it) is done by that input and not by
/// whichever input comes next: with AFL++'s persistent mode, the coverage of an input then
/// no longer depends on the ones before it. The sides are set up directly,
/// not through an empty program, which would also run the oracles: this
/// costs two set-ups (under 10% of the time of the saved corpus's inputs).
fn settle(runner: &mut Runner<CSide, RustSide>, program: &Program) {
    // The machines bring their own buffers back to fixed capacities when
    // reset (sim's `reset_buffer`), and the runner its own here.
    runner.release_buffers();
    if program.machine != MachinePreset::Normal {
        let config = machine_config(program.machine);
        runner.c.setup(&config, FaultPlan::default());
        runner.rust.setup(&config, FaultPlan::default());
    }
    let normal = MachineConfig::normal();
    runner.c.setup(&normal, FaultPlan::default());
    runner.rust.setup(&normal, FaultPlan::default());
}

/// Runs `f` on this thread's fuzzing runner (created and warmed up on first
/// use): what [`run_input`] runs programs on. For tests and tools that look
/// at what an input did (`runner.log`, the sides' machines).
pub fn with_runner<T>(f: impl FnOnce(&mut Runner<CSide, RustSide>) -> T) -> T {
    RUNNER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let fuzz = slot.get_or_insert_with(|| {
            let mut runner = Runner::new(CSide::new(), RustSide::new(&MachineConfig::normal()));
            warm_up(&mut runner);
            runner.oracles = oracles_from_environment();
            FuzzRunner {
                runner,
                quiet: std::env::var_os("__AFL_SHM_ID").is_some(),
            }
        });
        f(&mut fuzz.runner)
    })
}

/// Creates and warms up this thread's runner now. Fuzz targets call it
/// before their first input (libFuzzer's `init`, before AFL++'s loop, whose
/// fork server then starts every child from the warmed-up process), so
/// that the warm-up is not counted as the coverage of the first input.
pub fn prepare() {
    with_runner(|_| ());
}

/// Runs one fuzz input; panics with the divergence report on a finding.
pub fn run_input(bytes: &[u8]) {
    let mut program = Program::decode(bytes);
    if let Some(mode) = *FORCED_MODE {
        program.mode = mode;
    }
    with_runner(|_| ());
    let verdict = RUNNER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let fuzz = slot.as_mut().expect("with_runner created the runner");
        let runner = &mut fuzz.runner;
        let known_before = runner.stats.known_first_seen.len();
        let verdict = runner.run(&program);
        settle(runner, &program);
        if fuzz.quiet {
            runner.stats = RunStats::default();
            return verdict;
        }
        // A registered bug of the C met for the first time in this process:
        // say so at once, so that a run shows how soon it meets each one.
        if let Some(seen) = runner.stats.known_first_seen.get(known_before) {
            eprintln!(
                "vm-diff: first sighting of known bug {} at program {}",
                seen.id, seen.first_program
            );
        }
        if is_status_point(runner.stats.programs) {
            eprintln!("{}", status_line(&runner.stats));
        }
        if let Ok(mut last) = LAST_STATS.lock() {
            *last = Some(runner.stats.clone());
        }
        verdict
    });
    // The borrow has ended, so a fuzzer that continues after a crash
    // (-fork, AFL's persistent mode) still finds the runner usable.
    if let Verdict::Divergence(divergence) = verdict {
        panic!("\n{divergence}");
    }
}

/// Prints `vm-diff: run ended: <the status line's counters>` on stderr when
/// a process that ran programs exits through `exit` (libFuzzer's `-max_total_time` and
/// `-runs` do; a finding aborts and prints its report instead, and an
/// interrupt skips exit handlers). Call it once, before fuzzing.
pub fn print_summary_at_exit() {
    extern "C" {
        fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
    }
    extern "C" fn print_summary() {
        // A process that ran no program (libFuzzer's fork-mode parent,
        // which only hands inputs to its jobs) has nothing to sum up.
        let stats = LAST_STATS.lock().ok().and_then(|last| last.clone());
        if let Some(stats) = stats.filter(|stats| stats.programs > 0) {
            eprintln!("{}", summary_line(&stats));
        }
    }
    // SAFETY: `atexit` only stores the function pointer; the function
    // neither unwinds nor touches thread locals.
    unsafe {
        atexit(print_summary);
    }
}

/// The summary of a run: the status line's counters after "run ended".
pub fn summary_line(stats: &RunStats) -> String {
    status_line(stats).replacen("vm-diff: ", "vm-diff: run ended: ", 1)
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
        "vm-diff: {}, {} [{}]; ok {:.1}% errors {:.1}% panics {:.1}%; known divergences {}{sightings}; fixed port past a bug of the C {}; findings {}",
        crate::commands::count(stats.programs as usize, "program"),
        crate::commands::count(stats.ops as usize, "op"),
        mix.join(", "),
        percent(stats.successes),
        percent(stats.errors),
        percent(stats.panics),
        stats.known_divergences,
        stats.continued_after_c_bug,
        stats.divergences,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_line_comes_early_then_steadily() {
        let points: Vec<u64> = (1..=400_000).filter(|&n| is_status_point(n)).collect();
        assert_eq!(
            points,
            [
                1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 100_000, 200_000, 300_000,
                400_000
            ]
        );
    }

    #[test]
    fn the_summary_and_status_lines_count_properly() {
        let mut stats = RunStats {
            programs: 1,
            ops: 1,
            ..RunStats::default()
        };
        stats.successes = 1;
        let line = summary_line(&stats);
        assert!(
            line.starts_with("vm-diff: run ended: 1 program, 1 op ["),
            "{line}"
        );
        stats.programs = 2;
        assert!(status_line(&stats).starts_with("vm-diff: 2 programs, 1 op ["));
    }
}
