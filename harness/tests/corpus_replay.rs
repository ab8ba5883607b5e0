//! Replays every saved program in `corpus/` (seeds, regressions and the
//! fuzzer's binary inputs) on both sides and checks each against its
//! expectation: equivalent, or the known divergence it names. Also checks
//! determinism: each program replayed twice, and after an unrelated
//! program, gives the same verdict and the same traces.

use harness::corpus::{self, CorpusEntry};
use harness::program::{PortMode, Program};
use harness::runner::{Runner, Verdict};
use harness::side::Side;
use harness::side::{c::CSide, rust::RustSide};
use sim::MachineConfig;

fn load_corpus() -> Vec<CorpusEntry> {
    let root = corpus::default_root();
    let files = corpus::files_under(&root).expect("corpus/ is readable");
    files
        .iter()
        .map(|path| corpus::load_file(path).unwrap_or_else(|error| panic!("{error}")))
        .collect()
}

fn runner() -> Runner<CSide, RustSide> {
    Runner::new(CSide::new(), RustSide::new(&MachineConfig::normal()))
}

/// The verdict and everything both sides were seen to do, as text.
fn fingerprint(runner: &mut Runner<CSide, RustSide>, entry: &CorpusEntry) -> String {
    let verdict = runner.run(&entry.program);
    let verdict_text = match &verdict {
        Verdict::Equivalent => "equivalent".to_string(),
        Verdict::Known {
            divergence,
            op_index,
        } => format!("known {} at {op_index:?}", divergence.id),
        Verdict::Fixed {
            divergence,
            op_index,
        } => format!("fixed past {} at {op_index:?}", divergence.id),
        Verdict::Divergence(divergence) => divergence.to_string(),
    };
    format!(
        "{verdict_text}\n{:?}\n{}\n{:?}\n{}",
        runner.c.machine().trace(),
        runner.c.machine().console_text(),
        runner.rust.machine().trace(),
        runner.rust.machine().console_text()
    )
}

#[test]
fn every_corpus_program_meets_its_expectation() {
    let entries = load_corpus();
    assert!(
        entries.len() >= 10,
        "the corpus has only {} programs",
        entries.len()
    );
    let mut runner = runner();
    let mut failures = Vec::new();
    for entry in &entries {
        let verdict = runner.run(&entry.program);
        if !entry.expectation.is_met_by(&verdict) {
            let shown = match &verdict {
                Verdict::Divergence(divergence) => divergence.to_string(),
                other => format!("{other:?}"),
            };
            failures.push(format!(
                "{}: expected {}, got:\n{shown}",
                entry.path.display(),
                entry.expectation
            ));
        }
    }
    println!(
        "corpus replay: {} programs, {} operations ({} known divergences shown)",
        entries.len(),
        runner.stats.ops,
        runner.stats.known_divergences
    );
    assert!(
        failures.is_empty(),
        "{} corpus programs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_corpus_program_passes_with_the_fixed_port() {
    // The same programs in the other mode: wherever the C shows a registered
    // bug the fixed port must do what the specification says (the C is then
    // retired), and everywhere else it must match the C exactly. A finding
    // here is a fix that goes too far, or a bug of the C no entry knows.
    let mut runner = runner();
    let mut failures = Vec::new();
    for entry in load_corpus() {
        let program = Program {
            mode: PortMode::Fixed,
            ..entry.program
        };
        if let Verdict::Divergence(divergence) = runner.run(&program) {
            failures.push(format!(
                "{} in fixed mode:\n{divergence}",
                entry.path.display()
            ));
        }
    }
    println!(
        "corpus replay in fixed mode: {} programs went on past a bug of the C",
        runner.stats.continued_after_c_bug
    );
    assert!(
        runner.stats.continued_after_c_bug > 0,
        "no bug of the C was met"
    );
    assert!(
        failures.is_empty(),
        "{} corpus programs failed in fixed mode:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn replays_are_deterministic() {
    let entries = load_corpus();
    // The unrelated program runs once for every entry: the shortest one that
    // does something, so that the corpus's long `repeat` programs do not
    // make the test's time quadratic in them.
    let unrelated = entries
        .iter()
        .filter(|entry| entry.program.step_count() > 0)
        .min_by_key(|entry| entry.program.step_count())
        .expect("a corpus with a program that runs something")
        .clone();
    let mut runner = runner();
    for entry in &entries {
        let first = fingerprint(&mut runner, entry);
        let second = fingerprint(&mut runner, entry);
        fingerprint(&mut runner, &unrelated);
        let third = fingerprint(&mut runner, entry);
        assert_eq!(
            first,
            second,
            "{} replayed twice differs",
            entry.path.display()
        );
        assert_eq!(
            first,
            third,
            "{} after an unrelated program differs",
            entry.path.display()
        );
    }
}

#[test]
fn no_text_program_repeats_its_header() {
    let root = corpus::default_root();
    let mut repeated = Vec::new();
    for path in corpus::files_under(&root).expect("corpus/ is readable") {
        if path.extension().is_none_or(|extension| extension != "ops") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let headers = text
            .lines()
            .filter(|line| line.trim_start().starts_with("# vm-diff program v"))
            .count();
        let first_is_header = text.lines().next().is_some_and(|line| {
            line.trim_start_matches('\u{feff}')
                .starts_with("# vm-diff program v")
        });
        if headers != 1 || !first_is_header {
            repeated.push(format!("{}: {headers} header lines", path.display()));
        }
    }
    assert!(
        repeated.is_empty(),
        "each text program starts with one `# vm-diff program vN` line:\n{}",
        repeated.join("\n")
    );
}
