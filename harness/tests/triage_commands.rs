//! The triage commands on real programs (both sides run): export writes a
//! regression the corpus loader reads back with the right expectation,
//! refuses to overwrite and to export what is not a finding; shrink and
//! render report unreadable inputs and non-findings by exit code; render
//! marks the operation of a known divergence.
//!
//! They need the port as it is: with the `canary` feature the planted bug
//! shows first in these programs (see `triage_canary.rs` for that build).
#![cfg(not(feature = "canary"))]
mod common;

use std::fs;
use std::path::{Path, PathBuf};

use harness::commands::{self, ExportOptions, EXIT_BAD_INPUT, EXIT_FINDING, EXIT_OK};
use harness::corpus::{self, Expectation};
use harness::mismatch::Mismatch;
use harness::observe::Outcome;
use harness::program::{Program, ResolvedOp};
use harness::runner::{Divergence, Verdict};
use harness::shrink::Budget;

/// The shrinks' budget: in runs, never in time, so that a loaded machine
/// gives the same results (these shrinks end well before it).
const BUDGET: Budget = Budget {
    time: None,
    max_tests: Some(20_000),
};

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    common::scratch_dir("triage", name)
}

fn repository_file(relative: &str) -> PathBuf {
    corpus::default_root().join(relative)
}

fn options(name: &str, corpus_dir: &Path) -> ExportOptions {
    ExportOptions {
        name: name.to_string(),
        force: false,
        shrink: true,
        budget: BUDGET,
        corpus_dir: Some(corpus_dir.to_path_buf()),
    }
}

/// Runs an export, returning its exit code and both outputs.
fn run_export(input: &Path, options: &ExportOptions) -> (i32, String, String) {
    let (mut out, mut log) = (Vec::new(), Vec::new());
    let code = commands::export(input, options, &mut out, &mut log).unwrap();
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(log).unwrap(),
    )
}

/// An export of a repository file (`relative`) under `name` into the
/// fresh scratch corpus of test `test`, with what it returned.
struct ScratchExport {
    corpus_dir: PathBuf,
    input: PathBuf,
    code: i32,
    out: String,
    log: String,
}

fn export_to_scratch(test: &str, relative: &str, name: &str) -> ScratchExport {
    let corpus_dir = scratch(test);
    let input = repository_file(relative);
    let (code, out, log) = run_export(&input, &options(name, &corpus_dir));
    ScratchExport {
        corpus_dir,
        input,
        code,
        out,
        log,
    }
}

#[test]
fn a_known_divergence_exports_with_its_expectation() {
    let export = export_to_scratch(
        "export-known",
        "regressions/clip-end-relinks-first-entry-at-tail.ops",
        "clip-again",
    );
    assert_eq!(export.code, EXIT_OK, "{}{}", export.out, export.log);
    let written = export.corpus_dir.join("regressions/clip-again.ops");
    let text = fs::read_to_string(&written).unwrap();
    assert!(text.starts_with(
        "# vm-diff program v1\n# expect: known clip-end-relinks-first-entry-at-tail\n"
    ));
    assert!(text.contains("# Postmortem: TODO"));
    let entry = corpus::load_file(&written).unwrap();
    assert_eq!(
        entry.expectation,
        Expectation::Known("clip-end-relinks-first-entry-at-tail".to_string())
    );
    let original = corpus::load_file(&export.input).unwrap();
    assert!(entry.program.ops.len() <= original.program.ops.len());
    let verdict = commands::new_runner().run(&entry.program);
    assert!(entry.expectation.is_met_by(&verdict), "{verdict:?}");
    let _ = fs::remove_dir_all(&export.corpus_dir);
}

#[test]
fn export_refuses_to_overwrite_without_force() {
    let corpus_dir = scratch("export-force");
    let input = repository_file("regressions/remove-unaligned-end.ops");
    let mut export = options("twice", &corpus_dir);
    export.shrink = false;
    assert_eq!(run_export(&input, &export).0, EXIT_OK);
    let (code, _, log) = run_export(&input, &export);
    assert_eq!(code, EXIT_BAD_INPUT);
    assert!(log.contains("--force"), "{log}");
    export.force = true;
    assert_eq!(run_export(&input, &export).0, EXIT_OK);
    // Without shrinking the program is saved as it was.
    let saved = corpus::load_file(&corpus_dir.join("regressions/twice.ops")).unwrap();
    assert_eq!(saved.program, corpus::load_file(&input).unwrap().program);
    let _ = fs::remove_dir_all(&corpus_dir);
}

