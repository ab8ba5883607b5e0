//! The saved corpus keeps its meaning: `corpus/fuzz.digest` records what
//! each binary input of `corpus/fuzz/` decoded to when it was saved, and
//! this build must decode each to the same program (a change of the byte
//! encoding fails here, naming the inputs it changed, instead of silently
//! turning the corpus into other programs). `vm-diff migrate` rewrites a
//! corpus through the text form without changing what it means, and
//! `vm-diff seeds` writes the readable programs as binary inputs. Failures
//! are assertion messages that say what to run.

mod common;

use std::fs;
use std::path::PathBuf;

use harness::commands::{self, EXIT_BAD_INPUT, EXIT_OK};
use harness::corpus;
use harness::digest::{is_binary_input, CorpusDigest};
use harness::program::{Program, CURRENT_VERSION, OLDEST_READABLE_VERSION};

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    common::scratch_dir("versions", name)
}

#[test]
fn the_saved_corpus_decodes_as_its_digest_records() {
    let root = corpus::default_root();
    let text = fs::read_to_string(root.join("fuzz.digest")).unwrap();
    let recorded = CorpusDigest::parse(&text).unwrap();
    // A corpus saved in an older version that this build still reads keeps
    // that version's meaning until `vm-diff migrate` carries it over.
    assert!(
        (OLDEST_READABLE_VERSION..=CURRENT_VERSION).contains(&recorded.version),
        "corpus/fuzz is in encoding v{}, which this build cannot read",
        recorded.version
    );
    let current = CorpusDigest::of_directory_as(&root.join("fuzz"), recorded.version).unwrap();
    let differences = recorded.differences(&current);
    let shown: Vec<String> = differences
        .iter()
        .take(10)
        .map(ToString::to_string)
        .collect();
    assert!(
        differences.is_empty(),
        "corpus/fuzz differs from corpus/fuzz.digest in {} ways, first:\n{}",
        differences.len(),
        shown.join("\n")
    );
}

#[test]
fn a_digest_reads_back_what_it_printed() {
    let digest = CorpusDigest::of_directory(&corpus::default_root().join("fuzz")).unwrap();
    assert_eq!(CorpusDigest::parse(&digest.to_string()).unwrap(), digest);
    assert!(CorpusDigest::parse("# something else\n").is_err());
}

#[test]
fn migrate_keeps_every_program_and_its_digest() {
    let directory = scratch("migrate").join("fuzz");
    fs::create_dir_all(&directory).unwrap();
    let saved = corpus::default_root().join("fuzz");
    let mut before = Vec::new();
    for file in corpus::files_under(&saved).unwrap().iter().take(60) {
        fs::copy(file, directory.join(file.file_name().unwrap())).unwrap();
        before.push(Program::decode(&fs::read(file).unwrap()).to_string());
    }
    let digest_path = directory.with_extension("digest");
    fs::write(&digest_path, "").unwrap();
    let mut log = Vec::new();
    let code = commands::migrate(CURRENT_VERSION, &directory, &mut log).unwrap();
    assert_eq!(code, EXIT_OK, "{}", String::from_utf8_lossy(&log));
    let mut after = Vec::new();
    for file in corpus::files_under(&directory).unwrap() {
        assert!(is_binary_input(&file));
        after.push(Program::decode(&fs::read(&file).unwrap()).to_string());
    }
    before.sort();
    after.sort();
    assert_eq!(before, after, "migrate changed what the inputs mean");
    let written = CorpusDigest::parse(&fs::read_to_string(&digest_path).unwrap()).unwrap();
    assert!(written
        .differences(&CorpusDigest::of_directory(&directory).unwrap())
        .is_empty());

    let mut log = Vec::new();
    let code = commands::migrate(CURRENT_VERSION + 1, &directory, &mut log).unwrap();
    assert_eq!(code, EXIT_BAD_INPUT);
    assert!(String::from_utf8_lossy(&log).contains("is not readable"));
}

#[test]
fn seeds_writes_every_readable_program_as_bytes() {
    let output = scratch("seeds");
    let root = corpus::default_root();
    let mut log = Vec::new();
    assert_eq!(commands::seeds(&root, &output, &mut log).unwrap(), EXIT_OK);
    let readable: Vec<Program> = corpus::files_under(&root)
        .unwrap()
        .iter()
        .filter(|file| file.extension().is_some_and(|extension| extension == "ops"))
        .map(|file| corpus::load_file(file).unwrap().program)
        .collect();
    let mut written: Vec<String> = corpus::files_under(&output)
        .unwrap()
        .iter()
        .map(|file| Program::decode(&fs::read(file).unwrap()).to_string())
        .collect();
    let mut expected: Vec<String> = readable.iter().map(ToString::to_string).collect();
    expected.sort();
    expected.dedup();
    written.sort();
    assert_eq!(written, expected);
}
