#!/usr/bin/env bash
# Build (or reuse) Kueue's manager from the Go wrapper module in mod/ (its go.mod sits one
# folder down so that tests/cluster/build.sh's control-plane cache key, a hash of
# go/*/go.mod, does not change with Kueue's version). The binary goes to a cache outside the
# repository, keyed by the module's go.mod and go.sum:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/wlc/kueue/<key>/bin/kueue
# Usage: build.sh            build when missing, print the bin dir on the last line
#        build.sh --bin-dir  only print the bin dir (no Go needed)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
key=$(cat "$here/mod/go.mod" "$here/mod/go.sum" 2>/dev/null | sha256sum | cut -c1-12)
BIN_DIR=${WLC_KUEUE_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/wlc/kueue/kueue-$(awk '$1 == "sigs.k8s.io/kueue" {print $2}' "$here/mod/go.mod")_$key/bin}
if [[ ${1:-} == --bin-dir ]]; then
  echo "$BIN_DIR"
  exit 0
fi
command -v go >/dev/null || { echo "kueue/build.sh: no Go toolchain on PATH" >&2; exit 127; }
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
mkdir -p "$BIN_DIR"
exec 9>"$BIN_DIR/.lock"
flock 9
if [[ -x $BIN_DIR/kueue ]]; then
  echo "$BIN_DIR"
  exit 0
fi
start=$(date +%s)
echo "build.sh: build kueue $(awk '$1 == "sigs.k8s.io/kueue" {print $2}' "$here/mod/go.mod") ..."  # the step line the test fixture shows
tmp=$(mktemp -d "$BIN_DIR/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$here/mod" && go build -trimpath -pgo=off -ldflags="-s -w" -o "$tmp/kueue" sigs.k8s.io/kueue/cmd/kueue)
mv -f "$tmp/kueue" "$BIN_DIR/kueue"
echo "kueue/build.sh: built in $(( $(date +%s) - start ))s"
echo "$BIN_DIR"
