#!/usr/bin/env bash
# The whole test suite: unit tests (JUnit, Netty paranoid leak detection), then the end-to-end tests that run the
# real clawgressd behind real TPROXY rules in network namespaces (they need root). Extra arguments go to Maven.
# With CI=true a missing privilege or tool fails the end-to-end tests instead of skipping them.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
cd "$ROOT"
if [[ "$(id -u)" == 0 ]]; then
    scripts/install-deps.sh
else
    echo "test: not root, so the end-to-end tests will be skipped (loudly; under CI=true they fail)" >&2
fi
# shellcheck source=env.sh
source scripts/env.sh
exec ./mvnw -B verify "$@"
