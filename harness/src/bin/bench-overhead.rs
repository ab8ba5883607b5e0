//! bench-overhead: how much the harness costs on top of the two sides.
//!
//! Decodes a fixed set of pseudo-random programs (fastrand with a fixed seed, so every
//! run measures the same programs) and times them twice:
//!
//! - (a) through the full [`Runner`]: operand resolution, both sides, and
//!   every oracle after every step;
//! - (a') through the runner without the specification model (the five
//!   differential oracles only), so that (a)/(a') is the model's cost;
//! - (b) the same steps on both sides alone: set-up, then each operation
//!   with the concrete arguments the runner resolved, and nothing observed
//!   or compared.
//!
//! The three are timed block by block in turn (250 programs of (a), the
//! same of (a'), the same of (b)), so that a change in the machine's load
//! during the run weighs on all three alike and the ratios hold on a
//! shared, noisy host.
//!
//! It prints programs and operations per second for each and their ratios,
//! and for pseudo-random programs, the time decoding takes per operation
//! (what the unit tests used to assert: no clock in tests).
//!
//! Usage: `bench-overhead [PROGRAMS] [SEED]` (default 20000 programs, seed
//! 1), or `bench-overhead --corpus DIR [PROGRAMS]` to measure the programs of
//! a fuzzer corpus instead (each file decoded as a fuzz input, the set
//! repeated up to PROGRAMS). `bench-overhead --typical-inputs DIR` writes
//! instead the 1,000 fixed-seed inputs of 64 to 256 bytes (about 20
//! operations) that scripts/bench gives libFuzzer as typical programs. Build it with `--release`; a debug build
//! measures the wrong thing. It reports bad arguments and unreadable files
//! on stderr with exit status 2.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use harness::program::{Program, ResolvedOp};
use harness::runner::{machine_config, Oracles, Runner, Verdict};
use harness::side::{c::CSide, rust::RustSide, Side};
use sim::{FaultPlan, MachineConfig};

/// Programs measured when no count is given.
const DEFAULT_PROGRAMS: usize = 20_000;
/// Shortest and longest input, in bytes: about 20 operations on average,
/// the size of a typical fuzzer input.
const INPUT_BYTES: (usize, usize) = (40, 160);
/// Programs run before timing, so that both sides' machines exist and the
/// reused buffers have grown.
const WARM_UP_PROGRAMS: usize = 200;

/// `count` pseudo-random inputs of `bytes.0` to `bytes.1` bytes, the same
/// for the same seed.
fn inputs_of_length(count: usize, seed: u64, bytes: (usize, usize)) -> Vec<Vec<u8>> {
    let mut random = fastrand::Rng::with_seed(seed);
    (0..count)
        .map(|_| {
            let length = random.usize(bytes.0..bytes.1);
            (0..length).map(|_| random.u8(..)).collect()
        })
        .collect()
}

/// `count` pseudo-random inputs of about 20 operations.
fn inputs(count: usize, seed: u64) -> Vec<Vec<u8>> {
    inputs_of_length(count, seed, INPUT_BYTES)
}

/// `count` programs decoded from pseudo-random bytes.
fn programs(count: usize, seed: u64) -> Vec<Program> {
    inputs(count, seed)
        .iter()
        .map(|bytes| Program::decode(bytes))
        .collect()
}

/// A program's steps as the runner ran them: its fault plan and the
/// resolved operations, up to where the runner stopped.
struct Steps {
    config: MachineConfig,
    plan: FaultPlan,
    ops: Vec<ResolvedOp>,
}

/// Runs each program once with the step log on, to learn what (b) replays.
fn record_steps(runner: &mut Runner<CSide, RustSide>, programs: &[Program]) -> Vec<Steps> {
    runner.log = Some(Vec::new());
    let steps = programs
        .iter()
        .map(|program| {
            runner.run(program);
            let log = runner.log.as_ref().map_or(&[][..], Vec::as_slice);
            Steps {
                config: machine_config(program.machine),
                plan: FaultPlan {
                    failing_phys_allocs: program.fault_plan.failing_phys_allocs.to_vec(),
                    failing_cache_allocs: program.fault_plan.failing_cache_allocs.to_vec(),
                },
                ops: log.iter().filter_map(|step| step.op).collect(),
            }
        })
        .collect();
    runner.log = None;
    steps
}

/// (a): the full runner; returns the time and the number of findings.
fn time_runner(runner: &mut Runner<CSide, RustSide>, programs: &[Program]) -> (Duration, usize) {
    let start = Instant::now();
    let findings = programs
        .iter()
        .filter(|program| matches!(runner.run(program), Verdict::Divergence(_)))
        .count();
    (start.elapsed(), findings)
}

