//! Regenerates `bindings/src/generated.rs` from the C reference's headers.
//! Run through `scripts/gen-bindings`. Exits non-zero with bindgen's error
//! when the headers cannot be processed.

#[path = "../generate.rs"]
mod generate;

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let bindings_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = match generate::generate(bindings_dir) {
        Ok(source) => source,
        Err(error) => {
            eprintln!("gen-bindings: bindgen failed: {error}");
            return ExitCode::FAILURE;
        }
    };
    let path = bindings_dir.join(generate::GENERATED_PATH);
    if let Err(error) = std::fs::write(&path, source) {
        eprintln!("gen-bindings: cannot write {}: {error}", path.display());
        return ExitCode::FAILURE;
    }
    println!("gen-bindings: wrote {}", path.display());
    ExitCode::SUCCESS
}
