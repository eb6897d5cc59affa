#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each for a fixed time.
#   bash scripts/fuzz.sh [seconds per target, default 30]
# Stable toolchain: `--sanitizer none` (no `-Zsanitizer`), so cargo-fuzz needs no
# nightly; libFuzzer's coverage instrumentation (sancov) works on stable. The targets
# check their properties with assertions, which is what finds bugs here (safe Rust: no
# memory errors for a sanitizer to find). Seed corpora are in fuzz/seeds/<target>; new
# inputs go to fuzz/corpus/<target> (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked -q cargo-fuzz@0.13.2
cd fuzz
targets=(envelope_open seal_roundtrip record_decode card_parsing vault_ops)
cargo fuzz build --sanitizer none -O
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    printf '%-16s ' "$t"
    if ! cargo fuzz run --sanitizer none -O "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
        # A failing input: show libFuzzer's report (the panic, the artifact's path).
        echo "FAILED"
        tail -n 40 "$log" >&2
        exit 1
    fi
    grep -E "stat::number_of_executed_units|^#.*DONE" "$log" | tr -s ' ' | tr '\n' ' '
    echo
done
