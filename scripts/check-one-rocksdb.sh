#!/usr/bin/env bash
# Fails when the cargo selections that the tests, the bindings and the demo build would
# each compile RocksDB's C++ again (12-35 minutes on two cores). RocksDB is compiled by the
# build script of librocksdb-sys, whose hash covers the features of everything it is built
# with, including bindgen's build-time dependencies; those features are unified over the
# packages selected, so `-p strongroom-ffi` (maturin) can resolve differently from the
# workspace. Compares librocksdb-sys's dependency tree, with features, per selection, with
# and without dev-dependencies (the tests, clippy --all-targets and the examples build them).
# Its normal dependencies are compared too, though only a change on the build side recompiles
# the C++: a false alarm costs a look, a miss costs 12-35 minutes per fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# The librocksdb-sys subtree of `cargo tree` for one selection: each package with features.
# `--no-dedupe`: otherwise a package printed earlier in the tree is cut short below.
rocksdb_subtree() {
    cargo tree -q --no-dedupe "$@" --prefix depth -f '{p} [{f}]' | awk '
        /^[0-9]+librocksdb-sys / { match($0, /^[0-9]+/); root = substr($0, 1, RLENGTH) + 0; inside = 1; print substr($0, RLENGTH + 1); next }
        inside { match($0, /^[0-9]+/); if (substr($0, 1, RLENGTH) + 0 <= root) { inside = 0; next } print substr($0, RLENGTH + 1) }
    ' | sed 's/ (\*)$//' | sort -u
}

reference=$(rocksdb_subtree --workspace -e normal,build)
[ -n "$reference" ] || { echo "check-one-rocksdb: librocksdb-sys not found in the workspace tree" >&2; exit 1; }
status=0
# What scripts/test.sh, the bindings' run.sh (maturin: `-p strongroom-ffi`; Kotlin: with the
# bindgen binary) and the demo build, besides the workspace.
for packages in "--workspace" "-p strongroom-ffi" "-p strongroom-ffi -p uniffi-bindgen" "-p strongroom-cli" "-p strongroom-core" "-p strongroom-benches"; do
    for edges in normal,build normal,build,dev; do
        selection="$packages -e $edges"
        # shellcheck disable=SC2086 # a selection is several words on purpose
        if ! difference=$(diff <(echo "$reference") <(rocksdb_subtree $selection)); then
            echo "check-one-rocksdb: \`$selection\` resolves librocksdb-sys differently from the workspace (< workspace, > $selection):" >&2
            echo "$difference" >&2
            status=1
        fi
    done
done
[ "$status" -eq 0 ] && echo "one RocksDB build: every selection resolves librocksdb-sys like the workspace"
exit "$status"
