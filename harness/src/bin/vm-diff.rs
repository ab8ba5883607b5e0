//! `vm-diff`: replay, print, convert and triage vm-diff programs. See
//! `--help`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use harness::commands::{self, ExportOptions};
use harness::explore::Bounds;
use harness::program::MachinePreset;
use harness::shrink::Budget;

/// `--version`: which build this is. The canary build (feature `canary`,
/// the port with its planted bug) says so, and lives in its own target
/// directory (`target/canary`, see scripts/minimize).
const VERSION: &str = if cfg!(feature = "canary") {
    concat!(env!("CARGO_PKG_VERSION"), " (canary: planted bug)")
} else {
    env!("CARGO_PKG_VERSION")
};

/// Differential testing of X15's vm_map.c against its Rust port.
///
/// Programs are files: readable text (`*.ops`, one operation per line, at
/// most 64 operations) or the fuzzer's binary inputs (any other name; bytes
/// past the 64th operation are ignored). In a directory, replay reads
/// `*.ops` files and inputs named by their SHA-1 (40 hexadecimal digits,
/// optionally after `crash-` and the like) and names the files it skips.
/// Errors go to stderr. Exit codes: 0 as expected,
/// 1 a divergence (or a corpus file whose `# expect:` line is not met; for
/// shrink and export, an input that is not a finding), 2 an unreadable
/// input or an output that cannot be written.
#[derive(Parser)]
#[command(name = "vm-diff", version = VERSION)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run programs on both sides and print the report of each finding.
    ///
    /// As the fuzz target, it reads VM_DIFF_ORACLES (all, differential or
    /// specification) and VM_DIFF_MODE (bug-for-bug or fixed: every
    /// program in that mode); unset, every oracle and each program's own
    /// mode.
    Replay {
        /// A program file, or a directory of them (searched recursively).
        path: PathBuf,
        /// Print every operation with its arguments and both outcomes.
        #[arg(short, long)]
        verbose: bool,
        /// Print one JSON object per program instead of reports, for
        /// scripts: file, verdict (equivalent, known, divergence,
        /// unreadable), signature, op_index, op_kind, op, known_id.
        #[arg(long, conflicts_with = "verbose")]
        json: bool,
    },
    /// Print a program as readable text.
    Show {
        /// A program file (text or binary).
        file: PathBuf,
    },
    /// Write a program's binary encoding (for a fuzzer corpus).
    Encode {
        /// A program file (text or binary).
        file: PathBuf,
        /// Where to write the bytes.
        output: PathBuf,
    },
    /// Minimise a finding while it keeps its divergence signature; the
    /// steps go to stderr, the program to stdout (or --out).
    Shrink {
        /// A program file (text or binary) that diverges.
        file: PathBuf,
        /// Stop searching after this many seconds (the result is then not
        /// necessarily a local minimum); 0: no time limit.
        #[arg(long, default_value_t = 30)]
        budget_seconds: u64,
        /// Stop searching after this many runs of candidate programs (the
        /// same result on every machine, unlike --budget-seconds).
        #[arg(long)]
        max_runs: Option<u64>,
        /// Write the program here instead: text if it ends in `.ops`,
        /// bytes otherwise.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Shrink a finding and save it as corpus/regressions/NAME.ops, with
    /// its expectation and a postmortem stub.
    Export {
        /// A program file (text or binary) that diverges or shows a known
        /// divergence.
        file: PathBuf,
        /// The regression's name (letters, digits, - _ .).
        #[arg(long)]
        name: String,
        /// Overwrite an existing regression of that name.
        #[arg(long)]
        force: bool,
        /// Save the program as it is, without shrinking it.
        #[arg(long)]
        no_shrink: bool,
        /// The shrink's time budget in seconds; 0: no time limit.
        #[arg(long, default_value_t = 30)]
        budget_seconds: u64,
        /// The shrink's budget in runs of candidate programs.
        #[arg(long)]
        max_runs: Option<u64>,
        /// The corpus directory (default: the `corpus/` of the current
        /// directory or a parent, else the repository's).
        #[arg(long)]
        corpus: Option<PathBuf>,
    },
    /// Explore every state within --depth operations of a finite alphabet
    /// (breadth first, equal states once), all oracles after every step;
    /// prints distinct states and transitions per depth and the bound
    /// proven, or a finding on a shortest program.
    Explore {
        /// The longest program tried.
        #[arg(long, default_value_t = harness::commands::EXPLORE_CI_DEPTH)]
        depth: usize,
        /// Stop after this many distinct states.
        #[arg(long, default_value_t = 10_000_000)]
        max_states: u64,
        /// Stop after this many transitions (programs run).
        #[arg(long, default_value_t = 100_000_000)]
        max_transitions: u64,
        /// The machine preset: tiny or normal.
        #[arg(long, default_value = "tiny", value_parser = ["tiny", "normal"])]
        machine: String,
        /// The most user maps the alphabet creates.
        #[arg(long, default_value_t = 2)]
        maps: u32,
        /// The most objects the alphabet creates.
        #[arg(long, default_value_t = 1)]
        objects: u32,
        /// Where a finding's program is written (text).
        #[arg(long, default_value = "explore-finding.ops")]
        finding_out: PathBuf,
    },
    /// Write the corpus's readable programs (seeds and regressions) as
    /// binary inputs named by their SHA-1, for a fuzzer to start from.
    Seeds {
        /// The directory to write them to (created if needed).
        output: PathBuf,
        /// The corpus directory (default: the `corpus/` of the current
        /// directory or a parent, else the repository's).
        #[arg(long)]
        corpus: Option<PathBuf>,
    },
    /// Print the digest of a directory of binary inputs (the SHA-1 of each
    /// input's bytes and of its program's text form), for
    /// `corpus/fuzz.digest`.
    Digest {
        /// The directory (`corpus/fuzz`).
        directory: PathBuf,
    },
    /// Rewrite a directory of binary inputs saved with an older encoding
    /// version in the current one, through the text form, so that each
    /// input keeps its meaning; writes `DIRECTORY.digest` again if it
    /// exists.
    Migrate {
        /// The encoding version the inputs were saved with (the digest's
        /// header says it).
        from_version: u8,
        /// The directory (`corpus/fuzz`).
        directory: PathBuf,
    },
    /// Draw both sides' maps step by step as SVG, the first difference
    /// marked.
    Render {
        /// A program file (text or binary).
        file: PathBuf,
        /// Where to write the picture.
        #[arg(long)]
        svg: PathBuf,
    },
}

