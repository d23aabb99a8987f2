#!/usr/bin/env bash
# Build (or reuse from the cache outside the repository) every Go part the tests run against:
# the control plane, the Go YAML reader, the Kubeflow operators, Kueue and metrics-server.
# Each build script keeps its own cache folder keyed by versions and module hashes, so a warm
# run takes seconds. A cold run is CPU-bound; one `go build` leaves a core idle while it links
# or waits on one big package, so the parts build two at a time, sharing Go's module and build
# caches (both safe for concurrent use). Every line is prefixed with its worker; each part
# ends with a line giving its wall and CPU seconds.
# Usage: build-all.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# The parts, longest first: two workers each take the next part nobody has taken yet (a claim is
# an atomic mkdir), so whichever worker is free first builds the next one and neither core waits
# on a lane planned in advance.
parts=(tests/cluster/build.sh tests/yamlcheck/build.sh tests/cluster/build-operators.sh
       tests/cluster/go/kueue/build.sh tests/cluster/build-metrics-server.sh)
claims=$(mktemp -d)
trap 'rm -rf "$claims"' EXIT

worker() { # name: build unclaimed parts one after another, stop at the first failure
  local name=$1 i
  for i in "${!parts[@]}"; do
    mkdir "$claims/$i" 2>/dev/null || continue
    TIMEFORMAT="build-all: ${parts[$i]}: %0Rs wall, %0Us user + %0Ss sys CPU"
    time bash "${parts[$i]}" 2>&1 || { touch "$claims/failed"; return 1; }
    [[ ! -e $claims/failed ]] || return 1
  done 2>&1 | sed -u "s/^/[$name] /"
  return "${PIPESTATUS[0]}"
}

start=$(date +%s)
worker lane1 &
lane_a=$!
worker lane2 &
lane_b=$!
rc=0
wait "$lane_a" || rc=$?
wait "$lane_b" || rc=$?
if [[ $rc == 0 ]]; then echo "build-all: every Go part ready in $(( $(date +%s) - start ))s"; else echo "build-all: a part failed (exit $rc) after $(( $(date +%s) - start ))s"; fi
exit "$rc"
