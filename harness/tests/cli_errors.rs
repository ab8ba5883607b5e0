//! The `vm-diff` binary as a user meets it: `--version` says which build it
//! is (the canary says so); every subcommand's errors go to
//! stderr (stdout stays empty) and name the file at fault; `replay DIR`
//! reads only programs and says which files it skips; text programs of
//! another format version are refused, a byte-order mark is accepted.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use harness::corpus;

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    common::scratch_dir("cli", name)
}

/// Runs `vm-diff ARGS`: exit code, stdout, stderr.
fn vm_diff(args: &[&Path]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_vm-diff"))
        .args(args)
        .output()
        .expect("vm-diff runs");
    (
        output.status.code().expect("an exit code"),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// Asserts that the command failed with exit code 2, did not mention
/// `file` on stdout (replay's summary line may be there), and named it in a
/// `vm-diff:` line on stderr that contains `fragment`.
fn assert_error_names(args: &[&Path], file: &Path, fragment: &str) {
    let (code, out, err) = vm_diff(args);
    assert_eq!(code, 2, "{args:?}\nstdout: {out}\nstderr: {err}");
    assert!(
        !out.contains(&file.display().to_string()),
        "{args:?}: an error on stdout: {out}"
    );
    let named = err.lines().any(|line| {
        line.starts_with("vm-diff: ")
            && line.contains(&file.display().to_string())
            && line.contains(fragment)
    });
    assert!(
        named,
        "{args:?}: no stderr line names {} with {fragment:?}:\n{err}",
        file.display()
    );
}

fn p(text: &str) -> &Path {
    Path::new(text)
}

/// The arguments of every subcommand that reads one program, `input`
/// (export's corpus is `directory`, the outputs go to `output`).
fn every_subcommand_on<'a>(
    input: &'a Path,
    directory: &'a Path,
    output: &'a Path,
) -> Vec<Vec<&'a Path>> {
    vec![
        vec![p("replay"), input],
        vec![p("show"), input],
        vec![p("encode"), input, output],
        vec![p("shrink"), input],
        vec![
            p("export"),
            input,
            p("--name"),
            p("x"),
            p("--corpus"),
            directory,
        ],
        vec![p("render"), input, p("--svg"), output],
    ]
}

/// Runs every subcommand on `<name>.ops` in a fresh scratch directory
/// (written with `contents`, or missing without) and asserts that each
/// names the file in an error containing `fragment`.
fn assert_every_subcommand_names(name: &str, contents: Option<&str>, fragment: &str) {
    let directory = scratch(name);
    let input = directory.join(format!("{name}.ops"));
    if let Some(contents) = contents {
        fs::write(&input, contents).unwrap();
    }
    let output = directory.join("out");
    for args in &every_subcommand_on(&input, &directory, &output) {
        assert_error_names(args, &input, fragment);
    }
    let _ = fs::remove_dir_all(&directory);
}

#[test]
fn every_subcommand_reports_a_missing_input_on_stderr_naming_it() {
    assert_every_subcommand_names("missing", None, "No such file or directory");
}

#[test]
fn every_subcommand_reports_an_unparsable_input_on_stderr_naming_it() {
    let garbled = "enter map=kernel size=elephants\n";
    assert_every_subcommand_names("garbled", Some(garbled), "line 1");
}

#[test]
fn outputs_that_cannot_be_written_are_named() {
    let directory = scratch("outputs");
    let nowhere = directory.join("no-such-directory");
    let input = corpus::default_root().join("regressions/remove-unaligned-end.ops");
    let bytes = nowhere.join("program");
    assert_error_names(&[p("encode"), &input, &bytes], &bytes, "cannot write");
    let svg = nowhere.join("picture.svg");
    assert_error_names(
        &[p("render"), &input, p("--svg"), &svg],
        &svg,
        "cannot write",
    );
    // A corpus "directory" that is a file: its regressions/ cannot be made.
    let not_a_directory = directory.join("file");
    fs::write(&not_a_directory, "").unwrap();
    assert_error_names(
        &[
            p("export"),
            &input,
            p("--name"),
            p("x"),
            p("--no-shrink"),
            p("--corpus"),
            &not_a_directory,
        ],
        &not_a_directory,
        "cannot create",
    );
    let _ = fs::remove_dir_all(&directory);
}

#[test]
fn replay_of_a_directory_reads_programs_and_names_what_it_skips() {
    let directory = scratch("directory");
    let seed = corpus::default_root().join("seeds/05-merge-both-sides.ops");
    fs::copy(&seed, directory.join("seed.ops")).unwrap();
    let digest = "0123456789abcdef0123456789abcdef01234567";
    fs::write(directory.join(digest), [0u8, 1, 2, 3]).unwrap();
    fs::write(directory.join(format!("crash-{digest}")), [0u8, 1]).unwrap();
    let notes = directory.join("notes.txt");
    fs::write(&notes, "remember to fuzz\n").unwrap();
    fs::write(directory.join(".hidden"), "").unwrap();
    let (code, out, err) = vm_diff(&[p("replay"), &directory]);
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    assert!(
        out.contains("vm-diff: 3 programs,"),
        "three programs read:\n{out}"
    );
    assert!(
        err.contains(&format!(
            "vm-diff: skipping {}: not a program",
            notes.display()
        )),
        "{err}"
    );
    assert_eq!(err.matches("skipping").count(), 1, "{err}");
    // A file named on its own is read whatever its name.
    let (code, out, _) = vm_diff(&[p("replay"), &notes]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("vm-diff: 1 program, "), "{out}");
    // A directory without programs is an error.
    let empty = directory.join("empty");
    fs::create_dir(&empty).unwrap();
    assert_error_names(&[p("replay"), &empty], &empty, "no programs");
    let _ = fs::remove_dir_all(&directory);
}

#[test]
fn unknown_format_versions_are_refused_and_a_byte_order_mark_is_accepted() {
    let directory = scratch("versions");
    let later = directory.join("later.ops");
    fs::write(&later, "# vm-diff program v2\ncreate-map\n").unwrap();
    assert_error_names(&[p("show"), &later], &later, "`v2` is not supported");
    let with_bom = directory.join("bom.ops");
    fs::write(
        &with_bom,
        "\u{feff}# vm-diff program v1\ncreate-map\nreap\n",
    )
    .unwrap();
    let (code, out, err) = vm_diff(&[p("show"), &with_bom]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\ncreate-map\nreap\n"), "{out}");
    let _ = fs::remove_dir_all(&directory);
}

#[test]
fn the_version_says_which_build_it_is() {
    let (code, out, _) = vm_diff(&[p("--version")]);
    assert_eq!(code, 0);
    let expected = if cfg!(feature = "canary") {
        format!(
            "vm-diff {} (canary: planted bug)\n",
            env!("CARGO_PKG_VERSION")
        )
    } else {
        format!("vm-diff {}\n", env!("CARGO_PKG_VERSION"))
    };
    assert_eq!(out, expected);
}
