# Sourced by the other scripts: one target directory outside the checkout and one cargo
# profile (release) for tests, benches, examples and bindings, so RocksDB's C++ is
# compiled once per machine.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/strongroom/target}"
mkdir -p "$CARGO_TARGET_DIR"
