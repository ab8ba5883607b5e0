//! `vm-diff seeds OUT_DIR [CORPUS]`: the corpus's readable programs (every
//! `*.ops` file under it: seeds and regressions) encoded as binary inputs,
//! each named by the SHA-1 of its bytes as libFuzzer names its own, for a
//! fuzzer to start from. An unreadable program or an unwritable output is
//! reported on the log with exit code 2.

use std::io::{self, Write};
use std::path::Path;

use super::{count, load_or_report, write_output, EXIT_BAD_INPUT, EXIT_OK};
use crate::corpus;
use crate::digest::sha1_hex;

/// Writes the encoded programs of `corpus_dir` into `output` (created if
/// needed).
pub fn seeds(corpus_dir: &Path, output: &Path, log: &mut dyn Write) -> io::Result<i32> {
    let files = match corpus::files_under(corpus_dir) {
        Ok(files) => files,
        Err(message) => {
            writeln!(log, "vm-diff: {message}")?;
            return Ok(EXIT_BAD_INPUT);
        }
    };
    if let Err(error) = std::fs::create_dir_all(output) {
        writeln!(log, "vm-diff: {}: {error}", output.display())?;
        return Ok(EXIT_BAD_INPUT);
    }
    let mut written = 0;
    for file in files
        .iter()
        .filter(|file| file.extension().is_some_and(|extension| extension == "ops"))
    {
        let Some(entry) = load_or_report(file, log)? else {
            return Ok(EXIT_BAD_INPUT);
        };
        let bytes = entry.program.encode();
        if !write_output(&output.join(sha1_hex(&bytes)), &bytes, log)? {
            return Ok(EXIT_BAD_INPUT);
        }
        written += 1;
    }
    writeln!(
        log,
        "vm-diff: {} from {} in {}",
        count(written, "readable program"),
        corpus_dir.display(),
        output.display()
    )?;
    Ok(EXIT_OK)
}
