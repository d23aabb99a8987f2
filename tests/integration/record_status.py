"""Record workload objects from the real test cluster into tests/data/status/<case>.json.

Run against a control plane started by ``tests/cluster/controlplane.py start`` (KUBECONFIG set):

    python tests/integration/record_status.py

It syncs the base example bundle with ``wlc sync --bundle``, adds a few variants with kubectl
(a training asking for 16 GPUs on 8-GPU nodes, a suspended and a resumed Job, a Deployment being
deleted, the Knative and KServe inference bundles), lets kwok and the controllers move them and
dumps each workload's members and pods as fetched by compiler/cluster/fetch.py. No training
operator, Knative or KServe controller runs in the test cluster: for those kinds the recorder
writes the status the controller would write through the status subresource (cases named
``*-op-*``), and says so in the file's ``note``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from compiler.cluster import fetch, kube

OUT = REPO / "tests" / "data" / "status"
NS = "view14-rec"


def kubectl(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run(["kubectl", *args], input=stdin, capture_output=True, text=True, check=False)
    if done.returncode:
        print(f"kubectl {' '.join(args)}: {done.stderr.strip()}", file=sys.stderr)
    return done.stdout


def retarget(path: Path, namespace: str, old: str = "", new: str = "", edits: tuple[tuple[str, str], ...] = ()) -> str:
    text = path.read_text()
    for ns in ("runai-nlp", "runai-recsys", "team-vision"):
        text = text.replace(f"namespace: {ns}\n", f"namespace: {namespace}\n")
    if old:
        text = text.replace(old, new)
    for a, b in edits:
        text = text.replace(a, b)
    return text


def strip(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    meta.pop("managedFields", None)
    return obj


def dump(client: kube.Kube, cases: dict[str, str], note: str = "") -> None:
    by_name = {(w.namespace, w.name): w for w in fetch.fetch(client)}
    for case, key in cases.items():
        ns, name = key.split("/")
        w = by_name[(ns, name)]
        data = {"note": note or "recorded from the test cluster by tests/integration/record_status.py",
                "workload": name, "namespace": ns, "type": w.type,
                "objects": [strip(o) for o in w.objects], "pods": [strip(p) for p in w.pods]}
        (OUT / f"{case}.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        print(f"{case}: {w.status()}")


def status_patch(kind: str, name: str, body: dict[str, Any], namespace: str = NS) -> None:
    kubectl("patch", kind, name, "-n", namespace, "--subresource=status", "--type=merge", "-p", json.dumps(body))


def cond(kind: str, status: str = "True", reason: str = "", message: str = "") -> dict[str, str]:
    return {"type": kind, "status": status, "reason": reason or kind, "message": message,
            "lastTransitionTime": "2026-12-01T21:00:00Z"}


def main() -> int:
    if not os.environ.get("KUBECONFIG"):
        print("set KUBECONFIG to a test cluster (tests/cluster/controlplane.py start)", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    client = kube.Kube(kube.load_configuration())
    subprocess.run([sys.executable, "-m", "compiler.cli", "sync", "--bundle", str(REPO / "tests/golden/base")],
                   check=True, cwd=REPO, capture_output=True)
    kubectl("create", "namespace", NS)
    golden = REPO / "tests" / "golden"
    big = retarget(golden / "base/runai-recsys/ranker-train.yaml", NS, "ranker-train", "big-train",
                   (("nvidia.com/gpu: 1", "nvidia.com/gpu: 16"), ("nvidia.com/gpu: '1'", "nvidia.com/gpu: '16'")))
    kubectl("apply", "--server-side", "-f", "-", stdin=big)
    for name in ("eval-sweep", "llm-pretrain", "tf-multiworker", "chat-grpc", "notebook-lb"):
        kubectl("apply", "--server-side", "-f", "-", stdin=retarget(golden / f"base/runai-nlp/{name}.yaml", NS))
    kubectl("apply", "--server-side", "-f", "-", stdin=retarget(golden / "base/runai-recsys/mpi-allreduce.yaml", NS))
    kn = retarget(golden / "knative/runai-nlp/chat-grpc.yaml", NS, "chat-grpc", "chat-kn")
    ks = retarget(golden / "kserve/runai-nlp/chat-grpc.yaml", NS, "chat-grpc", "chat-ks")
    for text in (kn, ks):
        kubectl("apply", "--server-side", "-f", "-", stdin=text)
    time.sleep(12)
    dump(client, {
        "job-completed": "runai-nlp/eval-sweep", "job-pending-node-affinity": "runai-nlp/tokenizer-batch",
        "job-pending-pvc": "team-vision/resnet-train", "job-no-pod": "runai-nlp/llama-finetune",
        "job-pending-gpus": f"{NS}/big-train", "statefulset-running": f"{NS}/notebook-lb",
        "statefulset-not-ready": "runai-nlp/notebook-lb", "deployment-not-ready": "runai-nlp/chat-grpc",
        "statefulset-stopped": "team-vision/stopped-notebook", "statefulset-pending-pvc": "team-vision/jupyter-explore",
        "deployment-running": f"{NS}/chat-grpc", "deployment-hpa-running": "runai-recsys/ranker-serving",
        "pytorchjob-no-operator": f"{NS}/llm-pretrain", "knative-no-controller": f"{NS}/chat-kn",
    })
    # a Job stopped (suspend) and resumed
    kubectl("patch", "job", "big-train", "-n", NS, "--type=merge", "-p", '{"spec":{"suspend":true}}')
    time.sleep(4)
    dump(client, {"job-stopped": f"{NS}/big-train"})
    kubectl("patch", "job", "big-train", "-n", NS, "--type=merge", "-p", '{"spec":{"suspend":false}}')
    dump(client, {"job-resumed": f"{NS}/big-train"})
    # a Deployment being deleted (a finalizer holds it)
    kubectl("patch", "deployment", "chat-grpc", "-n", NS, "--type=merge", "-p",
            '{"metadata":{"finalizers":["wlc.dev/test-hold"]}}')
    kubectl("delete", "deployment", "chat-grpc", "-n", NS, "--wait=false")
    dump(client, {"deployment-deleting": f"{NS}/chat-grpc"})
    kubectl("patch", "deployment", "chat-grpc", "-n", NS, "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
    # operator-written statuses (no operator runs here)
    note = "members from the test cluster; status written by the recorder through the status subresource"
    status_patch("pytorchjob", "llm-pretrain", {"status": {"conditions": [cond("Created"), cond("Running")]}})
    status_patch("tfjob", "tf-multiworker", {"status": {"conditions": [
        cond("Created"), cond("Running", "False"), cond("Succeeded", reason="TFJobSucceeded")]}})
    status_patch("mpijob", "mpi-allreduce", {"status": {"conditions": [
        cond("Created"), cond("Failed", reason="MPIJobFailed", message="launcher failed: exit code 1")]}})
    status_patch("service.serving.knative.dev", "chat-kn", {"status": {"conditions": [cond("Ready")]}})
    status_patch("inferenceservice", "chat-ks", {"status": {"conditions": [
        cond("Ready", "False", "RevisionMissing", "Revision chat-ks-predictor-00001 failed")]}})
    dump(client, {"pytorchjob-op-running": f"{NS}/llm-pretrain", "tfjob-op-succeeded": f"{NS}/tf-multiworker",
                  "mpijob-op-failed": f"{NS}/mpi-allreduce", "knative-op-ready": f"{NS}/chat-kn",
                  "kserve-op-not-ready": f"{NS}/chat-ks"}, note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
