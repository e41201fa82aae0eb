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
"$JAVA_HOME/bin/java" -jar benchmarks/target/benchmarks.jar -rf json -rff "$out" "$@"
echo "results: $out"
