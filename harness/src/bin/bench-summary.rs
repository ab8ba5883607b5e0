//! bench-summary: the summary of `scripts/bench`, each figure against its
//! target. On one core, for the saved corpus (issue 12): at least 2,500
//! executions a second with ASan through `scripts/fuzz`'s build, 12,000
//! without, 2,000 through the plain command, and the harness's overhead
//! over the two sides at most 1.5. For typical programs of about 20
//! operations (issue 4): 2,000 with ASan and 10,000 without. Peak memory
//! under 512 MiB, decoding under 2 µs an operation, the specification
//! model costing at most 15 %.
//!
//! Usage: `bench-summary WORK_DIR [--check]`. It reads what scripts/bench
//! left in WORK_DIR: libFuzzer's logs (`NAME.log`, their `stat::` lines from
//! `-print_final_stats=1`), bench-overhead's output (`overhead.log`, and
//! `overhead-corpus.log` when corpus/fuzz exists), `/usr/bin/time -v`'s
//! (`overhead.time`), the saved corpus's replays (`replay-*-roundR-*.cpu`:
//! user CPU seconds; `replay-inputs`, `replay-runs`, `replay-rounds`),
//! callgrind's counts of the same replays (`callgrind-*.log`, when
//! valgrind is installed) and the scaling runs
//! (`fork-JOBS.log`, libFuzzer's fork mode; `afl-INSTANCES/*/fuzzer_stats`,
//! AFL++). A figure it cannot find prints as `?` and misses its
//! target. Exit status: 0; 1 with `--check` when a figure misses its target;
//! 2 for bad arguments.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// How a figure must compare with its limit.
#[derive(Clone, Copy)]
enum Target {
    /// At least the limit.
    AtLeast(f64),
    /// Below the limit.
    Below(f64),
    /// At most the limit.
    AtMost(f64),
    /// No target: shown for information.
    None,
}

/// One summary row.
struct Row {
    label: &'static str,
    value: Option<f64>,
    unit: &'static str,
    target: Target,
}

impl Row {
    fn new(label: &'static str, value: Option<f64>, unit: &'static str, target: Target) -> Row {
        Row {
            label,
            value,
            unit,
            target,
        }
    }

    /// Whether the figure misses its target (a missing figure does).
    fn misses(&self) -> bool {
        match (self.target, self.value) {
            (Target::None, _) => false,
            (_, None) => true,
            (Target::AtLeast(limit), Some(value)) => value < limit,
            (Target::Below(limit), Some(value)) => value >= limit,
            (Target::AtMost(limit), Some(value)) => value > limit,
        }
    }

    fn print(&self) {
        let value = self.value.map_or("?".to_string(), |value| {
            if value.fract() == 0.0 {
                format!("{value:.0}")
            } else {
                format!("{value:.3}")
            }
        });
        let target = match self.target {
            Target::AtLeast(limit) => format!("target >= {limit}"),
            Target::Below(limit) => format!("target < {limit}"),
            Target::AtMost(limit) => format!("target <= {limit}"),
            Target::None => {
                println!("  {:<34} {value:>10}", self.label);
                return;
            }
        };
        let verdict = if self.misses() {
            "MISSES TARGET"
        } else {
            "meets target"
        };
        println!(
            "  {:<34} {value:>10} {:<6} ({target}: {verdict})",
            self.label, self.unit
        );
    }
}

/// `numerator / denominator` when both figures exist and the denominator
/// is positive.
fn ratio(numerator: Option<f64>, denominator: Option<f64>) -> Option<f64> {
    match (numerator, denominator) {
        (Some(numerator), Some(denominator)) if denominator > 0.0 => Some(numerator / denominator),
        _ => None,
    }
}

/// The file's text, or empty when it cannot be read (its figures are then
/// missing).
fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

/// The last word of the first line that starts with `prefix`, as a number.
fn figure_after(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.trim_start().starts_with(prefix))
        .and_then(|line| line.split_whitespace().last())
        .and_then(|word| word.parse().ok())
}

/// One of libFuzzer's final statistics (`stat::NAME: VALUE`) in a log.
fn libfuzzer_stat(work: &Path, run: &str, name: &str) -> Option<f64> {
    figure_after(
        &read(&work.join(format!("{run}.log"))),
        &format!("stat::{name}:"),
    )
}

