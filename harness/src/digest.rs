//! The digest of a saved binary corpus: what each input means, pinned.
//!
//! The decoder never fails, so a change to the byte encoding would silently
//! turn every saved input into another program, and the corpus would stop
//! covering what it covered. A digest records, for each binary input of a
//! directory, the SHA-1 of its bytes and the SHA-1 of the text form of the
//! program they decode to, under a header naming the encoding version they
//! were saved in:
//!
//! ```text
//! # vm-diff corpus digest: encoding v1
//! 0055e1325000bdca9db3779dc7810c64ce0a99fa 3f786850e387550fdab836ed7e6dc881de23001b
//! ```
//!
//! `corpus/fuzz.digest` is the saved corpus's; a test compares it with the
//! directory, and `vm-diff digest DIR` writes a new one (after
//! `vm-diff migrate`, or when `scripts/cmin` changed the corpus). Reading a
//! digest reports a malformed line as an error naming it; comparing reports
//! every difference as a [`DigestDifference`].

use std::fmt;
use std::path::Path;

use crate::corpus;
use crate::program::{Program, CURRENT_VERSION};

/// The digest's first line, before the version number.
pub const HEADER_PREFIX: &str = "# vm-diff corpus digest: encoding v";

/// One binary input: the SHA-1 of its bytes and of its program's text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InputDigest {
    /// The SHA-1 of the file's bytes, in hexadecimal.
    pub bytes_sha1: String,
    /// The SHA-1 of the text form of the program the bytes decode to.
    pub text_sha1: String,
}

/// The digest of a directory of binary inputs, in byte-digest order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpusDigest {
    /// The encoding version the inputs were saved in.
    pub version: u8,
    /// One line per binary input.
    pub inputs: Vec<InputDigest>,
}

/// How a directory differs from its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestDifference {
    /// The digest names another encoding version than this build's.
    Version {
        /// The digest's version.
        recorded: u8,
    },
    /// A recorded input that decodes to another program now.
    MeaningChanged(String),
    /// A recorded input missing from the directory.
    Missing(String),
    /// An input of the directory the digest does not record.
    Unrecorded(String),
}

impl fmt::Display for DigestDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DigestDifference::Version { recorded } => write!(
                f,
                "the digest records encoding v{recorded}, this build writes v{CURRENT_VERSION}: \
                 run `vm-diff migrate {recorded} DIR`"
            ),
            DigestDifference::MeaningChanged(name) => write!(
                f,
                "{name} decodes to another program than when it was saved: the encoding changed; \
                 bump CURRENT_VERSION, keep the old layout readable and run `vm-diff migrate`"
            ),
            DigestDifference::Missing(name) => write!(f, "{name} is recorded but missing"),
            DigestDifference::Unrecorded(name) => write!(
                f,
                "{name} is not recorded: write the digest again with `vm-diff digest DIR`"
            ),
        }
    }
}

/// The SHA-1 of `bytes`, in hexadecimal.
pub fn sha1_hex(bytes: &[u8]) -> String {
    sha1_smol::Sha1::from(bytes).digest().to_string()
}

/// The digest of one input's bytes, decoded with the current encoding.
pub fn input_digest(bytes: &[u8]) -> InputDigest {
    input_digest_as(bytes, CURRENT_VERSION)
}

/// The digest of one input's bytes, decoded with the layout of `version`
/// (the current one when this build cannot read `version`).
pub fn input_digest_as(bytes: &[u8], version: u8) -> InputDigest {
    let program = Program::decode_version(bytes, version).unwrap_or_else(|| Program::decode(bytes));
    InputDigest {
        bytes_sha1: sha1_hex(bytes),
        text_sha1: sha1_hex(program.to_string().as_bytes()),
    }
}

/// Whether a file of a corpus directory is a binary input (not a `*.ops`
/// text program, which needs no digest: text does not depend on the
/// encoding).
pub fn is_binary_input(path: &Path) -> bool {
    corpus::is_program_name(path) && path.extension().is_none()
}

impl CorpusDigest {
    /// The digest of the binary inputs under `directory`, as this build
    /// decodes them.
    pub fn of_directory(directory: &Path) -> Result<CorpusDigest, String> {
        CorpusDigest::of_directory_as(directory, CURRENT_VERSION)
    }

    /// The digest of the binary inputs under `directory` read as encoding
    /// `version` (a readable one: [`Program::decode_version`]), as a
    /// corpus saved in that version and not yet migrated is read.
    pub fn of_directory_as(directory: &Path, version: u8) -> Result<CorpusDigest, String> {
        let mut inputs = Vec::new();
        for file in corpus::files_under(directory)? {
            if is_binary_input(&file) {
                let bytes =
                    std::fs::read(&file).map_err(|error| format!("{}: {error}", file.display()))?;
                inputs.push(input_digest_as(&bytes, version));
            }
        }
        inputs.sort();
        Ok(CorpusDigest { version, inputs })
    }

    /// Reads a digest's text.
    pub fn parse(text: &str) -> Result<CorpusDigest, String> {
        let mut lines = text.lines().enumerate();
        let version = lines
            .next()
            .and_then(|(_, line)| line.strip_prefix(HEADER_PREFIX))
            .and_then(|version| version.trim().parse().ok())
            .ok_or_else(|| format!("line 1: expected `{HEADER_PREFIX}N`"))?;
        let mut inputs = Vec::new();
        for (index, line) in lines {
            let words: Vec<&str> = line.split_whitespace().collect();
            let is_sha1 =
                |word: &str| word.len() == 40 && word.bytes().all(|b| b.is_ascii_hexdigit());
            match words[..] {
                [bytes, text] if is_sha1(bytes) && is_sha1(text) => inputs.push(InputDigest {
                    bytes_sha1: bytes.to_string(),
                    text_sha1: text.to_string(),
                }),
                _ => {
                    return Err(format!(
                        "line {}: expected two SHA-1s, found `{line}`",
                        index + 1
                    ))
                }
            }
        }
        inputs.sort();
        Ok(CorpusDigest { version, inputs })
    }

    /// Every way `current` (a directory's digest now) differs from this
    /// recorded digest, in byte-digest order; empty when they agree.
    pub fn differences(&self, current: &CorpusDigest) -> Vec<DigestDifference> {
        let mut differences = Vec::new();
        if self.version != current.version {
            differences.push(DigestDifference::Version {
                recorded: self.version,
            });
        }
        let find = |inputs: &[InputDigest], name: &str| {
            inputs
                .binary_search_by(|input| input.bytes_sha1.as_str().cmp(name))
                .ok()
                .map(|index| inputs[index].text_sha1.clone())
        };
        for recorded in &self.inputs {
            match find(&current.inputs, &recorded.bytes_sha1) {
                None => differences.push(DigestDifference::Missing(recorded.bytes_sha1.clone())),
                Some(text) if text != recorded.text_sha1 => differences.push(
                    DigestDifference::MeaningChanged(recorded.bytes_sha1.clone()),
                ),
                Some(_) => {}
            }
        }
        for input in &current.inputs {
            if find(&self.inputs, &input.bytes_sha1).is_none() {
                differences.push(DigestDifference::Unrecorded(input.bytes_sha1.clone()));
            }
        }
        differences
    }
}

impl fmt::Display for CorpusDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{HEADER_PREFIX}{}", self.version)?;
        for input in &self.inputs {
            writeln!(f, "{} {}", input.bytes_sha1, input.text_sha1)?;
        }
        Ok(())
    }
}
