#!/usr/bin/env bash
# Build (or reuse) yamlcheck, the sigs.k8s.io/yaml reader the emitter tests compare against.
# The binary goes to a cache outside the repository, keyed by go.mod, go.sum, the source and
# the Go version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/wlc/yamlcheck/<key>/yamlcheck
# Usage: build.sh          build when missing, print the binary's path on the last line
#        build.sh --path   only print the path (needs Go for the key)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v go >/dev/null || { echo "yamlcheck/build.sh: no Go toolchain on PATH" >&2; exit 127; }
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly

key=$( { go env GOVERSION; cat "$here/go.mod" "$here/go.sum" "$here"/*.go; } | sha256sum | cut -c1-16)
dir=${XDG_CACHE_HOME:-$HOME/.cache}/wlc/yamlcheck/$key
bin=$dir/yamlcheck
if [[ ${1:-} == --path ]]; then
  echo "$bin"
  exit 0
fi
if [[ ! -x $bin ]]; then
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/.build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT  # a failed or interrupted build leaves no .build.* folder
  (cd "$here" && go build -trimpath -ldflags="-s -w" -o "$tmp/yamlcheck" .)
  mv -f "$tmp/yamlcheck" "$bin"   # atomic: a concurrent build never sees half a binary
  rmdir "$tmp"
  echo "yamlcheck/build.sh: built $bin" >&2
fi
echo "$bin"
