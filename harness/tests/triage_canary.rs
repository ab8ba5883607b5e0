//! The canary (vm-rs's planted merge-size bug, cargo feature `canary`)
//! through the triage pipeline. With the canary: a noisy program that
//! shows it shrinks to at most three operations with the same signature,
//! and the exported regression fails (expects equivalence, gets the
//! finding). Without it: the same minimal program, and the noisy one, are
//! equivalent, so the exported regression passes. `cargo test --workspace`
//! runs the second half; `cargo test -p harness --features canary` the
//! first.

use harness::commands;
use harness::program::Program;
#[cfg(feature = "canary")]
use harness::runner::Verdict;

/// What `vm-diff shrink` makes of every canary crash libFuzzer found: two
/// one-page kernel-map enters; the second merges with the first, and the
/// canary forgets to add it to the map's size.
const MINIMAL: &str = "enter map=kernel size=pages(1)\nenter map=kernel size=pages(1)\n";

/// A program that shows the canary among unrelated operations and
/// settings.
const NOISY: &str = "\
machine tiny
fail cache 40
create-map
create-object
enter map=1 object=0 offset=pages(3) start=raw(0x10000) size=pages(8) prot=r inherit=copy fixed
enter map=kernel start=raw(0x200000905123) size=raw(0x3123) align=pages(4) prot=rw advice=random
create-map
enter map=2 size=pages(9)
enter map=kernel object=3 start=gap-start(3) size=pages(17)
remove map=1 start=map-start end=near(entry-end(0),+2)
reap
info map=1
";

#[cfg(feature = "canary")]
#[test]
fn the_minimal_program_shows_the_canary() {
    let program = Program::parse_text(MINIMAL).unwrap();
    let Verdict::Divergence(divergence) = commands::new_runner().run(&program) else {
        panic!("the canary build does not diverge on the minimal program");
    };
    assert_eq!(divergence.mismatch.signature().to_string(), "map:size");
    assert_eq!(divergence.op_index, Some(1));
}

#[cfg(feature = "canary")]
#[test]
fn a_noisy_finding_shrinks_to_at_most_three_ops_and_exports_a_failing_regression() {
    use harness::commands::{ExportOptions, Keep};
    use harness::corpus::{self, Expectation};
    use harness::shrink::Budget;

    let noisy = Program::parse_text(NOISY).unwrap();
    let mut runner = commands::new_runner();
    let keep = Keep::of(&runner.run(&noisy)).expect("the noisy program is a finding");
    assert_eq!(keep, Keep::Signature("map:size".parse().unwrap()));
    let mut log = Vec::new();
    let result =
        commands::shrink_program(&mut runner, &noisy, &keep, Budget::unlimited(), &mut log)
            .unwrap();
    assert!(
        result.program.ops.len() <= 3,
        "shrunk to {} ops:\n{}",
        result.program.ops.len(),
        result.program
    );
    assert_eq!(result.program, Program::parse_text(MINIMAL).unwrap());
    assert!(keep.is_kept_by(&runner.run(&result.program)));
    drop(runner);

    let directory =
        std::env::temp_dir().join(format!("vm-diff-triage-canary-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    let input = directory.join("noisy.ops");
    std::fs::write(&input, NOISY).unwrap();
    let options = ExportOptions {
        name: "canary-merge-size".to_string(),
        force: false,
        shrink: true,
        budget: Budget::tests(20_000),
        corpus_dir: Some(directory.clone()),
    };
    let (mut out, mut log) = (Vec::new(), Vec::new());
    let code = commands::export(&input, &options, &mut out, &mut log).unwrap();
    assert_eq!(code, commands::EXIT_OK);
    let entry = corpus::load_file(&directory.join("regressions/canary-merge-size.ops")).unwrap();
    assert_eq!(entry.expectation, Expectation::Equivalent);
    assert_eq!(entry.program, Program::parse_text(MINIMAL).unwrap());
    let verdict = commands::new_runner().run(&entry.program);
    assert!(
        !entry.expectation.is_met_by(&verdict),
        "the regression passes with the canary"
    );
    let _ = std::fs::remove_dir_all(&directory);
}

#[cfg(not(feature = "canary"))]
#[test]
fn without_the_canary_the_same_programs_are_equivalent() {
    use harness::corpus::Expectation;
    use harness::runner::Verdict;

    let mut runner = commands::new_runner();
    for text in [MINIMAL, NOISY] {
        let program = Program::parse_text(text).unwrap();
        let verdict = runner.run(&program);
        assert!(
            matches!(verdict, Verdict::Equivalent),
            "{text}\n{}",
            commands::verdict_summary(&verdict)
        );
        assert!(Expectation::Equivalent.is_met_by(&verdict));
    }
}
