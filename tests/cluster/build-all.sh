#!/usr/bin/env bash
# Build (or reuse from the cache outside the repository) every Go part the tests run against:
# the control plane, the Go YAML reader, the Kubeflow operators, Kueue and metrics-server.
# Each build script keeps its own cache folder keyed by versions and module hashes, so a warm
# run takes seconds. A cold run is CPU-bound; one `go build` leaves a core idle while it links
# or waits on one big package, so the parts build in two lanes at once, sharing Go's module and
# build caches (both safe for concurrent use). Every line is prefixed with its lane; each part
# ends with a line giving its wall and CPU seconds.
# Usage: build-all.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

run_lane() { # name part...: build the parts one after another, stop at the first failure
  local name=$1 part
  shift
  for part in "$@"; do
    TIMEFORMAT="build-all: $part: %0Rs wall, %0Us user + %0Ss sys CPU"
    time bash "$part" 2>&1 || return $?
  done 2>&1 | sed -u "s/^/[$name] /"
  return "${PIPESTATUS[0]}"
}

start=$(date +%s)
run_lane controlplane tests/cluster/build.sh tests/cluster/build-metrics-server.sh &
lane_a=$!
run_lane operators tests/yamlcheck/build.sh tests/cluster/build-operators.sh tests/cluster/go/kueue/build.sh &
lane_b=$!
rc=0
wait "$lane_a" || rc=$?
wait "$lane_b" || rc=$?
echo "build-all: every Go part ready in $(( $(date +%s) - start ))s (exit $rc)"
exit "$rc"
