//! The committed bindings must be what bindgen makes of the current headers:
//! a header change without `scripts/gen-bindings` fails here.

#[path = "../generate.rs"]
mod generate;

use std::path::Path;

#[test]
fn committed_bindings_match_the_headers() {
    let bindings_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fresh = generate::generate(bindings_dir).expect("bindgen runs on the C headers");
    let committed = std::fs::read_to_string(bindings_dir.join(generate::GENERATED_PATH))
        .expect("bindings/src/generated.rs is readable");
    assert!(
        fresh == committed,
        "bindings/src/generated.rs is stale: run scripts/gen-bindings and commit the result"
    );
}
