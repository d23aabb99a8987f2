"""Each kubeflow.org/v1 distributed example, built by wlc, reconciled by the real Kubeflow training
operator (v1.9.3, tests/cluster/operators.py) on the local control plane: the operator accepts
the bundle through its validating webhook, creates the pods and Services Run:ai users expect
(replica counts, master/worker and chief/PS/worker roles, the rendezvous environment it sets:
MASTER_ADDR, WORLD_SIZE, RANK, TF_CONFIG, XGBoost's WORKER_ADDRS; GPUs per pod), the scheduler puts them on kwok GPU
nodes of the workload's node pools, and the job goes Succeeded once its pods have succeeded
(kwok completes only pods of batch Jobs, so the test sets the pod status itself)."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from controlplane import Cluster
from operators import Operator

from compiler import pipeline
from tests.integration.operators_fixture import training_operator

__all__ = ["training_operator"]  # the session fixture, imported to be found by pytest
pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]
JOB_LABEL = "training.kubeflow.org/job-name"
ROLE_LABEL = "training.kubeflow.org/replica-type"
INDEX_LABEL = "training.kubeflow.org/replica-index"
POOL = "run.ai/node-pool"


@dataclass(frozen=True)
class Expect:
    """What a Run:ai user expects from the example file (roles -> replicas, GPUs per pod)."""

    kind: str
    replicas: dict[str, int]
    gpus: dict[str, int]
    container: str

    @property
    def pods(self) -> int:
        return sum(self.replicas.values())


# Read from examples/workloads/**: workers, tfReplicas.ps, master (chief) and its compute override.
EXPECT = {
    "llm-pretrain": Expect("PyTorchJob", {"master": 1, "worker": 3}, {"master": 4, "worker": 4}, "pytorch"),
    "ddp-segmentation": Expect("PyTorchJob", {"worker": 4}, {"worker": 2}, "pytorch"),
    "elastic-finetune": Expect("PyTorchJob", {"worker": 3}, {"worker": 2}, "pytorch"),
    "tf-parameter-server": Expect(
        "TFJob", {"chief": 1, "ps": 2, "worker": 4}, {"chief": 0, "ps": 1, "worker": 1}, "tensorflow"),
    "tf-multiworker": Expect("TFJob", {"worker": 2}, {"worker": 1}, "tensorflow"),
    "xgboost-ranker": Expect("XGBoostJob", {"master": 1, "worker": 3}, {"master": 1, "worker": 1}, "xgboost"),
}


@pytest.fixture(scope="module")
def built() -> pipeline.Result:
    res = pipeline.build(REPO)
    assert res.ok, [p.text() for p in res.problems]
    return res


def bundle_objects(res: pipeline.Result, name: str) -> list[dict[str, Any]]:
    found = next(b for b in res.bundles if b.name == name)
    return list(yaml.safe_load_all(res.files[found.relpath]))


def apply(cluster: Cluster, objects: list[dict[str, Any]]) -> None:
    cluster.kubectl("apply", "--server-side", "--field-manager=wlc", "-f", "-",
                    input=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))


def read_only_volume(cluster: Cluster, ns: str, claim: str) -> None:
    """A bound PV/PVC pair for a data source (the test cluster runs no volume controller)."""
    pv = f"{ns}-{claim}"
    apply(cluster, [
        {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": pv},
         "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadOnlyMany"],
                  "hostPath": {"path": "/data"}, "storageClassName": "",
                  "claimRef": {"namespace": ns, "name": claim}}},
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
         "metadata": {"name": claim, "namespace": ns, "annotations": {"pv.kubernetes.io/bind-completed": "yes"}},
         "spec": {"accessModes": ["ReadOnlyMany"], "storageClassName": "", "volumeName": pv,
                  "resources": {"requests": {"storage": "1Gi"}}}},
    ])
    cluster.kubectl("patch", "pv", pv, "--subresource=status", "--type=merge",
                    "-p", '{"status":{"phase":"Bound"}}')
    cluster.kubectl("patch", "pvc", claim, "-n", ns, "--subresource=status", "--type=merge",
                    "-p", '{"status":{"phase":"Bound","accessModes":["ReadOnlyMany"],"capacity":{"storage":"1Gi"}}}')


def claims(job: dict[str, Any]) -> set[str]:
    specs = next(v for k, v in job["spec"].items() if k.endswith("ReplicaSpecs"))
    return {vol["persistentVolumeClaim"]["claimName"] for spec in specs.values()
            for vol in spec["template"]["spec"].get("volumes", []) if "persistentVolumeClaim" in vol}


def wait_for(what: str, ok: Any, op: Operator, timeout: float = 180) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = ok()
        if value:
            return value
        assert op.proc.alive(), f"the operator exited:\n{op.log_tail()}"
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}\noperator log:\n{op.log_tail(20)}")


def scheduled_pods(cluster: Cluster, ns: str, name: str, count: int) -> list[dict[str, Any]] | None:
    pods: list[dict[str, Any]] = cluster.kubectl_json("get", "pods", "-n", ns, "-l", f"{JOB_LABEL}={name}")["items"]
    if len(pods) == count and all(p["spec"].get("nodeName") for p in pods):
        return pods
    return None


def env_of(pod: dict[str, Any], container: str) -> dict[str, str]:
    main = next(c for c in pod["spec"]["containers"] if c["name"] == container)
    return {e["name"]: e.get("value", "") for e in main.get("env", [])}


def required_pools(pod: dict[str, Any]) -> set[str]:
    terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    return {v for t in terms["nodeSelectorTerms"] for e in t["matchExpressions"] if e["key"] == POOL
            for v in e["values"]}


def set_succeeded(cluster: Cluster, pod: dict[str, Any]) -> None:
    """What kubelet reports when every container exited 0 (kwok leaves operator pods Running)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    statuses = [{"name": c["name"], "image": c["image"], "imageID": "", "ready": False, "restartCount": 0,
                 "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": now,
                                          "finishedAt": now}}} for c in pod["spec"]["containers"]]
    patch = {"status": {"phase": "Succeeded", "containerStatuses": statuses}}
    result = cluster.kubectl("patch", "pod", pod["metadata"]["name"], "-n", pod["metadata"]["namespace"],
                             "--subresource=status", "--type=merge", "-p", json.dumps(patch), check=False)
    # NotFound: the job has already succeeded (elastic: any worker) and its cleanPodPolicy removed it
    assert result.returncode == 0 or "NotFound" in result.stderr, result.stderr


