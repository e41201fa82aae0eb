#!/usr/bin/env bash
# Builds the .deb twice from clean (./mvnw clean package -pl deb -am, tests skipped) and compares the two sha256 sums:
# the whole chain (compiled classes, jars, generated man pages, the package) must be reproducible from one commit.
# Extra arguments go to Maven (e.g. -o -Dmaven.repo.local=...). Takes a few minutes; not part of ./mvnw verify,
# which checks the packaging step alone (tests/check-deb.sh rebuilds the package from the same build tree).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=SCRIPTDIR/../../scripts/env.sh
source scripts/env.sh
OUT=$(mktemp -d /tmp/clawgress-reproducible.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
sums=()
for i in 1 2; do
    echo "reproducible-build: build $i" >&2
    ./mvnw -B -q clean package -DskipTests -pl deb -am "$@" >"$OUT/build-$i.log" 2>&1 ||
        { tail -n 40 "$OUT/build-$i.log" >&2; echo "reproducible-build: build $i failed" >&2; exit 1; }
    deb=$(ls deb/target/clawgress_*_amd64.deb)
    cp "$deb" "$OUT/$i.deb"
    sums+=("$(sha256sum <"$deb" | cut -d' ' -f1)")
    echo "reproducible-build: build $i: ${deb##*/} sha256 ${sums[-1]}"
done
if [[ "${sums[0]}" == "${sums[1]}" ]]; then
    echo "reproducible-build: identical"
else
    echo "reproducible-build: DIFFERENT" >&2
    if command -v diffoscope >/dev/null; then diffoscope "$OUT/1.deb" "$OUT/2.deb" | head -80 >&2; fi
    exit 1
fi