/// Programs per block when (a), (a') and (b) alternate.
const BLOCK_PROGRAMS: usize = 250;

/// The three timings of one run: (a), (a') and (b).
#[derive(Default)]
struct Timings {
    with_model: Duration,
    without_model: Duration,
    sides: Duration,
    findings: usize,
}

/// (a), (a') and (b), block by block in turn, so that a change in the
/// machine's load during the run weighs on all three alike.
fn time_interleaved(
    runner: &mut Runner<CSide, RustSide>,
    programs: &[Program],
    steps: &[Steps],
) -> Timings {
    let mut timings = Timings::default();
    for (block, block_steps) in programs
        .chunks(BLOCK_PROGRAMS)
        .zip(steps.chunks(BLOCK_PROGRAMS))
    {
        runner.oracles = Oracles::ALL;
        let (time, found) = time_runner(runner, block);
        timings.with_model += time;
        timings.findings += found;
        runner.oracles = Oracles::DIFFERENTIAL;
        timings.without_model += time_runner(runner, block).0;
        timings.sides += time_sides(runner, block_steps);
    }
    runner.oracles = Oracles::ALL;
    timings
}

/// (b): both sides alone on the recorded steps.
fn time_sides(runner: &mut Runner<CSide, RustSide>, steps: &[Steps]) -> Duration {
    let start = Instant::now();
    for program in steps {
        black_box(runner.c.setup(&program.config, program.plan.clone()));
        black_box(runner.rust.setup(&program.config, program.plan.clone()));
        for op in &program.ops {
            black_box(runner.c.apply(op));
            black_box(runner.rust.apply(op));
        }
    }
    start.elapsed()
}

/// Where the measured programs come from.
enum Source {
    /// Pseudo-random bytes from this seed.
    Random { seed: u64 },
    /// The files of a fuzzer corpus.
    Corpus(std::path::PathBuf),
}

fn parse_arguments() -> Result<(Source, usize), String> {
    const USAGE: &str = "usage: bench-overhead [PROGRAMS] [SEED] | --corpus DIR [PROGRAMS]";
    let mut arguments: Vec<String> = std::env::args().skip(1).collect();
    let corpus = match arguments.first().map(String::as_str) {
        Some("--corpus") if arguments.len() >= 2 => {
            let directory = arguments.remove(1);
            arguments.remove(0);
            Some(std::path::PathBuf::from(directory))
        }
        Some("--corpus") => return Err(USAGE.to_string()),
        _ => None,
    };
    let most = if corpus.is_some() { 1 } else { 2 };
    if arguments.len() > most {
        return Err(USAGE.to_string());
    }
    let number = |index: usize, default: u64| -> Result<u64, String> {
        arguments.get(index).map_or(Ok(default), |text| {
            text.parse()
                .map_err(|_| format!("bench-overhead: not a number: {text}"))
        })
    };
    let count = number(0, DEFAULT_PROGRAMS as u64)? as usize;
    let source = match corpus {
        Some(directory) => Source::Corpus(directory),
        None => Source::Random {
            seed: number(1, 1)?,
        },
    };
    Ok((source, count.max(1)))
}

/// The programs of a corpus directory, in file-name order, repeated until
/// there are `count`.
fn corpus_programs(directory: &std::path::Path, count: usize) -> Result<Vec<Program>, String> {
    let files = harness::corpus::files_under(directory)?;
    let mut programs = Vec::with_capacity(files.len());
    for file in &files {
        let bytes = std::fs::read(file).map_err(|error| format!("{}: {error}", file.display()))?;
        programs.push(Program::decode(&bytes));
    }
    if programs.is_empty() {
        return Err(format!("{}: no programs", directory.display()));
    }
    Ok(programs.iter().cycle().take(count).cloned().collect())
}

fn per_second(count: usize, time: Duration) -> f64 {
    count as f64 / time.as_secs_f64().max(1e-9)
}

/// Typical inputs for libFuzzer: how many, their sizes, and the seed.
const TYPICAL_INPUTS: (usize, (usize, usize), u64) = (1000, (64, 257), 1);