/// The shrink's budget from the command line's flags.
fn budget(seconds: u64, max_runs: Option<u64>) -> Budget {
    Budget {
        time: (seconds > 0).then(|| Duration::from_secs(seconds)),
        max_tests: max_runs,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = io::stdout().lock();
    let mut log = io::stderr().lock();
    let result = match &cli.command {
        Command::Replay {
            path, json: true, ..
        } => commands::replay_json(path, &mut out, &mut log),
        Command::Replay { path, verbose, .. } => {
            commands::replay(path, *verbose, &mut out, &mut log)
        }
        Command::Show { file } => commands::show(file, &mut out, &mut log),
        Command::Encode { file, output } => commands::encode(file, output, &mut log),
        Command::Shrink {
            file,
            budget_seconds,
            max_runs,
            out: output,
        } => commands::shrink(
            file,
            budget(*budget_seconds, *max_runs),
            output.as_deref(),
            &mut out,
            &mut log,
        ),
        Command::Export {
            file,
            name,
            force,
            no_shrink,
            budget_seconds,
            max_runs,
            corpus,
        } => {
            let options = ExportOptions {
                name: name.clone(),
                force: *force,
                shrink: !*no_shrink,
                budget: budget(*budget_seconds, *max_runs),
                corpus_dir: corpus.clone(),
            };
            commands::export(file, &options, &mut out, &mut log)
        }
        Command::Explore {
            depth,
            max_states,
            max_transitions,
            machine,
            maps,
            objects,
            finding_out,
        } => {
            let preset = match machine.as_str() {
                "normal" => MachinePreset::Normal,
                _ => MachinePreset::Tiny,
            };
            let bounds = Bounds {
                depth: *depth,
                max_states: *max_states,
                max_transitions: *max_transitions,
            };
            let scope = commands::explore_scope(preset, *maps, *objects);
            commands::explore(&scope, bounds, finding_out, &mut out, &mut log)
        }
        Command::Seeds { output, corpus } => {
            let corpus = corpus.clone().unwrap_or_else(commands::find_corpus_dir);
            commands::seeds(&corpus, output, &mut log)
        }
        Command::Digest { directory } => commands::digest(directory, &mut out, &mut log),
        Command::Migrate {
            from_version,
            directory,
        } => commands::migrate(*from_version, directory, &mut log),
        Command::Render { file, svg } => commands::render(file, svg, &mut out, &mut log),
    };
    let _ = out.flush();
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(error) => {
            eprintln!("vm-diff: {error}");
            ExitCode::from(commands::EXIT_BAD_INPUT as u8)
        }
    }
}