#[test]
fn what_is_not_a_finding_is_not_exported_or_shrunk() {
    let export = export_to_scratch("export-nothing", "seeds/05-merge-both-sides.ops", "nothing");
    assert_eq!(export.code, EXIT_FINDING, "{}", export.log);
    assert!(!export.corpus_dir.join("regressions/nothing.ops").exists());
    let (mut out, mut log) = (Vec::new(), Vec::new());
    let code = commands::shrink(&export.input, BUDGET, None, &mut out, &mut log).unwrap();
    assert_eq!(code, EXIT_FINDING);
    assert!(out.is_empty());
    let known = repository_file("regressions/remove-unaligned-end.ops");
    let code = commands::shrink(&known, BUDGET, None, &mut out, &mut log).unwrap();
    assert_eq!(code, EXIT_FINDING, "a known divergence is not a finding");
    let _ = fs::remove_dir_all(&export.corpus_dir);
}

#[test]
fn unreadable_inputs_and_bad_names_exit_2() {
    let corpus_dir = scratch("export-bad");
    let missing = corpus_dir.join("missing.ops");
    let (mut out, mut log) = (Vec::new(), Vec::new());
    assert_eq!(
        commands::shrink(&missing, BUDGET, None, &mut out, &mut log).unwrap(),
        EXIT_BAD_INPUT
    );
    let svg = corpus_dir.join("picture.svg");
    assert_eq!(
        commands::render(&missing, &svg, &mut out, &mut log).unwrap(),
        EXIT_BAD_INPUT
    );
    let garbled = corpus_dir.join("garbled.ops");
    fs::write(&garbled, "enter map=kernel size=elephants\n").unwrap();
    assert_eq!(
        run_export(&garbled, &options("garbled", &corpus_dir)).0,
        EXIT_BAD_INPUT
    );
    let input = repository_file("regressions/remove-unaligned-end.ops");
    for name in ["", "../escape", "a/b", ".hidden"] {
        assert_eq!(
            run_export(&input, &options(name, &corpus_dir)).0,
            EXIT_BAD_INPUT,
            "{name:?}"
        );
    }
    let _ = fs::remove_dir_all(&corpus_dir);
}

#[test]
fn a_finding_is_written_expecting_equivalence() {
    let program = Program::parse_text("create-map\nenter map=1 size=pages(2)\n").unwrap();
    let divergence = Divergence {
        program: program.clone(),
        op_index: Some(1),
        op: Some(ResolvedOp::CreateMap),
        c_outcome: Outcome::Ok(Some(0x1000)),
        rust_outcome: Outcome::Error(1),
        mismatch: Mismatch::Outcome {
            c: Outcome::Ok(Some(0x1000)),
            rust: Outcome::Error(1),
        },
        c_maps: Vec::new(),
        rust_maps: Vec::new(),
        retired_at: None,
    };
    let text = commands::regression_text(&program, &Verdict::Divergence(Box::new(divergence)));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "# vm-diff program v1");
    assert_eq!(lines[1], "# expect: equivalent");
    let expected = [
        "# Postmortem: TODO",
        "# Found: divergence at operation 1 (outcome)",
        "#   op 1: enter map=1",
        "#   C    -> ok start=0x1000",
        "#   Rust -> error 1 (ERROR_NOMEM)",
        "#   the outcomes differ",
    ];
    common::assert_lines_start_with(&lines, &expected);
    let directory = scratch("regression-text");
    let path = directory.join("finding.ops");
    fs::write(&path, &text).unwrap();
    let entry = corpus::load_file(&path).unwrap();
    assert_eq!(entry.expectation, Expectation::Equivalent);
    assert_eq!(entry.program, program);
    let _ = fs::remove_dir_all(&directory);
}

#[test]
fn render_marks_the_known_divergence() {
    let directory = scratch("render");
    let input = repository_file("regressions/clip-end-relinks-first-entry-at-tail.ops");
    let svg_path = directory.join("clip.svg");
    let mut out = Vec::new();
    assert_eq!(
        commands::render(&input, &svg_path, &mut out, &mut Vec::new()).unwrap(),
        EXIT_OK
    );
    let svg = fs::read_to_string(&svg_path).unwrap();
    let program = corpus::load_file(&input).unwrap().program;
    let Verdict::Known { op_index, .. } = commands::new_runner().run(&program) else {
        panic!("the regression no longer shows its known divergence");
    };
    let op_index = op_index.expect("shown at an operation");
    assert_eq!(svg.matches("<g class=\"step").count(), op_index + 2);
    assert!(svg.contains(&format!("class=\"step marked\" data-step=\"{op_index}\"")));
    assert!(svg.contains("known divergence clip-end-relinks-first-entry-at-tail"));
    let _ = fs::remove_dir_all(&directory);
}