/// Writes the typical inputs into `directory` as `typical-NNNN`.
fn write_typical_inputs(directory: &std::path::Path) -> Result<(), String> {
    let (count, bytes, seed) = TYPICAL_INPUTS;
    std::fs::create_dir_all(directory)
        .map_err(|error| format!("{}: {error}", directory.display()))?;
    for (index, input) in inputs_of_length(count, seed, bytes).iter().enumerate() {
        let path = directory.join(format!("typical-{index:04}"));
        std::fs::write(&path, input).map_err(|error| format!("{}: {error}", path.display()))?;
    }
    Ok(())
}

/// What `--help` prints.
const HELP: &str = "\
bench-overhead: how much the harness costs on top of the two sides.

usage: bench-overhead [PROGRAMS] [SEED]
       bench-overhead --corpus DIR [PROGRAMS]
       bench-overhead --typical-inputs DIR

Times PROGRAMS programs (default 20000; pseudo-random from SEED, default 1,
or the files of a fuzzer corpus DIR, repeated up to PROGRAMS) three ways,
in alternating blocks of 250 programs: (a) the runner with every oracle,
(a') the runner without the specification model, (b) both sides alone on
the same operations. Prints programs and operations per second for each,
the model's cost (a)/(a') and the overhead ratio (a)/(b).
--typical-inputs writes the 1,000 fixed-seed inputs of 64 to 256 bytes
that scripts/bench gives libFuzzer as typical programs, and exits.

Build it with --release: a debug build measures the wrong thing. Bad
arguments and unreadable files exit with status 2.
";

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    if arguments
        .iter()
        .any(|argument| argument == "--help" || argument == "-h")
    {
        print!("{HELP}");
        return ExitCode::SUCCESS;
    }
    if let [flag, directory] = arguments.as_slice() {
        if flag == "--typical-inputs" {
            return match write_typical_inputs(std::path::Path::new(directory)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("bench-overhead: {message}");
                    ExitCode::from(2)
                }
            };
        }
    }
    let (source, count) = match parse_arguments() {
        Ok(arguments) => arguments,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let (programs, origin) = match &source {
        Source::Random { seed } => (programs(count, *seed), format!("seed {seed}")),
        Source::Corpus(directory) => match corpus_programs(directory, count) {
            Ok(programs) => (programs, format!("from {}", directory.display())),
            Err(message) => {
                eprintln!("bench-overhead: {message}");
                return ExitCode::from(2);
            }
        },
    };
    let mut runner = Runner::new(CSide::new(), RustSide::new(&MachineConfig::normal()));
    let warm_up = &programs[..WARM_UP_PROGRAMS.min(programs.len())];
    time_runner(&mut runner, warm_up);
    let steps = record_steps(&mut runner, &programs);
    time_sides(&mut runner, &steps[..warm_up.len()]);

    runner.stats = Default::default();
    let Timings {
        with_model: runner_time,
        without_model: differential_time,
        sides: sides_time,
        findings,
    } = time_interleaved(&mut runner, &programs, &steps);
    let ops: usize = steps.iter().map(|program| program.ops.len()).sum();
    let decoded_ops: usize = programs.iter().map(|program| program.ops.len()).sum();

    println!(
        "bench-overhead: {count} programs ({origin}), {:.1} operations decoded and {:.1} run per program on average, {findings} findings",
        decoded_ops as f64 / count as f64,
        ops as f64 / count as f64,
    );
    println!(
        "(a) runner with oracles:   {:>9.0} programs/s {:>10.0} ops/s",
        per_second(count, runner_time),
        per_second(ops, runner_time)
    );
    println!(
        "(a') runner without model: {:>8.0} programs/s {:>10.0} ops/s",
        per_second(count, differential_time),
        per_second(ops, differential_time)
    );
    println!(
        "(b) both sides, no oracles: {:>8.0} programs/s {:>10.0} ops/s",
        per_second(count, sides_time),
        per_second(ops, sides_time)
    );
    println!(
        "model cost (a)/(a'): {:.3}",
        runner_time.as_secs_f64() / differential_time.as_secs_f64().max(1e-9)
    );
    println!(
        "overhead ratio (a)/(b): {:.2}",
        runner_time.as_secs_f64() / sides_time.as_secs_f64().max(1e-9)
    );
    if let Source::Random { seed } = source {
        let inputs = inputs(count, seed);
        let started = Instant::now();
        let decoded: usize = inputs
            .iter()
            .map(|bytes| black_box(Program::decode(black_box(bytes))).ops.len())
            .sum();
        let elapsed = started.elapsed();
        println!(
            "decoding: {:.1} ns per operation",
            elapsed.as_secs_f64() * 1e9 / decoded.max(1) as f64
        );
    }
    ExitCode::SUCCESS
}
