//! What several of the harness's integration tests share: a fresh scratch
//! directory each.

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
