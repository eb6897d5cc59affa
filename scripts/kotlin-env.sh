# Sourced by the Kotlin scripts: where kotlinc, the Kotlin runtime jars and JNA are.
KOTLIN_HOME="${KOTLIN_HOME:-$HOME/.cache/strongroom/npm/node_modules/kotlin-compiler}"
export KOTLINC="$KOTLIN_HOME/bin/kotlinc"
export KOTLIN_STDLIB="$KOTLIN_HOME/lib/kotlin-stdlib.jar"
export KOTLIN_TEST="$KOTLIN_HOME/lib/kotlin-test.jar"
export JNA_JAR="${JNA_JAR:-/usr/share/java/jna.jar}"
