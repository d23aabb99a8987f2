// Command kwokstages prints kwok's own default Stage documents (node initialize, node heartbeat
// with lease, pod ready, pod complete, pod delete) as one YAML stream for `kwok --config`.
// The kwok binary loads no stages by itself; kwokctl assembles this same set from these packages.
package main

import (
	"fmt"
	"os"
	"strings"

	nodefast "sigs.k8s.io/kwok/kustomize/stage/node/fast"
	nodelease "sigs.k8s.io/kwok/kustomize/stage/node/heartbeat-with-lease"
	podfast "sigs.k8s.io/kwok/kustomize/stage/pod/fast"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Println("kwokstages: default stages of sigs.k8s.io/kwok")
		return
	}
	docs := []string{
		nodefast.DefaultNodeInit,
		nodelease.DefaultNodeHeartbeatWithLease,
		podfast.DefaultPodReady,
		podfast.DefaultPodComplete,
		podfast.DefaultPodDelete,
	}
	for _, doc := range docs {
		fmt.Print("---\n" + strings.TrimSpace(doc) + "\n")
	}
}
