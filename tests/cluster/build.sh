#!/usr/bin/env bash
# Build (or reuse) etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok (and
# kwokstages, which prints kwok's default stages) from the
# Go wrapper modules in tests/cluster/go/. Binaries go to a cache outside the repository:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/wlc/controlplane/<versions-key>/bin
# Usage: build.sh            build what is missing, print the bin dir on the last line
#        build.sh --bin-dir  only print the bin dir (no Go needed)
#        build.sh --force    rebuild everything
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

versions_key() {
  local sum
  # Only the control plane's modules (the operators in go/ have their own key: build-operators.sh).
  sum=$(cat "$here"/go/{controlplane,etcd,kwok}/go.mod "$here"/go/{controlplane,etcd,kwok}/go.sum |
    sha256sum | cut -c1-12)
  echo "k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_${sum}"
}

BIN_DIR=${WLC_CONTROLPLANE_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/wlc/controlplane/$(versions_key)/bin}

if [[ ${1:-} == --bin-dir ]]; then
  echo "$BIN_DIR"
  exit 0
fi
force=0
[[ ${1:-} == --force ]] && force=1

command -v go >/dev/null || { echo "build.sh: no Go toolchain on PATH" >&2; exit 127; }
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
mkdir -p "$BIN_DIR"
# One build at a time per cache folder (CI's build and a test fixture may race); then the
# temporary folders of an earlier build that was killed are ours to remove.
exec 9>"$BIN_DIR/.lock"
flock 9
rm -rf "$BIN_DIR"/.build.*
trap 'rm -rf "$BIN_DIR"/.build.*' EXIT

have() { # binary...: true when every binary exists and runs
  local b
  ((force)) && return 1
  for b in "$@"; do "$BIN_DIR/$b" --version >/dev/null 2>&1 || return 1; done
}

step() { # name command...: run a step and print its duration
  local name=$1 start rc=0
  shift
  start=$(date +%s)
  echo "build.sh: $name ..."
  "$@" || rc=$?
  echo "build.sh: $name: $(( $(date +%s) - start ))s (exit $rc)"
  return "$rc"
}

gobuild() { # module-dir out-dir ldflags package...
  local dir=$1 out=$2 ldflags=$3
  shift 3
  (cd "$here/go/$dir" && go build -trimpath -pgo=off -tags=selinux,notest \
    -ldflags="-s -w $ldflags" -o "$out/" "$@")
}

install_built() { # tmp-dir: move freshly built binaries into BIN_DIR atomically
  local f
  for f in "$1"/*; do mv -f "$f" "$BIN_DIR/$(basename "$f")"; done
  rmdir "$1"
}

build_kube() {
  local v=$K8S_VERSION minor=${K8S_VERSION#v1.} tmp
  minor=${minor%%.*}
  local ld="" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  tmp=$(mktemp -d "$BIN_DIR/.build.XXXXXX")
  gobuild controlplane "$tmp" "$ld" k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler || return
  install_built "$tmp"
}

build_etcd() {
  local tmp
  tmp=$(mktemp -d "$BIN_DIR/.build.XXXXXX")
  gobuild etcd "$tmp" "-X go.etcd.io/etcd/api/v3/version.GitSHA=module-$ETCD_VERSION" \
    go.etcd.io/etcd/server/v3 || return
  mv "$tmp/server" "$tmp/etcd"
  install_built "$tmp"
}

build_kwok() {
  local tmp
  tmp=$(mktemp -d "$BIN_DIR/.build.XXXXXX")
  gobuild kwok "$tmp" "-X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" \
    sigs.k8s.io/kwok/cmd/kwok ./kwokstages || return
  install_built "$tmp"
}

download() {
  local d
  for d in controlplane etcd kwok; do (cd "$here/go/$d" && go mod download) || return; done
}

total_start=$(date +%s)
echo "build.sh: $(go version); bin dir $BIN_DIR"
if have etcd kube-apiserver kube-controller-manager kube-scheduler kwok kwokstages; then
  echo "build.sh: all binaries present, reusing"
else
  step "download modules" download
  have etcd || step "build etcd $ETCD_VERSION" build_etcd
  have kwok kwokstages || step "build kwok $KWOK_VERSION" build_kwok
  have kube-apiserver kube-controller-manager kube-scheduler ||
    step "build kube-apiserver, kube-controller-manager, kube-scheduler $K8S_VERSION" build_kube
fi
# Functions called as `a || step ...` run without errexit, so check the result itself: a step
# that failed must never end in the bin-dir line that callers wait for.
force=0
if ! have etcd kube-apiserver kube-controller-manager kube-scheduler kwok kwokstages; then
  echo "build.sh: a build step failed: binaries are missing in $BIN_DIR (see the lines above)" >&2
  exit 1
fi
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
  printf 'build.sh: %-24s %s\n' "$b" "$("$BIN_DIR/$b" --version 2>&1 | head -1)"
done
echo "build.sh: total $(( $(date +%s) - total_start ))s"
echo "$BIN_DIR"
