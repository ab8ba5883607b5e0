//! `vm-diff encode FILE OUT`: a program's bytes, for a fuzzer's corpus. An
//! unreadable input or unwritable output is reported on the log with exit
//! code 2.

use std::io::{self, Write};
use std::path::Path;

use super::{load_or_report, write_output, EXIT_BAD_INPUT, EXIT_OK};

/// `vm-diff encode FILE OUT`: writes the program's bytes (for a fuzzer's
/// corpus directory).
pub fn encode(path: &Path, output: &Path, log: &mut dyn Write) -> io::Result<i32> {
    let Some(entry) = load_or_report(path, log)? else {
        return Ok(EXIT_BAD_INPUT);
    };
    if !write_output(output, &entry.program.encode(), log)? {
        return Ok(EXIT_BAD_INPUT);
    }
    Ok(EXIT_OK)
}
