#!/usr/bin/env bash
# Build (or reuse) metrics-server (sigs.k8s.io/metrics-server, the metrics.k8s.io API) from the Go
# wrapper module tests/cluster/go/metrics-server/, into a cache outside the repository, keyed by
# its version and the module's hashes:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/wlc/metrics-server/<version>_<sum>/metrics-server
# Usage: build-metrics-server.sh          build when missing, print the binary's path last
#        build-metrics-server.sh --bin    only print the binary's path (no Go needed)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
mod=$here/go/metrics-server
sum=$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-12)
out=${XDG_CACHE_HOME:-$HOME/.cache}/wlc/metrics-server/${METRICS_SERVER_VERSION}_$sum/metrics-server
if [[ ${1:-} == --bin || -x $out ]]; then
  echo "$out"
  exit 0
fi
command -v go >/dev/null || { echo "build.sh: no Go toolchain on PATH" >&2; exit 127; }
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
mkdir -p "$(dirname "$out")"
exec 9>"$(dirname "$out")/.lock"
flock 9
rm -rf "$(dirname "$out")"/.build.*
if [[ ! -x $out ]]; then
  start=$(date +%s)
  echo "build.sh: build metrics-server $METRICS_SERVER_VERSION ..."
  tmp=$(mktemp -d "$(dirname "$out")/.build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT  # also on Ctrl-C: no .build.* folder is left in the cache
  (cd "$mod" && go build -trimpath -pgo=off -ldflags="-s -w" -o "$tmp/metrics-server" \
    sigs.k8s.io/metrics-server/cmd/metrics-server) || { rm -rf "$tmp"; exit 1; }
  mv -f "$tmp/metrics-server" "$out"
  rmdir "$tmp"
  echo "build.sh: build metrics-server $METRICS_SERVER_VERSION: $(( $(date +%s) - start ))s (exit 0)"
fi
echo "$out"
