//! `vm-diff migrate FROM_VERSION DIR`: rewrites a directory of binary inputs
//! saved with encoding `FROM_VERSION` in the current encoding, through the
//! text form, so that each keeps its meaning: every input is decoded with
//! its old layout, printed, parsed back and encoded anew under the SHA-1 of
//! its new bytes (the old file goes). The digest beside the directory
//! (`DIR.digest`), if any, is written again. A version this build cannot
//! read, an unreadable directory or an unwritable file is reported on the
//! log with exit code 2; a program whose text does not parse back (a bug of
//! the text form) too, before anything is written.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{count, write_output, EXIT_BAD_INPUT, EXIT_OK};
use crate::corpus;
use crate::digest::{is_binary_input, sha1_hex, CorpusDigest};
use crate::program::{Program, CURRENT_VERSION, OLDEST_READABLE_VERSION};

/// One input's old path and new bytes.
struct Rewrite {
    old: PathBuf,
    bytes: Vec<u8>,
}

/// Rewrites the binary inputs of `directory` from encoding `from` to the
/// current one.
pub fn migrate(from: u8, directory: &Path, log: &mut dyn Write) -> io::Result<i32> {
    let files = match corpus::files_under(directory) {
        Ok(files) => files,
        Err(message) => {
            writeln!(log, "vm-diff: {message}")?;
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let mut rewrites = Vec::new();
    for file in files.iter().filter(|file| is_binary_input(file)) {
        let bytes = match std::fs::read(file) {
            Ok(bytes) => bytes,
            Err(error) => {
                writeln!(log, "vm-diff: {}: {error}", file.display())?;
                return Ok(EXIT_BAD_INPUT);
            }
        };
        let Some(old) = Program::decode_version(&bytes, from) else {
            writeln!(
                log,
                "vm-diff: encoding v{from} is not readable: this vm-diff reads \
                 v{OLDEST_READABLE_VERSION} to v{CURRENT_VERSION}"
            )?;
            return Ok(EXIT_BAD_INPUT);
        };
        let text = old.to_string();
        let new = match Program::parse_text(&text) {
            Ok(new) => new,
            Err(error) => {
                writeln!(
                    log,
                    "vm-diff: {}: its text form does not parse back: {error}",
                    file.display()
                )?;
                return Ok(EXIT_BAD_INPUT);
            }
        };
        rewrites.push(Rewrite {
            old: file.clone(),
            bytes: new.encode(),
        });
    }
    for rewrite in &rewrites {
        let new_path = rewrite.old.with_file_name(sha1_hex(&rewrite.bytes));
        if !write_output(&new_path, &rewrite.bytes, log)? {
            return Ok(EXIT_BAD_INPUT);
        }
        if new_path != rewrite.old {
            std::fs::remove_file(&rewrite.old)?;
        }
    }
    writeln!(
        log,
        "vm-diff: {} in {} rewritten from encoding v{from} to v{CURRENT_VERSION}",
        count(rewrites.len(), "input"),
        directory.display()
    )?;
    let digest_path = directory.with_extension("digest");
    if digest_path.is_file() {
        let digest = match CorpusDigest::of_directory(directory) {
            Ok(digest) => digest,
            Err(message) => {
                writeln!(log, "vm-diff: {message}")?;
                return Ok(EXIT_BAD_INPUT);
            }
        };
        if !write_output(&digest_path, digest.to_string().as_bytes(), log)? {
            return Ok(EXIT_BAD_INPUT);
        }
        writeln!(log, "vm-diff: wrote {}", digest_path.display())?;
    }
    Ok(EXIT_OK)
}
