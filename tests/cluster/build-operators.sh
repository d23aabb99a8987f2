#!/usr/bin/env bash
# Build (or reuse) the Kubernetes operators the cluster tests run against the local control
# plane, from the Go wrapper modules in tests/cluster/go/<operator>/:
#   training-operator  github.com/kubeflow/training-operator (kubeflow.org/v1 PyTorchJob, TFJob)
#   mpi-operator       github.com/kubeflow/mpi-operator (kubeflow.org/v2beta1 MPIJob), when present
# Each binary goes to a cache outside the repository, keyed by its version and module hashes:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/wlc/operators/<operator>-<version>_<sum>/<operator>
# Usage: build-operators.sh [OPERATOR...]          build what is missing (default: all modules)
#        build-operators.sh --bin OPERATOR         only print the binary's path (no Go needed)
# Step lines use build.sh's `build.sh: ...` format, which the test fixture shows as progress.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/wlc/operators

declare -A VERSION=([training-operator]=${TRAINING_OPERATOR_VERSION:-} [mpi-operator]=${MPI_OPERATOR_VERSION:-})
declare -A PACKAGE=(
  [training-operator]=github.com/kubeflow/training-operator/cmd/training-operator.v1
  [mpi-operator]=github.com/kubeflow/mpi-operator/cmd/mpi-operator
)

binary() { # operator: the cached binary's path
  local sum
  sum=$(cat "$here/go/$1/go.mod" "$here/go/$1/go.sum" | sha256sum | cut -c1-12)
  echo "$CACHE/$1-${VERSION[$1]}_$sum/$1"
}

if [[ ${1:-} == --bin ]]; then
  binary "$2"
  exit 0
fi

step() { # name command...: run a step and print its duration
  local name=$1 start rc=0
  shift
  start=$(date +%s)
  echo "build.sh: $name ..."
  "$@" || rc=$?
  echo "build.sh: $name: $(( $(date +%s) - start ))s (exit $rc)"
  return "$rc"
}

building="" # the temporary folder of the build under way: removed however the script ends (Ctrl-C too)
trap '[[ -z $building ]] || rm -rf "$building"' EXIT

build_one() { # operator
  local op=$1 out tmp
  out=$(binary "$op")
  mkdir -p "$(dirname "$out")"
  tmp=$(mktemp -d "$(dirname "$out")/.build.XXXXXX")
  building=$tmp
  (cd "$here/go/$op" && go mod download && go build -trimpath -pgo=off \
    -ldflags="-s -w" -o "$tmp/$op" "${PACKAGE[$op]}") || { rm -rf "$tmp"; return 1; }
  mv -f "$tmp/$op" "$out"
  rmdir "$tmp"
  building=""
}

ops=("$@")
if ((${#ops[@]} == 0)); then
  for op in training-operator mpi-operator; do [[ -f $here/go/$op/go.mod ]] && ops+=("$op"); done
fi
total_start=$(date +%s)
for op in "${ops[@]}"; do
  [[ -n ${VERSION[$op]:-} ]] || { echo "build.sh: unknown operator $op" >&2; exit 2; }
  out=$(binary "$op")
  if [[ -x $out ]]; then
    echo "build.sh: $op ${VERSION[$op]} present, reusing $out"
    continue
  fi
  command -v go >/dev/null || { echo "build.sh: no Go toolchain on PATH" >&2; exit 127; }
  export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
  mkdir -p "$(dirname "$out")"
  exec 9>"$(dirname "$out")/.lock"
  flock 9  # CI's build and a test fixture may race
  rm -rf "$(dirname "$out")"/.build.*
  [[ -x $out ]] || step "build $op ${VERSION[$op]}" build_one "$op"
  exec 9>&-
done
echo "build.sh: operators total $(( $(date +%s) - total_start ))s"
for op in "${ops[@]}"; do binary "$op"; done