/// `decoding: N ns per operation`.
fn decoding_ns(text: &str) -> Option<f64> {
    let line = text.lines().find(|line| line.starts_with("decoding:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The number after `marker` in a run's summary line (`vm-diff: run
/// ended: N programs, M ops [...]; ...; fixed port past a bug of the C K;
/// ...`), which the fuzz target prints when the run ends.
fn summary_figure(work: &Path, run: &str, marker: &str) -> Option<f64> {
    let text = read(&work.join(format!("{run}.log")));
    let line = text
        .lines()
        .rev()
        .find(|line| line.contains("run ended:"))?;
    let rest = &line[line.find(marker)? + marker.len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .find(|word| !word.is_empty())?
        .parse()
        .ok()
}

/// The share of a run's programs that went on past a bug of the C (fixed
/// mode), from its summary line.
fn continued_share(work: &Path, run: &str) -> Option<f64> {
    let programs = summary_figure(work, run, "run ended: ")?;
    let continued = summary_figure(work, run, "fixed port past a bug of the C ")?;
    (programs > 0.0).then(|| 100.0 * continued / programs)
}

/// Operations a second of a run: its executions a second times the
/// operations its programs ran on average (repeats counted), from its
/// summary line. The saved corpus's programs run about five times the
/// operations the throughput targets were set for, so this is the figure
/// that compares across corpora.
fn operation_rate(work: &Path, run: &str) -> Option<f64> {
    let programs = summary_figure(work, run, "run ended: ")?;
    let operations = summary_figure(work, run, " programs, ")?;
    let exec = libfuzzer_stat(work, run, "average_exec_per_sec")?;
    (programs > 0.0).then(|| (exec * operations / programs).round())
}

/// Programs a second when the tuned ASan build replays the saved corpus
/// with `oracles` (`all` or `differential`) in round `round`: the extra
/// replays' programs over the user CPU seconds they added to one replay
/// (start-up and loading left out).
fn replay_rate(work: &Path, oracles: &str, round: u32) -> Option<f64> {
    let number = |name: &str| -> Option<f64> { read(&work.join(name)).trim().parse().ok() };
    let (inputs, runs) = (number("replay-inputs")?, number("replay-runs")?);
    let once = number(&format!("replay-{oracles}-round{round}-1.cpu"))?;
    let many = number(&format!("replay-{oracles}-round{round}-{runs}.cpu"))?;
    let seconds = many - once;
    (seconds > 0.0).then(|| inputs * (runs - 1.0) / seconds)
}

/// The median of `values` (the mean of the middle two for an even count),
/// or `None` when there are none.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        length if length % 2 == 1 => Some(values[middle]),
        _ => Some((values[middle - 1] + values[middle]) / 2.0),
    }
}

/// The replay rounds' rates with and without the model, each round's
/// cost (its rate without over its rate with), and their medians.
struct ReplayRounds {
    /// The median rate with the model, in programs a second.
    with_model: Option<f64>,
    /// The median rate without the model, in programs a second.
    without_model: Option<f64>,
    /// The median of the rounds' costs.
    cost: Option<f64>,
    /// The lowest and the highest round's cost.
    cost_range: Option<(f64, f64)>,
}

fn replay_rounds(work: &Path) -> ReplayRounds {
    let rounds: u32 = read(&work.join("replay-rounds"))
        .trim()
        .parse()
        .unwrap_or(0);
    let pairs: Vec<(f64, f64)> = (1..=rounds)
        .filter_map(|round| {
            let with = replay_rate(work, "all", round)?;
            let without = replay_rate(work, "differential", round)?;
            (with > 0.0).then_some((with, without))
        })
        .collect();
    let costs: Vec<f64> = pairs.iter().map(|(with, without)| without / with).collect();
    let lowest = costs.iter().copied().reduce(f64::min);
    let highest = costs.iter().copied().reduce(f64::max);
    ReplayRounds {
        with_model: median(pairs.iter().map(|pair| pair.0).collect()).map(f64::round),
        without_model: median(pairs.iter().map(|pair| pair.1).collect()).map(f64::round),
        cost: median(costs),
        cost_range: lowest.zip(highest),
    }
}

/// The instructions callgrind counted for `vm-diff replay` with `oracles`
/// (its `I refs:` line), if it ran.
fn callgrind_instructions(work: &Path, oracles: &str) -> Option<f64> {
    let text = read(&work.join(format!("callgrind-{oracles}.log")));
    let line = text.lines().find(|line| line.contains("I   refs:"))?;
    line.split_whitespace()
        .last()?
        .replace(',', "")
        .parse()
        .ok()
}

/// The rows of the model's cost on a fixed workload: the saved corpus
/// replayed with and without the model, the median over the rounds, the
/// rounds' spread, and callgrind's instruction ratio.
#[rustfmt::skip] // A table: one row a line.
fn replay_rows(work: &Path) -> Vec<Row> {
    let rounds = replay_rounds(work);
    let instructions = |oracles| callgrind_instructions(work, oracles);
    let instruction_cost = ratio(instructions("all"), instructions("differential"));
    vec![
        Row::new("ASan replay, with the model", rounds.with_model, "prog/s", Target::None),
        Row::new("ASan replay, no model", rounds.without_model, "prog/s", Target::None),
        Row::new("model cost, ASan replay (median)", rounds.cost, "x", Target::AtMost(1.15)),
        Row::new("  lowest round", rounds.cost_range.map(|range| range.0), "x", Target::None),
        Row::new("  highest round", rounds.cost_range.map(|range| range.1), "x", Target::None),
        Row::new("model cost, instructions", instruction_cost, "x", Target::None),
    ]
}

/// The rows of each mode alone and of the model's cost in fuzzing.
#[rustfmt::skip] // A table: one row a line.
fn mode_rows(work: &Path) -> Vec<Row> {
    let exec = |run: &str| libfuzzer_stat(work, run, "average_exec_per_sec");
    // Without the model every input runs bug for bug: compare like with like.
    let cost = ratio(exec("asan-tuned-no-model"), exec("asan-tuned-bug-for-bug"));
    vec![
        Row::new("ASan tuned, no model", exec("asan-tuned-no-model"), "exec/s", Target::None),
        // For information: besides the model's own work, this ratio moves
        // with what libFuzzer does with the coverage the model adds.
        Row::new("model cost, ASan tuned fuzzing", cost, "x", Target::None),
        Row::new("ASan tuned, bug-for-bug mode", exec("asan-tuned-bug-for-bug"), "exec/s", Target::None),
        Row::new("ASan tuned, fixed mode", exec("asan-tuned-fixed"), "exec/s", Target::None),
        Row::new("fixed mode: past a bug of the C", continued_share(work, "asan-tuned-fixed"), "%", Target::None),
    ]
}

/// Executions a second of a fork-mode run: its parent's last status line
/// (`#N: cov: ... time: Ts job: ...`), N over T.
fn fork_rate(work: &Path, jobs: u32) -> Option<f64> {
    let text = read(&work.join(format!("fork-{jobs}.log")));
    let line = text
        .lines()
        .rev()
        .find(|line| line.starts_with('#') && line.contains(" time: "))?;
    let executions: f64 = line[1..].split(':').next()?.parse().ok()?;
    let seconds: f64 = line
        .split(" time: ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .trim_end_matches('s')
        .parse()
        .ok()?;
    (seconds > 0.0).then(|| (executions / seconds).round())
}

/// One field of each AFL++ instance's `fuzzer_stats` in a run with
/// `instances` instances.
fn afl_stats(work: &Path, instances: u32, field: &str) -> Vec<f64> {
    let Ok(directories) = fs::read_dir(work.join(format!("afl-{instances}"))) else {
        return Vec::new();
    };
    let mut values: Vec<(PathBuf, f64)> = directories
        .flatten()
        .filter_map(|directory| {
            let stats = read(&directory.path().join("fuzzer_stats"));
            let line = stats
                .lines()
                .find(|line| line.split(':').next().map(str::trim) == Some(field))?;
            let value = line.split(':').nth(1)?.trim().trim_end_matches('%');
            Some((directory.path(), value.parse().ok()?))
        })
        .collect();
    values.sort_by(|a, b| a.0.cmp(&b.0));
    values.into_iter().map(|(_, value)| value).collect()
}

/// Executions a second of all the instances of an AFL++ run together.
fn afl_rate(work: &Path, instances: u32) -> Option<f64> {
    let rates = afl_stats(work, instances, "execs_per_sec");
    (rates.len() == instances as usize).then(|| rates.iter().sum::<f64>().round())
}

/// The rows of the scaling runs: each engine with 1 and 2 jobs, and the
/// ratio (2 over 1: 2.0 would be perfect scaling).
fn scaling_rows(work: &Path) -> Vec<Row> {
    let (fork_1, fork_2) = (fork_rate(work, 1), fork_rate(work, 2));
    let (afl_1, afl_2) = (afl_rate(work, 1), afl_rate(work, 2));
    let row = |label, value, unit| Row::new(label, value, unit, Target::None);
    vec![
        row("libFuzzer fork mode, 1 job", fork_1, "exec/s"),
        row("libFuzzer fork mode, 2 jobs", fork_2, "exec/s"),
        row("scaling, libFuzzer 2 jobs / 1", ratio(fork_2, fork_1), "x"),
        row("AFL++, 1 instance", afl_1, "exec/s"),
        row("AFL++, 2 instances", afl_2, "exec/s"),
        row("scaling, AFL++ 2 instances / 1", ratio(afl_2, afl_1), "x"),
        row(
            "AFL++ stability, 1 instance",
            afl_stats(work, 1, "stability").first().copied(),
            "%",
        ),
    ]
}

/// The rows of libFuzzer's speed and memory, and decoding's cost.
#[rustfmt::skip] // A table: one row a line.
fn throughput_rows(work: &Path) -> Vec<Row> {
    let exec = |run| libfuzzer_stat(work, run, "average_exec_per_sec");
    let rss = |run| libfuzzer_stat(work, run, "peak_rss_mb");
    let overhead = read(&work.join("overhead.log"));
    let time = read(&work.join("overhead.time"));
    let overhead_rss_kib = figure_after(&time, "Maximum resident set size (kbytes):");
    let overhead_rss_mib = overhead_rss_kib.map(|kib| (kib / 1024.0).floor());
    vec![
        Row::new("ASan, default flags, saved corpus", exec("asan"), "exec/s", Target::AtLeast(2000.0)),
        Row::new("ASan tuned, saved corpus", exec("asan-tuned"), "exec/s", Target::AtLeast(2500.0)),
        Row::new("no ASan, saved corpus", exec("no-asan"), "exec/s", Target::AtLeast(12000.0)),
        Row::new("ASan tuned, typical programs", exec("asan-tuned-typical"), "exec/s", Target::AtLeast(2000.0)),
        Row::new("no ASan, typical programs", exec("no-asan-typical"), "exec/s", Target::AtLeast(10000.0)),
        Row::new("peak RSS, libFuzzer, ASan", rss("asan"), "MiB", Target::Below(512.0)),
        Row::new("peak RSS, libFuzzer, ASan tuned", rss("asan-tuned"), "MiB", Target::Below(512.0)),
        Row::new("peak RSS, libFuzzer, no ASan", rss("no-asan"), "MiB", Target::Below(512.0)),
        Row::new("peak RSS, bench-overhead", overhead_rss_mib, "MiB", Target::Below(512.0)),
        Row::new("decoding, per operation", decoding_ns(&overhead), "ns", Target::Below(2000.0)),
        Row::new("ops/s, ASan default flags, corpus", operation_rate(work, "asan"), "ops/s", Target::None),
        Row::new("ops/s, ASan tuned, saved corpus", operation_rate(work, "asan-tuned"), "ops/s", Target::None),
        Row::new("ops/s, no ASan, saved corpus", operation_rate(work, "no-asan"), "ops/s", Target::None),
    ]
}

/// The rows of the harness's cost over the two sides alone, on random
/// programs (for information) and on corpus/fuzz when it was measured
/// (against its target). The model's cost here is the harness alone,
/// without the sanitizer the fuzzer runs with: the harshest ratio, for
/// information (the target is on the ASan replay).
#[rustfmt::skip] // A table: one row a line.
fn overhead_rows(work: &Path) -> Vec<Row> {
    let pair = |text: &str, overhead_label, model_label, target| [
        Row::new(overhead_label, figure_after(text, "overhead ratio"), "", target),
        Row::new(model_label, figure_after(text, "model cost"), "x", Target::None),
    ];
    let random = read(&work.join("overhead.log"));
    let mut rows = Vec::from(pair(&random, "overhead (a)/(b), random programs", "model cost (a)/(a'), random", Target::None));
    let corpus = read(&work.join("overhead-corpus.log"));
    if !corpus.is_empty() {
        rows.extend(pair(&corpus, "overhead (a)/(b), corpus/fuzz", "model cost (a)/(a'), corpus/fuzz", Target::AtMost(1.5)));
    }
    rows
}

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let (work, check) = match arguments.as_slice() {
        [flag] if flag == "--help" || flag == "-h" => {
            println!(
                "usage: bench-summary WORK_DIR [--check]\n\
                 Prints scripts/bench's figures, read from what it left in WORK_DIR, each\n\
                 against its target (a figure not found prints as ?). With --check, exits 1\n\
                 when a figure misses its target; 2 for bad arguments."
            );
            return ExitCode::SUCCESS;
        }
        [work] => (PathBuf::from(work), false),
        [work, flag] if flag == "--check" => (PathBuf::from(work), true),
        _ => {
            eprintln!("usage: bench-summary WORK_DIR [--check]");
            return ExitCode::from(2);
        }
    };
    let mut rows = throughput_rows(&work);
    rows.extend(overhead_rows(&work));
    rows.extend(mode_rows(&work));
    rows.extend(replay_rows(&work));
    rows.extend(scaling_rows(&work));
    println!();
    println!("== vm-diff benchmark (one core; the 2-job and 2-instance rows use two)");
    for row in &rows {
        row.print();
    }
    println!("  (every ASan build: the fuzz target's own ASan defaults; tuned: --no-trace-compares, as scripts/fuzz;");
    println!("   saved corpus: corpus/fuzz, about 190 steps a program (repeats counted); typical: about 20 operations)");
    if check && rows.iter().any(Row::misses) {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_no_values() {
        let cases: [(&[f64], Option<f64>); 4] = [
            (&[], None),
            (&[3.0], Some(3.0)),
            (&[5.0, 1.0, 3.0], Some(3.0)),
            (&[4.0, 1.0, 3.0, 2.0], Some(2.5)),
        ];
        for (values, expected) in cases {
            assert_eq!(median(values.to_vec()), expected, "{values:?}");
        }
    }

    /// Writes `files` into a fresh directory under the system's temporary
    /// directory, named after the test, and returns it.
    fn work_with(test: &str, files: &[(&str, &str)]) -> PathBuf {
        let work =
            std::env::temp_dir().join(format!("bench-summary-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&work);
        fs::create_dir_all(&work).unwrap();
        for (name, text) in files {
            fs::write(work.join(name), text).unwrap();
        }
        work
    }

    #[test]
    fn replay_rounds_take_the_median_round_and_leave_start_up_out() {
        // Two inputs replayed 1 and 11 times: 20 extra programs a round.
        // Round costs: (20/1)/(20/2) = 2, (20/1)/(20/1.5) = 1.5, 1.0.
        let work = work_with(
            "rounds",
            &[
                ("replay-inputs", "2\n"),
                ("replay-runs", "11\n"),
                ("replay-rounds", "3\n"),
                ("replay-all-round1-1.cpu", "0.5\n"),
                ("replay-all-round1-11.cpu", "2.5\n"),
                ("replay-differential-round1-1.cpu", "0.5\n"),
                ("replay-differential-round1-11.cpu", "1.5\n"),
                ("replay-all-round2-1.cpu", "0.5\n"),
                ("replay-all-round2-11.cpu", "2.0\n"),
                ("replay-differential-round2-1.cpu", "0.5\n"),
                ("replay-differential-round2-11.cpu", "1.5\n"),
                ("replay-all-round3-1.cpu", "0.5\n"),
                ("replay-all-round3-11.cpu", "1.5\n"),
                ("replay-differential-round3-1.cpu", "0.5\n"),
                ("replay-differential-round3-11.cpu", "1.5\n"),
            ],
        );
        let rounds = replay_rounds(&work);
        assert_eq!(rounds.cost, Some(1.5));
        assert_eq!(rounds.cost_range, Some((1.0, 2.0)));
        assert_eq!(rounds.with_model, Some(13.0));
        assert_eq!(rounds.without_model, Some(20.0));
        fs::remove_dir_all(&work).unwrap();
    }

    #[test]
    fn callgrind_count_is_read_without_its_commas() {
        let log = "==1== Collected : 1767023159\n==1==\n==1== I   refs:      1,767,023,159\n";
        let work = work_with("callgrind", &[("callgrind-all.log", log)]);
        assert_eq!(callgrind_instructions(&work, "all"), Some(1_767_023_159.0));
        assert_eq!(callgrind_instructions(&work, "differential"), None);
        fs::remove_dir_all(&work).unwrap();
    }
}
