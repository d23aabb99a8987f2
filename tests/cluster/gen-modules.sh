#!/usr/bin/env bash
# Regenerate the Go wrapper modules under tests/cluster/go/ from versions.env.
# Run by hand after changing a version; the result (go.mod, go.sum) is committed.
# The staging replace list comes from the release's own go.mod, served by the Go module proxy.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
GO_DIRECTIVE=${GO_DIRECTIVE:-1.26.0}

fresh_module() { # dir module-path
  rm -f "$1/go.mod" "$1/go.sum"
  (cd "$1" && go mod init "$2" >/dev/null 2>&1 && go mod edit -go="$GO_DIRECTIVE")
}

gen_controlplane() {
  local dir=$here/go/controlplane stg=v0.${K8S_VERSION#v1.} gomod m
  fresh_module "$dir" testbin.local/controlplane
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  # Replaces first: without them `go get` asks the proxy for k8s.io/api@v0.0.0.
  for m in $(sed -n 's|^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/.*|\1|p' "$gomod"); do
    (cd "$dir" && go mod edit -replace="$m=$m@$stg")
  done
  (cd "$dir" && go get -tool \
    "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-controller-manager@$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-scheduler@$K8S_VERSION" && go mod tidy)
}

gen_etcd() {
  local dir=$here/go/etcd
  fresh_module "$dir" testbin.local/etcd
  (cd "$dir" && go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION" && go mod tidy)
}

gen_kwok() {
  local dir=$here/go/kwok
  fresh_module "$dir" testbin.local/kwok
  (cd "$dir" && go get -tool "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" && go mod tidy)
}

for part in "${@:-controlplane etcd kwok}"; do
  for p in $part; do
    start=$(date +%s)
    "gen_$p"
    echo "gen $p: $(( $(date +%s) - start ))s"
  done
done