def job_condition(cluster: Cluster, kind: str, ns: str, name: str, wanted: str) -> bool:
    job = cluster.kubectl_json("get", kind.lower(), name, "-n", ns)
    return any(c["type"] == wanted and c["status"] == "True" for c in job.get("status", {}).get("conditions", []))


def run_example(cluster: Cluster, op: Operator, res: pipeline.Result, name: str) -> list[dict[str, Any]]:
    """Apply the example's bundle; return its pods once all are created and scheduled."""
    objects = bundle_objects(res, name)
    ns = objects[0]["metadata"]["namespace"]
    cluster.ensure_namespace(ns)
    job = next(o for o in objects if o["kind"] == EXPECT[name].kind)
    for claim in claims(job):
        read_only_volume(cluster, ns, claim)
    apply(cluster, objects)
    pods: list[dict[str, Any]] = wait_for(
        f"{EXPECT[name].pods} scheduled pods of {name}",
        lambda: scheduled_pods(cluster, ns, name, EXPECT[name].pods), op)
    return pods


def role(pod: dict[str, Any]) -> str:
    return str(pod["metadata"]["labels"][ROLE_LABEL])


def index(pod: dict[str, Any]) -> int:
    return int(pod["metadata"]["labels"][INDEX_LABEL])


def gpus(pod: dict[str, Any], container: str) -> int:
    main = next(c for c in pod["spec"]["containers"] if c["name"] == container)
    return int(main["resources"].get("limits", {}).get("nvidia.com/gpu", 0))


