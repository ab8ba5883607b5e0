//! `vm-diff`: replay, print and convert vm-diff programs. See `--help`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use harness::commands;

/// Differential testing of X15's vm_map.c against its Rust port.
///
/// Programs are files: readable text (`*.ops`, one operation per line) or
/// the fuzzer's binary inputs (any other name). Exit codes: 0 as expected,
/// 1 a divergence (or a corpus file whose `# expect:` line is not met),
/// 2 an unreadable input.
#[derive(Parser)]
#[command(name = "vm-diff", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run programs on both sides and print the report of each finding.
    Replay {
        /// A program file, or a directory of them (searched recursively).
        path: PathBuf,
        /// Print every operation with its arguments and both outcomes.
        #[arg(short, long)]
        verbose: bool,
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = io::stdout().lock();
    let result = match &cli.command {
        Command::Replay { path, verbose } => commands::replay(path, *verbose, &mut out),
        Command::Show { file } => commands::show(file, &mut out),
        Command::Encode { file, output } => commands::encode(file, output, &mut out),
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
