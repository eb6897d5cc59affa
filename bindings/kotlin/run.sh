#!/usr/bin/env bash
# Builds the jar from scratch (build.sh), then compiles and runs one of:
#   bash bindings/kotlin/run.sh test      # the test suite (and the build's patch script's)
#   bash bindings/kotlin/run.sh example   # the seed flow example
#   bash bindings/kotlin/run.sh bench     # the micro-benchmark (not a test)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$root/scripts/kotlin-env.sh"
bash "$here/build.sh"
jar="$here/build/strongroom.jar"

run() { # run <source dir> <main class> [args…]
    local src="$1" main="$2"
    shift 2
    "$KOTLINC" -nowarn -jvm-target 17 -cp "$jar:$JNA_JAR:$KOTLIN_TEST" -d "$here/build/$(basename "$src")" \
        $(find "$src" -name '*.kt')
    java -cp "$here/build/$(basename "$src"):$jar:$JNA_JAR:$KOTLIN_STDLIB:$KOTLIN_TEST" "$main" "$@"
}

case "${1:-test}" in
    test)
        python3 -m unittest discover -q -s "$here/tests/scripts" # the build's patch script
        run "$here/tests" io.strongroom.tests.HarnessKt ;;
    example) run "$here/examples" io.strongroom.examples.SeedFlowKt ;;
    bench) run "$here/bench" io.strongroom.bench.BenchKt "${@:2}" ;;
    *) echo "usage: $0 test|example|bench" >&2; exit 2 ;;
esac
