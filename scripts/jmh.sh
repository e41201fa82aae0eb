#!/usr/bin/env bash
# Every JMH microbenchmark with fixed forks and iterations (make jmh), then a table appended to benchmarks/RESULTS.md
# (io.clawgress.benchmarks.JmhTable; JMH_RESULTS_FILE names another file). Extra arguments go to JMH (e.g. a
# benchmark regex to run a subset).
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
cd "$ROOT"
# shellcheck source=env.sh
source scripts/env.sh
JAR=benchmarks/target/benchmarks.jar
[[ -f "$JAR" ]] || { echo "jmh: $JAR missing; run: make build" >&2; exit 1; }
out="benchmarks/target/jmh-all-$(date -u +%Y%m%dT%H%M%SZ).json"
# The forked benchmark JVMs get the flags production gets (bin/clawgress-java).
jvm_args="--enable-native-access=ALL-UNNAMED"
if (( CLAWGRESS_JAVA_MAJOR >= 24 )); then
    jvm_args+=" --sun-misc-unsafe-memory-access=allow"
fi
params=(-f 1 -wi 3 -i 5 -w 1s -r 1s -bm avgt -tu ns -prof gc)
"$JAVA_HOME/bin/java" -jar "$JAR" "${params[@]}" -jvmArgsAppend "$jvm_args" -rf json -rff "$out" "$@"
results_file="${JMH_RESULTS_FILE:-benchmarks/RESULTS.md}"
"$JAVA_HOME/bin/java" -cp "$JAR" io.clawgress.benchmarks.JmhTable "$out" "$results_file" \
    "make jmh (java -jar $JAR ${params[*]} $*)"
echo "jmh: results $out, table appended to $results_file" >&2
