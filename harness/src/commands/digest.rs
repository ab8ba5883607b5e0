//! `vm-diff digest DIR`: the digest of a directory of binary inputs (see
//! [`crate::digest`]) on the output, for `corpus/fuzz.digest`. An unreadable
//! directory or file is reported on the log with exit code 2.

use std::io::{self, Write};
use std::path::Path;

use super::{EXIT_BAD_INPUT, EXIT_OK};
use crate::digest::CorpusDigest;

/// Prints the digest of `directory`.
pub fn digest(directory: &Path, out: &mut dyn Write, log: &mut dyn Write) -> io::Result<i32> {
    match CorpusDigest::of_directory(directory) {
        Ok(digest) => {
            write!(out, "{digest}")?;
            Ok(EXIT_OK)
        }
        Err(message) => {
            writeln!(log, "vm-diff: {message}")?;
            Ok(EXIT_BAD_INPUT)
        }
    }
}
