#!/usr/bin/env bash
# Builds the wheel (release profile, shared target dir: RocksDB is not rebuilt), installs it
# into a virtualenv under ~/.cache/strongroom, then runs one of:
#   bash bindings/python/run.sh test      # the pytest suite
#   bash bindings/python/run.sh example   # the seed flow example
#   bash bindings/python/run.sh bench     # the micro-benchmark (not a test)
#   bash bindings/python/run.sh bench-peer # against SQLCipher from Python (installs sqlcipher3-binary)
#   bash bindings/python/run.sh cold-create # creates back to back vs after an idle pause (not a test)
#   bash bindings/python/run.sh bench-records # records read and written in one step vs the generated converters (not a test)
#   bash bindings/python/run.sh wheel     # only build the wheel (printed path)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$root/scripts/env.sh"

bash "$root/scripts/setup.sh" --bindings
venv="$HOME/.cache/strongroom/venv"

wheels="$CARGO_TARGET_DIR/wheels"
rm -rf "$wheels"
# Only grep's "no line left" is ignored: a failing maturin fails here, with its output.
(cd "$here" && "$venv/bin/maturin" build -q -o "$wheels" 2>&1 | { grep -v "old-style --config" || true; })
wheel=$(ls "$wheels"/strongroom-*.whl)
"$venv/bin/pip" install -q --force-reinstall --no-deps "$wheel"

case "${1:-test}" in
    test) cd "$here/tests" && "$venv/bin/python" -m pytest -q -p no:cacheprovider ;;
    example) "$venv/bin/python" "$here/examples/seed_flow.py" ;;
    bench) "$venv/bin/python" "$here/bench/bench.py" "${@:2}" ;;
    bench-peer)
        "$venv/bin/python" -c "import sqlcipher3" 2>/dev/null || "$venv/bin/pip" install -q "sqlcipher3-binary>=0.6,<0.7"
        "$venv/bin/python" "$here/bench/peer_sqlcipher.py" "${@:2}" ;;
    cold-create) "$venv/bin/python" "$here/bench/cold_create.py" "${@:2}" ;;
    bench-records) "$venv/bin/python" "$here/bench/records_ab.py" "${@:2}" ;;
    wheel) echo "$wheel" ;;
    *) echo "usage: $0 test|example|bench|bench-peer|cold-create|bench-records|wheel" >&2; exit 2 ;;
esac
