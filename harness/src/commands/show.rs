//! `vm-diff show FILE`: a program as readable text. An unreadable file is
//! reported on the log with exit code 2.

use std::io::{self, Write};
use std::path::Path;

use super::{load_or_report, EXIT_BAD_INPUT, EXIT_OK};

/// `vm-diff show FILE`: the program as readable text.
pub fn show(path: &Path, out: &mut dyn Write, log: &mut dyn Write) -> io::Result<i32> {
    let Some(entry) = load_or_report(path, log)? else {
        return Ok(EXIT_BAD_INPUT);
    };
    write!(out, "{}", entry.program)?;
    Ok(EXIT_OK)
}
