#!/usr/bin/env bash
# Runs every test: formatting and lints, then the Rust test suites.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh

step() { printf '\n=== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "lints"
cargo clippy --release --workspace --all-targets -- -D warnings

step "core without RocksDB (the in-memory store the fuzz targets use)"
cargo clippy --release -p strongroom-core --no-default-features --features memory-store -- -D warnings

step "Rust tests"
cargo test --release --workspace

step "demo"
cargo run --release -q -p strongroom-core --example seed_flow >/dev/null

echo
echo "all tests passed"
