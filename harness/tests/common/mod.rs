//! What several of the harness's integration tests share: a fresh scratch
//! directory each, and a check that some lines start as expected.

// Each test file compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::fs;
use std::path::PathBuf;

/// A fresh, empty directory for one test of `suite`, named by the process
/// so that concurrent runs do not meet.
pub fn scratch_dir(suite: &str, name: &str) -> PathBuf {
    let process = std::process::id();
    let directory = std::env::temp_dir().join(format!("vm-diff-{suite}-{name}-{process}"));
    let _ = fs::remove_dir_all(&directory);
    fs::create_dir_all(&directory).unwrap();
    directory
}

/// Asserts that each of `prefixes` starts one of `lines`.
pub fn assert_lines_start_with<S: AsRef<str>>(lines: &[S], prefixes: &[&str]) {
    for prefix in prefixes {
        assert!(
            lines.iter().any(|line| line.as_ref().starts_with(prefix)),
            "no line starts with {prefix:?} in:\n{}",
            lines
                .iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
