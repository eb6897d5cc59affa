#!/usr/bin/env bash
# Runs every test: formatting and lints, the Rust test suites, the Python and Kotlin
# binding suites, then the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh --bindings

step() { printf '\n=== %s\n' "$*"; }
started_stamp=$(mktemp)
trap 'rm -f "$started_stamp"' EXIT

step "one RocksDB build for every cargo selection below"
bash scripts/check-one-rocksdb.sh

step "format"
cargo fmt --all -- --check

step "lints"
cargo clippy --release --workspace --all-targets -- -D warnings

step "core without RocksDB (the in-memory store the fuzz targets use)"
cargo clippy --release -p strongroom-core --no-default-features --features memory-store,internals -- -D warnings

step "Rust tests"
cargo test --release --workspace

step "benchmarks still run (each once, no timing) and a small scale run"
cargo test --release -q -p strongroom-benches --benches
cargo run --release -q -p strongroom-benches --bin scale -- 20000 | tail -4
cargo run --release -q -p strongroom-benches --bin reads -- 200 2 | tail -1

step "Python binding (pytest)"
bash bindings/python/run.sh test

step "Kotlin binding (test suite)"
bash bindings/kotlin/run.sh test | grep -v "^ok "

step "fuzz targets (30 s each)"
bash scripts/fuzz.sh 30

step "demo (the CLI's, as README runs it; and the Rust example)"
bash scripts/demo.sh >/dev/null
cargo run --release -q -p strongroom-core --example seed_flow >/dev/null

step "RocksDB was compiled at most once in this run"
# A librocksdb-sys build directory made since the start holds one compile of RocksDB's C++.
compiled=$(find "$CARGO_TARGET_DIR/release/build" -maxdepth 2 -path '*/librocksdb-sys-*/out' -newer "$started_stamp" | wc -l)
echo "RocksDB compiled $compiled time(s)"
[ "$compiled" -le 1 ] || { echo "RocksDB was compiled $compiled times: see scripts/check-one-rocksdb.sh" >&2; exit 1; }

echo
echo "all tests passed"
