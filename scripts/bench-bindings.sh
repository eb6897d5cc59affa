#!/usr/bin/env bash
# The binding micro-benchmarks, one after another in one run: the same workload in Rust
# (on the core directly), Python and Kotlin; prints each JSON line, then a table of the
# per-operation time in each language and what the boundary adds over Rust.
#   bash scripts/bench-bindings.sh [cards] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
cards="${1:-2000}"
rounds="${2:-5}"
out="$(mktemp)"
cargo run --release -q -p strongroom-ffi --example ops_baseline -- "$cards" "$rounds" | tee -a "$out"
bash bindings/python/run.sh bench "$cards" "$rounds" | tail -1 | tee -a "$out"
bash bindings/kotlin/run.sh bench "$cards" "$rounds" | tail -1 | tee -a "$out"
python3 - "$out" <<'PY'
import json, sys
rows = {r["language"]: r for r in map(json.loads, open(sys.argv[1]))}
rust = rows["rust"]
print(f"\n{'operation':<10} {'language':<8} {'ops/s':>10} {'µs/op':>8} {'vs Rust':>8} {'added µs/op':>12}")
for op in ("create", "retrieve", "call"):
    for lang in ("rust", "python", "kotlin"):
        ops = rows[lang][f"{op}_ops_s"]
        us = 1e6 / ops
        base = 1e6 / rust[f"{op}_ops_s"]
        print(f"{op:<10} {lang:<8} {ops:>10} {us:>8.2f} {us / base:>7.1f}× {us - base:>12.2f}")
PY
rm -f "$out"
