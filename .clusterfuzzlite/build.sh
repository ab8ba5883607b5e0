#!/bin/bash -eu
# Builds vm-diff's fuzz target for ClusterFuzzLite and OSS-Fuzz (usable by
# both unchanged): run by their `compile` in the image of ./Dockerfile, with
# $SRC, $OUT, $WORK, $SANITIZER, $CC, $CFLAGS, $RUSTFLAGS, ... set by the
# base image. scripts/oss-fuzz-check runs it the same way on this machine.
#
# Writes to $OUT:
#   differential                     the libFuzzer binary (C and Rust both
#                                    instrumented: cargo-fuzz and $RUSTFLAGS
#                                    for the Rust, $CC and $CFLAGS for the C,
#                                    read by c-reference's build script)
#   differential_seed_corpus.zip     the readable programs of corpus/,
#                                    encoded, and the saved corpus corpus/fuzz
#   differential.options             libFuzzer's options for this target
# No dictionary: every byte string decodes to a valid program and operation
# kinds come from a byte modulo the program's own kind table, so there are
# no tokens a dictionary could supply.
cd "$SRC/vm-diff"

# The encoder (vm-diff encode) is a tool of this build, not a fuzz target:
# built without the engines' flags (which would instrument it and link it
# against nothing that provides the coverage callbacks), apart in $WORK.
CC=clang CXX=clang++ CFLAGS= CXXFLAGS= RUSTFLAGS= \
  cargo build --release --locked -p harness --bin vm-diff --target-dir "$WORK/tools"
vm_diff="$WORK/tools/release/vm-diff"

# The fuzz target, as scripts/fuzz builds it: release (-O) and no
# comparison tracing of the Rust code (3 times faster under ASan; the C
# keeps its comparisons through $CFLAGS' -fsanitize=fuzzer-no-link).
(cd fuzz && cargo fuzz build -O --no-trace-compares differential)
cp fuzz/target/x86_64-unknown-linux-gnu/release/differential "$OUT/"

seeds="$WORK/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"
find corpus -name '*.ops' -print0 | while IFS= read -r -d '' program; do
  name=${program#corpus/}
  "$vm_diff" encode "$program" "$seeds/${name//\//-}" >/dev/null
done
cp corpus/fuzz/* "$seeds/"
rm -f "$OUT/differential_seed_corpus.zip"
(cd "$seeds" && zip -q -r "$OUT/differential_seed_corpus.zip" .)

# Bytes past a program's 64th operation are ignored; the saved corpus's
# largest input is about 1,500 bytes.
cat >"$OUT/differential.options" <<'OPTIONS'
[libfuzzer]
max_len = 2048
OPTIONS
