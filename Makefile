# Release benchmarks (DESIGN.md §8, benchmarks/RESULTS.md). Run as root from the repository root, on a quiet
# gateway-class machine: other load makes the figures meaningless.
#
#   make bench        every load scenario, five systems interleaved (≤ 30 min); appends to benchmarks/RESULTS.md
#   make bench-quick  the same scenarios and loads with short windows (≤ 5 min); report in benchmarks/target/bench/
#   make jmh          every JMH microbenchmark with fixed forks/iterations; appends a table to benchmarks/RESULTS.md
#   make deps         what the benchmarks need (JDK, iptables, HAProxy, Squid, ...): scripts/install-deps.sh
#   make build        the reactor, tests skipped (bench and bench-quick build only what they run: the daemon and
#                     the benchmarks, not the package)
#
# MVN_ARGS go to Maven, e.g. make bench-quick MVN_ARGS="-o -Dmaven.repo.local=/path/to/repo".

MVN_ARGS ?=
SHELL := /bin/bash

.PHONY: bench bench-quick jmh deps build bench-build

deps:
	scripts/install-deps.sh

build:
	source scripts/env.sh && ./mvnw -B -q $(MVN_ARGS) -DskipTests package

bench-build:
	source scripts/env.sh && ./mvnw -B -q $(MVN_ARGS) -DskipTests package -pl appliance,benchmarks -am

bench: deps bench-build
	scripts/load-bench.sh full --append-results benchmarks/RESULTS.md

bench-quick: deps bench-build
	scripts/load-bench.sh quick

jmh: bench-build
	scripts/jmh.sh
