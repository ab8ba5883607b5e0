//! The saved corpus: readable regression and seed programs (`*.ops`, one
//! operation per line) and the fuzzer's binary inputs, with what each is
//! expected to do when replayed.
//!
//! A text file may say `# expect: fixed <id>` (fixed mode: the C shows that
//! bug, the port its fix, and the rest passes), or `# expect: known <id>` to name the known divergence
//! it must show; other text programs must run equivalently. The fuzzer's
//! binary inputs must show no finding (it keeps inputs that reach a known
//! divergence too, for their coverage). Loading reports unreadable or
//! unparsable files as errors naming the file.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use crate::program::Program;
use crate::runner::Verdict;

/// What replaying a corpus program must give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// Both sides agree throughout.
    Equivalent,
    /// No finding: equivalent, or stopped by a known divergence (the
    /// fuzzer's saved inputs, which it keeps for coverage either way).
    NoFinding,
    /// The known divergence with this id shows.
    Known(String),
    /// Fixed mode: the C shows the known divergence with this id, the port
    /// does what the specification says there, and the rest of the program
    /// passes on the port alone.
    Fixed(String),
}

impl Expectation {
    /// Whether `verdict` meets the expectation.
    pub fn is_met_by(&self, verdict: &Verdict) -> bool {
        match (self, verdict) {
            (Expectation::Equivalent | Expectation::NoFinding, Verdict::Equivalent) => true,
            (Expectation::NoFinding, Verdict::Known { .. }) => true,
            (Expectation::Known(id), Verdict::Known { divergence, .. })
            | (Expectation::Fixed(id), Verdict::Fixed { divergence, .. }) => divergence.id == id,
            (Expectation::NoFinding, Verdict::Fixed { .. }) => true,
            _ => false,
        }
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::Equivalent => f.write_str("equivalent"),
            Expectation::NoFinding => f.write_str("no finding"),
            Expectation::Known(id) => write!(f, "known divergence {id}"),
            Expectation::Fixed(id) => write!(f, "the fixed port past known divergence {id}"),
        }
    }
}

/// One saved program.
#[derive(Debug, Clone)]
pub struct CorpusEntry {
    /// Where it came from.
    pub path: PathBuf,
    /// The program.
    pub program: Program,
    /// What it must do.
    pub expectation: Expectation,
}

/// Reads one corpus file: text when it ends in `.ops`, bytes otherwise.
pub fn load_file(path: &Path) -> Result<CorpusEntry, String> {
    let bytes = fs::read(path).map_err(|error| format!("{}: {error}", path.display()))?;
    if path.extension().is_some_and(|extension| extension == "ops") {
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))?;
        let program =
            Program::parse_text(&text).map_err(|error| format!("{}: {error}", path.display()))?;
        Ok(CorpusEntry {
            path: path.to_path_buf(),
            program,
            expectation: expectation_of(&text),
        })
    } else {
        Ok(CorpusEntry {
            path: path.to_path_buf(),
            program: Program::decode(&bytes),
            expectation: Expectation::NoFinding,
        })
    }
}

/// The `# expect:` line of a text program (`known <id>`, `fixed <id>`),
/// if any; equivalence otherwise.
fn expectation_of(text: &str) -> Expectation {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("# expect:"))
        .find_map(|rest| {
            let rest = rest.trim();
            let known = rest
                .strip_prefix("known ")
                .map(|id| Expectation::Known(id.trim().into()));
            known.or_else(|| {
                rest.strip_prefix("fixed ")
                    .map(|id| Expectation::Fixed(id.trim().into()))
            })
        })
        .unwrap_or(Expectation::Equivalent)
}

/// Whether a file found in a directory is a program: readable text
/// (`*.ops`) or a fuzzer's binary input, which has no extension and is
/// named by the SHA-1 of its content (40 hexadecimal digits), possibly after
/// libFuzzer's artifact prefix (`crash-`, `leak-`, `timeout-`, ...). A file
/// named on its own is always read; this rule only sorts directories.
pub fn is_program_name(path: &Path) -> bool {
    if path.extension().is_some_and(|extension| extension == "ops") {
        return true;
    }
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    let digest = name.rsplit('-').next().unwrap_or(name);
    let prefix = &name[..name.len() - digest.len()];
    digest.len() == 40
        && digest.bytes().all(|byte| byte.is_ascii_hexdigit())
        && prefix
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte == b'-')
}

/// The programs under `root`, recursively, in path order (see
/// [`is_program_name`]), and the other files found there (hidden files and
/// directories skipped without mention).
pub fn programs_under(root: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>), String> {
    let (mut programs, mut others) = (Vec::new(), Vec::new());
    let mut pending = vec![root.to_path_buf()];
    while let Some(directory) = pending.pop() {
        let listing = fs::read_dir(&directory)
            .map_err(|error| format!("{}: {error}", directory.display()))?;
        for item in listing {
            let path = item
                .map_err(|error| format!("{}: {error}", directory.display()))?
                .path();
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if is_program_name(&path) {
                programs.push(path);
            } else {
                others.push(path);
            }
        }
    }
    programs.sort();
    others.sort();
    Ok((programs, others))
}

/// The programs under `root` ([`programs_under`] without the others).
pub fn files_under(root: &Path) -> Result<Vec<PathBuf>, String> {
    programs_under(root).map(|(programs, _)| programs)
}

/// The repository's `corpus/` directory.
pub fn default_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("corpus")
}
