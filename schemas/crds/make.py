"""Write the JSON Schemas of the custom resources wlc emits (``schemas/crds/*.json``).

Written by us from the upstream API fields (Kubeflow training-operator v1.9 ``kubeflow.org/v1``
PyTorchJob, TFJob and XGBoostJob (v1.9.3: its CRD and its validating webhook),
mpi-operator ``kubeflow.org/v2beta1``, Knative Serving ``serving.knative.dev/v1``, KServe
``serving.kserve.io/v1beta1``, Kueue v0.17 ``kueue.x-k8s.io/v1beta2``): required fields, replica-type names, container-name rules, closed
objects where the upstream API is closed. Pod templates and pod specs ``$ref`` the official
Kubernetes definitions (``/api/_definitions.json`` of kubernetes-validate, resolved against the
target version by ``compiler/verify/crd.py``). Run ``python schemas/crds/make.py`` after a change.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

Schema = dict[str, Any]
HERE = Path(__file__).resolve().parent
K8S = "/api/_definitions.json#/$defs/"
DNS_1035 = "^[a-z]([-a-z0-9]*[a-z0-9])?$"
#: the Kubernetes version whose PodSpec field list is copied for KServe's inline pod spec: the
#: oldest target version wlc supports, so every referenced definition exists in every version
PODSPEC_VERSION = "1.32"


def k8s(name: str) -> Schema:
    return {"$ref": K8S + name}


def closed(props: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    out: Schema = {"type": "object", "additionalProperties": False, "properties": props}
    if required:
        out["required"] = list(required)
    return out


def integer(minimum: int | None = 0, maximum: int | None = None) -> Schema:
    out: Schema = {"type": "integer"}
    if minimum is not None:
        out["minimum"] = minimum
    if maximum is not None:
        out["maximum"] = maximum
    return out


def document(group: str, version: str, kind: str, spec: Schema, defs: Schema | None = None,
             name_limit: int = 63, name_pattern: str = DNS_1035) -> Schema:
    meta = {"allOf": [k8s("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"), {
        "required": ["name"],
        "properties": {"name": {"type": "string", "pattern": name_pattern, "maxLength": name_limit}}}]}
    out: Schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://kubernetes.io/wlc-crds/{kind.lower()}-{group.split('.')[0]}-{version}",
        "description": f"{kind} ({group}/{version}) as wlc emits it; written from the upstream API.",
        "x-kubernetes-group-version-kind": [{"group": group, "version": version, "kind": kind}],
        **closed({"apiVersion": {"const": f"{group}/{version}"}, "kind": {"const": kind},
                  "metadata": meta, "spec": spec, "status": {"type": "object"}},
                 ("apiVersion", "kind", "metadata", "spec")),
    }
    if defs:
        out["$defs"] = defs
    return out


def run_policy() -> Schema:
    props: dict[str, Schema] = {
        "cleanPodPolicy": {"enum": ["None", "Running", "All"]},
        "ttlSecondsAfterFinished": integer(),
        "activeDeadlineSeconds": integer(),
        "backoffLimit": integer(),
        "schedulingPolicy": closed({"minAvailable": integer(), "queue": {"type": "string"},
                                    "minResources": {"type": "object"},
                                    "priorityClass": {"type": "string"},
                                    "scheduleTimeoutSeconds": integer()}),
        "suspend": {"type": "boolean"},
        "managedBy": {"type": "string"},
    }
    return closed(props)


def replica_spec(container: str | None, exactly_one: int | None = None,
                 restart: tuple[str, ...] = ("Always", "OnFailure", "Never", "ExitCode")) -> Schema:
    """A ReplicaSpec: every container needs an image; ``container`` must be present exactly once."""
    containers: Schema = {"type": "array", "minItems": 1, "items": {"required": ["name", "image"]}}
    if container:
        containers["contains"] = {"properties": {"name": {"const": container}}, "required": ["name"]}
        containers["minContains"] = 1
        containers["maxContains"] = 1
    template = {"allOf": [k8s("io.k8s.api.core.v1.PodTemplateSpec"), {
        "required": ["spec"],
        "properties": {"spec": {"required": ["containers"], "properties": {"containers": containers}}}}]}
    replicas = integer(0) if exactly_one is None else integer(exactly_one, exactly_one)
    return closed({"replicas": replicas, "restartPolicy": {"enum": list(restart)},
                   "template": template}, ("template",))


def pytorchjob() -> Schema:
    elastic = closed({"minReplicas": integer(1), "maxReplicas": integer(1),
                      "rdzvBackend": {"enum": ["c10d", "etcd", "etcd-v2"]}, "rdzvPort": integer(1, 65535),
                      "rdzvHost": {"type": "string"}, "rdzvId": {"type": "string"},
                      "rdzvConf": {"type": "array", "items": closed({"key": {"type": "string"},
                                                                     "value": {"type": "string"}})},
                      "standalone": {"type": "boolean"}, "nProcPerNode": integer(1),
                      "maxRestarts": integer(), "metrics": {"type": "array"}})
    specs = {**closed({"Master": {"$ref": "#/$defs/master"}, "Worker": {"$ref": "#/$defs/worker"}}),
             "minProperties": 1}
    spec = closed({"runPolicy": run_policy(), "elasticPolicy": elastic,
                   "nprocPerNode": {"type": "string"}, "pytorchReplicaSpecs": specs},
                  ("pytorchReplicaSpecs",))
    return document("kubeflow.org", "v1", "PyTorchJob", spec,
                    {"master": replica_spec("pytorch", 1), "worker": replica_spec("pytorch")})


def tfjob() -> Schema:
    ref = {"$ref": "#/$defs/replica"}
    one = {"$ref": "#/$defs/single"}
    specs = {**closed({"Chief": one, "Master": one, "PS": ref, "Worker": ref, "Evaluator": one}),
             "minProperties": 1, "not": {"required": ["Chief", "Master"]}}
    spec = closed({"runPolicy": run_policy(), "successPolicy": {"enum": ["", "AllWorkers"]},
                   "enableDynamicWorker": {"type": "boolean"}, "tfReplicaSpecs": specs},
                  ("tfReplicaSpecs",))
    return document("kubeflow.org", "v1", "TFJob", spec,
                    {"replica": replica_spec("tensorflow"), "single": replica_spec("tensorflow", 1)})


def xgboostjob() -> Schema:
    """XGBoostJob: Master (exactly 1, required by the operator's webhook) and Worker; every
    replica has a container named ``xgboost`` (the webhook's rule)."""
    specs = closed({"Master": {"$ref": "#/$defs/master"}, "Worker": {"$ref": "#/$defs/worker"}}, ("Master",))
    spec = closed({"runPolicy": run_policy(), "xgbReplicaSpecs": specs}, ("xgbReplicaSpecs",))
    return document("kubeflow.org", "v1", "XGBoostJob", spec,
                    {"master": replica_spec("xgboost", 1), "worker": replica_spec("xgboost")})


def mpijob() -> Schema:
    specs = closed({"Launcher": {"$ref": "#/$defs/launcher"}, "Worker": {"$ref": "#/$defs/worker"}},
                   ("Launcher",))
    spec = closed({"slotsPerWorker": integer(1), "runLauncherAsWorker": {"type": "boolean"},
                   "launcherCreationPolicy": {"enum": ["AtStartup", "WaitForWorkersReady"]},
                   "mpiImplementation": {"enum": ["OpenMPI", "Intel", "MPICH"]},
                   "sshAuthMountPath": {"type": "string"}, "runPolicy": run_policy(),
                   "mpiReplicaSpecs": specs}, ("mpiReplicaSpecs",))
    return document("kubeflow.org", "v2beta1", "MPIJob", spec,
                    {"launcher": replica_spec(None, 1), "worker": replica_spec(None)})


#: the pod fields Knative's RevisionSpec accepts (some only behind config-features flags)
KNATIVE_POD_FIELDS: dict[str, Schema] = {
    "containers": {"type": "array", "minItems": 1, "items": k8s("io.k8s.api.core.v1.Container")},
    "initContainers": {"type": "array", "items": k8s("io.k8s.api.core.v1.Container")},
    "volumes": {"type": "array", "items": k8s("io.k8s.api.core.v1.Volume")},
    "serviceAccountName": {"type": "string"},
    "automountServiceAccountToken": {"type": "boolean"},
    "imagePullSecrets": {"type": "array", "items": k8s("io.k8s.api.core.v1.LocalObjectReference")},
    "enableServiceLinks": {"type": "boolean"},
    "affinity": k8s("io.k8s.api.core.v1.Affinity"),
    "nodeSelector": {"type": "object", "additionalProperties": {"type": "string"}},
    "tolerations": {"type": "array", "items": k8s("io.k8s.api.core.v1.Toleration")},
    "topologySpreadConstraints": {"type": "array",
                                  "items": k8s("io.k8s.api.core.v1.TopologySpreadConstraint")},
    "schedulerName": {"type": "string"},
    "priorityClassName": {"type": "string"},
    "runtimeClassName": {"type": "string"},
    "securityContext": k8s("io.k8s.api.core.v1.PodSecurityContext"),
    "hostIPC": {"type": "boolean"}, "hostNetwork": {"type": "boolean"}, "hostPID": {"type": "boolean"},
    "hostAliases": {"type": "array", "items": k8s("io.k8s.api.core.v1.HostAlias")},
    "dnsPolicy": {"type": "string"}, "dnsConfig": k8s("io.k8s.api.core.v1.PodDNSConfig"),
}


def knative_service() -> Schema:
    revision = closed({**KNATIVE_POD_FIELDS, "containerConcurrency": integer(0, 1000),
                       "timeoutSeconds": integer(0), "responseStartTimeoutSeconds": integer(0),
                       "idleTimeoutSeconds": integer(0)}, ("containers",))
    template = closed({"metadata": k8s("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
                       "spec": revision}, ("spec",))
    traffic = closed({"latestRevision": {"type": "boolean"}, "percent": integer(0, 100),
                      "revisionName": {"type": "string"}, "configurationName": {"type": "string"},
                      "tag": {"type": "string"}, "url": {"type": "string"}})
    spec = closed({"template": template, "traffic": {"type": "array", "items": traffic}}, ("template",))
    return document("serving.knative.dev", "v1", "Service", spec, name_limit=57)


def _strip(node: Any) -> Any:
    """A definitions fragment without descriptions, local refs pointing at the k8s file."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "description" or key.startswith("x-kubernetes"):
                continue
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                value = K8S + value[len("#/$defs/"):]
            out[key] = _strip(value)
        return out
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def pod_spec_fields() -> dict[str, Schema]:
    import kubernetes_validate  # type: ignore[import-untyped,unused-ignore]

    path = (Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
            / f"v{PODSPEC_VERSION}.0-local-strict" / "_definitions.json")
    defs = json.loads(path.read_text(encoding="utf-8"))["$defs"]
    props: dict[str, Schema] = _strip(defs["io.k8s.api.core.v1.PodSpec"]["properties"])
    props["containers"]["minItems"] = 1
    return props


def inference_service() -> Schema:
    extension: dict[str, Schema] = {
        "minReplicas": integer(0), "maxReplicas": integer(0),
        "scaleTarget": integer(1), "scaleMetric": {"enum": ["cpu", "memory", "concurrency", "rps"]},
        "scaleMetricType": {"enum": ["Utilization", "AverageValue"]},
        "containerConcurrency": integer(0), "timeout": integer(0), "canaryTrafficPercent": integer(0, 100),
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "logger": {"type": "object"}, "batcher": {"type": "object"},
        "deploymentStrategy": {"type": "object"}, "autoScaling": {"type": "object"},
        "workerSpec": {"type": "object"},
        "model": {"type": "object", "required": ["modelFormat"],
                  "properties": {"modelFormat": {"type": "object", "required": ["name"]}}},
    }
    predictor = {**closed({**pod_spec_fields(), **extension}),
                 "anyOf": [{"required": ["containers"]}, {"required": ["model"]}]}
    spec = closed({"predictor": predictor, "transformer": {"type": "object"},
                   "explainer": {"type": "object"}}, ("predictor",))
    return document("serving.kserve.io", "v1beta1", "InferenceService", spec)


# --- Kueue (kueue.x-k8s.io/v1beta2, Kueue v0.17: the fields wlc emits, closed; the others open) --

KUEUE = "kueue.x-k8s.io"
DNS_1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
#: Kubernetes' quantity pattern, as Kueue's CRDs write it
QUANTITY = (r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|"
            r"([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$")


def name_ref() -> Schema:
    return {"type": "string", "maxLength": 253, "pattern": DNS_1123_SUBDOMAIN}


def quantity() -> Schema:
    return {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": QUANTITY}]}


def kueue_document(kind: str, spec: Schema) -> Schema:
    return document(KUEUE, "v1beta2", kind, spec, name_limit=253, name_pattern=DNS_1123_SUBDOMAIN)


def resource_groups() -> Schema:
    """ClusterQueue's and Cohort's quota: covered resources, then per flavor (in order) each
    resource's nominal quota and optional borrowing and lending limits."""
    resource = closed({"name": {"type": "string"}, "nominalQuota": quantity(),
                       "borrowingLimit": quantity(), "lendingLimit": quantity()}, ("name", "nominalQuota"))
    flavor = closed({"name": name_ref(),
                     "resources": {"type": "array", "minItems": 1, "maxItems": 64, "items": resource}},
                    ("name", "resources"))
    group = closed({"coveredResources": {"type": "array", "minItems": 1, "maxItems": 64,
                                         "items": {"type": "string"}},
                    "flavors": {"type": "array", "minItems": 1, "maxItems": 64, "items": flavor}},
                   ("coveredResources", "flavors"))
    return {"type": "array", "maxItems": 16, "items": group}


def fair_sharing() -> Schema:
    return closed({"weight": quantity()})


def resource_flavor() -> Schema:
    spec = closed({"nodeLabels": {"type": "object", "maxProperties": 8,
                                  "additionalProperties": {"type": "string"}},
                   "nodeTaints": {"type": "array", "maxItems": 8, "items": {"type": "object"}},
                   "tolerations": {"type": "array", "maxItems": 8, "items": {"type": "object"}},
                   "topologyName": name_ref()})
    return kueue_document("ResourceFlavor", spec)


def cohort() -> Schema:
    return kueue_document("Cohort", closed({"parentName": name_ref(), "fairSharing": fair_sharing(),
                                            "resourceGroups": resource_groups()}))


def cluster_queue() -> Schema:
    preemption = closed({
        "reclaimWithinCohort": {"enum": ["Never", "LowerPriority", "Any"]},
        "withinClusterQueue": {"enum": ["Never", "LowerPriority", "LowerOrNewerEqualPriority"]},
        "borrowWithinCohort": {"type": "object"}})
    spec = closed({"cohortName": name_ref(), "namespaceSelector": k8s(
                       "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"),
                   "fairSharing": fair_sharing(), "preemption": preemption,
                   "queueingStrategy": {"enum": ["StrictFIFO", "BestEffortFIFO"]},
                   "resourceGroups": resource_groups(), "stopPolicy": {"enum": ["None", "Hold", "HoldAndDrain"]},
                   "flavorFungibility": {"type": "object"}, "admissionChecksStrategy": {"type": "object"},
                   "admissionScope": {"type": "object"}})
    # Kueue's own rule: borrowing needs a cohort
    no_borrowing = {"properties": {"resourceGroups": {"items": {"properties": {"flavors": {"items": {
        "properties": {"resources": {"items": {"not": {"required": ["borrowingLimit"]}}}}}}}}}}}
    spec["anyOf"] = [{"required": ["cohortName"]}, no_borrowing]
    return kueue_document("ClusterQueue", spec)


def local_queue() -> Schema:
    spec = closed({"clusterQueue": name_ref(), "fairSharing": {"type": "object"},
                   "stopPolicy": {"enum": ["None", "Hold", "HoldAndDrain"]}})
    return kueue_document("LocalQueue", spec)


FILES = {
    "pytorchjob-kubeflow-v1.json": pytorchjob,
    "tfjob-kubeflow-v1.json": tfjob,
    "mpijob-kubeflow-v2beta1.json": mpijob,
    "xgboostjob-kubeflow-v1.json": xgboostjob,
    "service-serving-v1.json": knative_service,
    "inferenceservice-serving-v1beta1.json": inference_service,
    "resourceflavor-kueue-v1beta2.json": resource_flavor,
    "cohort-kueue-v1beta2.json": cohort,
    "clusterqueue-kueue-v1beta2.json": cluster_queue,
    "localqueue-kueue-v1beta2.json": local_queue,
}


def render(schema: Schema) -> str:
    return json.dumps(schema, indent=1, sort_keys=True) + "\n"


def main() -> int:
    stale = []
    for name, build in FILES.items():
        text = render(build())
        path = HERE / name
        if "--check" in sys.argv[1:]:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("stale CRD schemas (run python schemas/crds/make.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