def check_placement(cluster: Cluster, pods: list[dict[str, Any]], expect: Expect) -> None:
    """Roles and counts, GPUs per pod, each pod on a kwok node of its pools with room for it."""
    roles: dict[str, int] = {}
    for pod in pods:
        roles[role(pod)] = roles.get(role(pod), 0) + 1
    assert roles == expect.replicas
    nodes = {n["metadata"]["name"]: n for n in cluster.kubectl_json("get", "nodes")["items"]}
    for pod in pods:
        assert gpus(pod, expect.container) == expect.gpus[role(pod)], pod["metadata"]["name"]
        node = nodes[pod["spec"]["nodeName"]]
        assert node["metadata"]["labels"][POOL] in required_pools(pod)
        assert int(node["status"]["allocatable"].get("nvidia.com/gpu", 0)) >= gpus(pod, expect.container)
        assert node["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake"
        assert sorted(index(p) for p in pods if role(p) == role(pod)) == list(range(expect.replicas[role(pod)]))


def check_services(cluster: Cluster, op: Operator, ns: str, name: str, pods: list[dict[str, Any]]) -> None:
    """One headless Service per pod, named like the pod: the addresses in the rendezvous env (the
    operator makes a replica's Service just after its pod: a loaded machine sees the gap)."""
    want = {p["metadata"]["name"] for p in pods}

    def all_there() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = cluster.kubectl_json("get", "services", "-n", ns, "-l",
                                                           f"{JOB_LABEL}={name}")["items"]
        return found if {s["metadata"]["name"] for s in found} == want else None
    services = wait_for(f"a Service per pod of {name}", all_there, op, timeout=60)
    assert all(s["spec"]["clusterIP"] == "None" for s in services)


def finish(cluster: Cluster, op: Operator, pods: list[dict[str, Any]], kind: str, ns: str, name: str) -> None:
    """Every pod succeeded -> the operator marks the job Succeeded; then remove it. The pod that
    decides success (master, chief, else worker 0) goes last: once the job has succeeded, the
    cleanPodPolicy removes the others."""
    for pod in sorted(pods, key=lambda p: (role(p) in ("master", "chief"), -index(p))):
        set_succeeded(cluster, pod)
    wait_for(f"{kind} {name} Succeeded", lambda: job_condition(cluster, kind, ns, name, "Succeeded"), op)
    cluster.kubectl("delete", kind.lower(), name, "-n", ns, "--wait=true", "--timeout=60s")


def check_pytorch_rendezvous(pods: list[dict[str, Any]], name: str) -> None:
    """torchrun's rendezvous as the operator sets it: master-0 at 23456, one rank per pod."""
    envs = [env_of(p, "pytorch") for p in pods]
    for pod, env in zip(pods, envs, strict=True):
        assert env["MASTER_ADDR"] == f"{name}-master-0"
        assert env["MASTER_PORT"] == "23456"
        assert env["WORLD_SIZE"] == str(len(pods))
        assert env["PET_NNODES"] == str(len(pods))
        assert env["RANK"] == str(index(pod) + (role(pod) == "worker"))
    assert sorted(int(e["RANK"]) for e in envs) == list(range(len(pods)))


def check_elastic_rendezvous(pods: list[dict[str, Any]], name: str) -> None:
    """Elastic torchrun: c10d rendezvous at worker 0, nodes between minReplicas and maxReplicas."""
    for env in (env_of(p, "pytorch") for p in pods):
        assert env["PET_RDZV_ENDPOINT"] == f"{name}-worker-0:23456"
        assert env["PET_RDZV_BACKEND"] == "c10d"
        assert env["PET_NNODES"] == "2:4"  # examples/workloads/nlp/elastic-finetune.yaml


def check_tf_config(pods: list[dict[str, Any]], name: str, ns: str, expect: Expect) -> None:
    """TF_CONFIG: the whole cluster by role (one address per pod's Service) and this pod's task."""
    cluster_spec = {r: [f"{name}-{r}-{i}.{ns}.svc:2222" for i in range(n)] for r, n in expect.replicas.items()}
    for pod in pods:
        config = json.loads(env_of(pod, "tensorflow")["TF_CONFIG"])
        assert config["cluster"] == cluster_spec
        assert config["task"] == {"type": role(pod), "index": index(pod)}


@pytest.mark.parametrize("name", ["llm-pretrain", "elastic-finetune", "tf-parameter-server", "tf-multiworker"])
def test_example_becomes_the_pods_runai_users_expect(
        cluster: Cluster, training_operator: Operator, built: pipeline.Result, name: str) -> None:
    expect = EXPECT[name]
    pods = run_example(cluster, training_operator, built, name)
    ns = pods[0]["metadata"]["namespace"]
    check_placement(cluster, pods, expect)
    check_services(cluster, training_operator, ns, name, pods)
    if name == "llm-pretrain":
        check_pytorch_rendezvous(pods, name)
    elif name == "elastic-finetune":
        check_elastic_rendezvous(pods, name)
    else:
        check_tf_config(pods, name, ns, expect)
    finish(cluster, training_operator, pods, expect.kind, ns, name)


def test_no_master_ddp_example_gets_a_rendezvous_at_worker_0(
        cluster: Cluster, training_operator: Operator, built: pipeline.Result) -> None:
    """4 workers, 2 GPUs each, on their pools, with the imagenet data source mounted; with no
    Master the operator sets no MASTER_ADDR, so wlc asks for a fixed-size c10d rendezvous
    (elasticPolicy min = max = 4) and the operator points every worker at worker 0."""
    name, expect = "ddp-segmentation", EXPECT["ddp-segmentation"]
    pods = run_example(cluster, training_operator, built, name)
    ns = pods[0]["metadata"]["namespace"]
    try:
        check_placement(cluster, pods, expect)
        check_services(cluster, training_operator, ns, name, pods)
        envs = [env_of(p, "pytorch") for p in pods]
        assert all(e["PET_NNODES"] in ("4", "4:4") for e in envs), envs  # min:max of the fixed-size policy
        assert {e.get("PET_RDZV_ENDPOINT", "").split(":")[0] for e in envs} == {f"{name}-worker-0"}, envs
        assert {e.get("PET_RDZV_BACKEND") for e in envs} == {"c10d"}, envs
    finally:
        finish(cluster, training_operator, pods, expect.kind, ns, name)


def test_operator_webhook_rejects_what_the_operator_cannot_run(
        cluster: Cluster, training_operator: Operator, built: pipeline.Result) -> None:
    """The bundles above passed the operator's validating webhook; it is live: two masters fail."""
    job = next(o for o in bundle_objects(built, "llm-pretrain") if o["kind"] == "PyTorchJob")
    job["metadata"]["name"] = "two-masters"
    job["spec"]["pytorchReplicaSpecs"]["Master"]["replicas"] = 2
    cluster.ensure_namespace(job["metadata"]["namespace"])
    result = cluster.kubectl("create", "-f", "-", input=json.dumps(job), check=False)
    assert result.returncode != 0
    assert "validator.pytorchjob.training-operator.kubeflow.org" in result.stderr
    assert "replicas" in result.stderr.lower()


XGBOOST_PORT = 9999  # the operator's xgboostjob-port, added to the xgboost container


def check_xgboost_rendezvous(pods: list[dict[str, Any]], name: str, expect: Expect) -> None:
    """The Rabit tracker at master-0 (rank 0), workers ranked 1..N, every worker's address."""
    workers = ",".join(f"{name}-worker-{i}" for i in range(expect.replicas["worker"]))
    for pod in pods:
        env = env_of(pod, "xgboost")
        assert env["MASTER_ADDR"] == f"{name}-master-0" and env["MASTER_PORT"] == str(XGBOOST_PORT)
        assert env["WORLD_SIZE"] == str(expect.pods) and env["PYTHONUNBUFFERED"] == "1"
        assert env["RANK"] == str(index(pod) + (role(pod) == "worker"))
        assert env["WORKER_ADDRS"] == workers and env["WORKER_PORT"] == str(XGBOOST_PORT)
        assert env["RUNAI_JOB_NAME"] == name  # wlc's own variables are kept
        main = next(c for c in pod["spec"]["containers"] if c["name"] == "xgboost")
        assert {"name": "xgboostjob-port", "containerPort": XGBOOST_PORT, "protocol": "TCP"} in main["ports"]
    assert sorted(int(env_of(p, "xgboost")["RANK"]) for p in pods) == list(range(expect.pods))


def test_xgboost_example_becomes_a_tracker_and_ranked_workers(
        cluster: Cluster, training_operator: Operator, built: pipeline.Result) -> None:
    """examples/workloads/recsys/xgboost-ranker.yaml (Run:ai: runai submit-dist xgboost --workers 3
    -g 1): the XGBoostJob passes the operator's webhook and becomes a master and 3 workers, one GPU
    each, on kwok GPU nodes, with the rendezvous environment the operator sets."""
    name, expect = "xgboost-ranker", EXPECT["xgboost-ranker"]
    pods = run_example(cluster, training_operator, built, name)
    ns = pods[0]["metadata"]["namespace"]
    try:
        roles = sorted(role(p) for p in pods)
        assert roles == ["master"] + ["worker"] * 3
        nodes = {n["metadata"]["name"]: n for n in cluster.kubectl_json("get", "nodes")["items"]}
        for pod in pods:
            assert gpus(pod, "xgboost") == 1
            assert nodes[pod["spec"]["nodeName"]]["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake"
        check_services(cluster, training_operator, ns, name, pods)
        check_xgboost_rendezvous(pods, name, expect)
    finally:
        finish(cluster, training_operator, pods, expect.kind, ns, name)


def test_operator_webhook_rejects_an_xgboost_job_without_its_master(
        cluster: Cluster, training_operator: Operator, built: pipeline.Result) -> None:
    """Why wlc refuses noMaster for XGBoost: the operator's own webhook requires the Master."""
    job = next(o for o in bundle_objects(built, "xgboost-ranker") if o["kind"] == "XGBoostJob")
    job["metadata"]["name"] = "no-master"
    del job["spec"]["xgbReplicaSpecs"]["Master"]
    cluster.ensure_namespace(job["metadata"]["namespace"])
    result = cluster.kubectl("create", "-f", "-", input=json.dumps(job), check=False)
    assert result.returncode != 0
    assert "validator.xgboostjob.training-operator.kubeflow.org" in result.stderr
    assert "Master" in result.stderr
