//! The fuzz entry's coverage follows from the input alone: the same input,
//! run through `harness::fuzz::run_input` after different inputs, takes the
//! same path (the same step log: operations, outcomes, maps and the
//! model's expectations), and every input leaves the runner in the same
//! state for the next one (the same traces on both machines), whatever it
//! did. AFL++ measures exactly this ("stability") when it re-runs an input
//! in its persistent process.
//!
//! Its own test binary: the fuzz entry's runner holds the process's C
//! instance for the life of the thread.

use harness::fuzz::{run_input, with_runner};
use harness::program::Program;
use harness::side::Side;
use std::path::Path;

/// A saved input, or a readable program encoded, by path from the crate.
fn input(relative: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    let text = std::fs::read_to_string(&path).expect("readable program");
    Program::parse_text(&text).expect("valid program").encode()
}

/// The step log of the input's run and the traces both machines hold once
/// it has returned (what the next input starts from).
fn run_logged(bytes: &[u8]) -> (String, String, String) {
    with_runner(|runner| runner.log = Some(Vec::new()));
    run_input(bytes);
    with_runner(|runner| {
        // Nothing of this input may steer the next one's checks (a kentry
        // table decoded only where it changed since the last program's did).
        assert!(
            runner.carries_nothing(),
            "the runner kept state across inputs"
        );
        let log = runner.log.take().expect("log enabled above");
        (
            format!("{log:?}"),
            format!("{:?}", runner.c.machine().trace()),
            format!("{:?}", runner.rust.machine().trace()),
        )
    })
}

#[test]
fn the_same_input_takes_the_same_path_whatever_ran_before() {
    let inputs: Vec<Vec<u8>> = [
        "corpus/seeds/14-many-maps-and-reap.ops",
        "corpus/seeds/11-tiny-exhaustion.ops",
        "corpus/seeds/12-fault-plan.ops",
        "corpus/seeds/16-scarce-kentry-pages.ops",
    ]
    .iter()
    .map(|path| input(path))
    .collect();
    let probe = input("corpus/seeds/07-remove-clips-in-three.ops");

    let mut paths = Vec::new();
    let mut leftovers = Vec::new();
    for before in &inputs {
        let (_, c_after, rust_after) = run_logged(before);
        leftovers.push((c_after, rust_after));
        paths.push(run_logged(&probe));
        // Twice in a row, as AFL++ calibrates.
        paths.push(run_logged(&probe));
    }
    let (log, _, _) = &paths[0];
    assert!(log.len() > 100, "the probe's step log is empty: {log}");
    for (index, path) in paths.iter().enumerate() {
        assert_eq!(
            path, &paths[0],
            "run {index} of the probe took another path than the first"
        );
    }
    for (index, leftover) in leftovers.iter().enumerate() {
        assert_eq!(
            leftover, &leftovers[0],
            "input {index} left the machines in another state than input 0"
        );
    }
}
