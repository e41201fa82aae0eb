#!/usr/bin/env bash
# The release load benchmark (benchmarks/RESULTS.md, DESIGN.md §8): direct, Clawgress on epoll and io_uring, HAProxy
# and Squid, interleaved, through the end-to-end TPROXY topology. Needs root and a build (make bench does both).
# Usage: scripts/load-bench.sh full|quick|smoke [--append-results benchmarks/RESULTS.md] [--scenarios a,b,c,d,e]
#        [--scale F] (every rate times F, for slower machines)
# Reports go to benchmarks/target/bench/<profile>-<time>/ (report.md, report.json, plots/).
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
cd "$ROOT"
profile="${1:?usage: scripts/load-bench.sh full|quick|smoke [options]}"
shift
if [[ "$(id -u)" != 0 ]]; then
    echo "load-bench: needs root (network namespaces, iptables TPROXY rules)" >&2
    exit 1
fi
# shellcheck source=env.sh
source scripts/env.sh
JAR=benchmarks/target/benchmarks.jar
[[ -f "$JAR" && -f appliance/target/clawgress-appliance.jar ]] ||
    { echo "load-bench: not built; run: make build (or ./mvnw -DskipTests package)" >&2; exit 1; }
read -r load1 _ < /proc/loadavg
busy=$(pgrep -c -f 'maven|surefire|failsafe' || true)
# make bench builds first, which alone lifts the 1-minute load average above 0.5 for a minute: for release numbers,
# wait (up to 2 minutes) for the machine to settle before deciding it is busy.
if [[ "$profile" == full ]] && ((busy == 0)); then
    for _ in $(seq 1 24); do
        awk -v l="$load1" 'BEGIN { exit !(l > 0.5) }' || break
        sleep 5
        read -r load1 _ < /proc/loadavg
    done
fi
echo "load-bench: profile $profile; load average $load1; other Maven/test JVMs running: $busy" >&2
if [[ "$profile" == full ]] && { awk -v l="$load1" 'BEGIN { exit !(l > 0.5) }' || ((busy > 0)); }; then
    echo "load-bench: WARNING: the machine is not quiet (load $load1, $busy build/test JVMs): figures from this run" \
         "are not release numbers; rerun when idle" >&2
fi
exec "$JAVA_HOME/bin/java" -Xmx1g --enable-native-access=ALL-UNNAMED -cp "$JAR" \
    io.clawgress.benchmarks.load.Bench --profile "$profile" "$@"
