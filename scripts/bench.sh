#!/usr/bin/env bash
# JMH microbenchmarks. Usage: scripts/bench.sh [JMH args, e.g. a benchmark name regex]
# Records JDK, kernel and CPU with the results (DESIGN.md §8); results go to benchmarks/target/jmh-*.json.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
cd "$ROOT"
# shellcheck source=env.sh
source scripts/env.sh
./mvnw -q -B -DskipTests -pl benchmarks -am package
out="benchmarks/target/jmh-$(date -u +%Y%m%dT%H%M%SZ).json"
echo "JDK: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1); kernel: $(uname -r);" \
     "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) x $(nproc)"
# The forked benchmark JVMs get the flags production gets (bin/clawgress-java), so numbers match the daemon.
jvm_args="--enable-native-access=ALL-UNNAMED"
if (( $(clawgress_java_major "$JAVA_HOME/bin/java") >= 24 )); then
    jvm_args+=" --sun-misc-unsafe-memory-access=allow"
fi
"$JAVA_HOME/bin/java" -jar benchmarks/target/benchmarks.jar -jvmArgsAppend "$jvm_args" -rf json -rff "$out" "$@"
echo "results: $out"
