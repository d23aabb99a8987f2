"""The workload field tree that policy paths name, with each field's value type.

Built from the workload JSON Schemas (``compiler.schemas``) when they are available, else
from a small table transcribed from docs/spec.md. Paths have no list indexes: the members of
an itemized list live directly under the list's path (``storage.pvc.claimInfo.size``).

Value types: ``boolean``, ``integer``, ``number``, ``string``, ``quantity``, ``array`` (a list
replaced as a whole), ``itemized`` (a list merged by key, merge.ITEM_KEYS), ``object``, ``any``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .. import schemas
from ..merge import ITEM_KEYS, SECTIONS
from ..model import WORKLOAD_KINDS, Data

FPath = tuple[str, ...]
#: Reference fields of a spec: never the subject of a policy.
NOT_POLICY_FIELDS = frozenset({"project", "template", "environment", "dataSources", "exclude"})


@dataclass
class FieldInfo:
    kind: str
    types: set[str] = field(default_factory=set)
    enum: tuple[object, ...] = ()
    children: dict[str, None] = field(default_factory=dict)  # ordered set of child names


FieldTree = dict[FPath, FieldInfo]
#: A node of a JSON Schema document (as json.loads gives it)
SchemaNode = dict[str, object]


@lru_cache(maxsize=1)
def field_tree() -> FieldTree:
    """Every policy-addressable field of every workload kind (union; ``types`` says which)."""
    tree: FieldTree = {(): FieldInfo("object", set(WORKLOAD_KINDS))}
    try:
        for kind in WORKLOAD_KINDS:
            spec = schemas.node(schemas.schema_for(kind), "properties", "spec")
            _walk(tree, (), spec, kind + ".schema.json", kind)
    except Exception:  # noqa: BLE001 - schemas missing or unreadable: the built-in table
        tree = {(): FieldInfo("object", set(WORKLOAD_KINDS))}
        _from_table(tree)
    return tree


def _add(tree: FieldTree, path: FPath, kind: str, wtype: str, enum: tuple[object, ...] = ()) -> None:
    info = tree.get(path)
    if info is None:
        info = tree[path] = FieldInfo(kind, set(), enum)
        tree[path[:-1]].children[path[-1]] = None
    info.types.add(wtype)


# --------------------------------------------------------------------------- from the schemas


def _resolve(node: SchemaNode, file: str) -> tuple[SchemaNode, str, bool]:
    """Follow ``$ref``s; the flag says the node is a Kubernetes quantity."""
    quantity = False
    while "$ref" in node:
        ref = str(node["$ref"])
        target, _, pointer = ref.partition("#")
        file = target or file
        quantity = quantity or pointer.endswith("/quantity")
        doc: object = schemas.schema_file(file)
        for part in pointer.strip("/").split("/"):
            doc = _map(doc)[part] if part else doc
        node = _map(doc)
    return node, file, quantity


def _map(node: object) -> SchemaNode:
    """A schema node that must be a map (a broken schema raises: the built-in table is used)."""
    if not isinstance(node, dict):
        raise TypeError(f"not a schema object: {node!r}")
    return node


def _list(node: object) -> list[object]:
    return node if isinstance(node, list) else []


def _kind_of(node: SchemaNode, quantity: bool) -> str:
    if quantity:
        return "quantity"
    if "enum" in node:
        return "string" if all(isinstance(v, str) for v in _list(node["enum"])) else "any"
    t = node.get("type")
    if t in ("boolean", "integer", "number", "string", "array", "object"):
        return str(t)
    return "any"


def _walk(tree: FieldTree, path: FPath, node: SchemaNode, file: str, wtype: str) -> None:
    for name, sub in _map(node.get("properties") or {}).items():
        if name in NOT_POLICY_FIELDS:
            continue
        _field(tree, path + (name,), _map(sub), file, wtype)


def _field(tree: FieldTree, path: FPath, node: SchemaNode, file: str, wtype: str) -> None:
    node, file, quantity = _resolve(node, file)
    branches = node.get("anyOf") or node.get("oneOf")
    if branches:  # e.g. compute: an asset name or inline compute: policies address the map
        resolved = [_resolve(_map(b), file) for b in _list(branches)]
        objects = [r for r in resolved if r[0].get("type") == "object"]
        node, file, quantity = objects[0] if objects else resolved[0]
    kind = _kind_of(node, quantity)
    if kind == "array" and _item_key(path) is not None:
        kind = "itemized"
    _add(tree, path, kind, wtype, tuple(_list(node.get("enum"))))
    if kind == "object":
        _walk(tree, path, node, file, wtype)
    elif kind == "itemized":
        item, ifile, _ = _resolve(_map(node.get("items") or {}), file)
        _walk(tree, path, item, ifile, wtype)


def _item_key(path: FPath) -> str | None:
    names = path[1:] if path and path[0] in SECTIONS else path
    return ITEM_KEYS.get(names)


# --------------------------------------------------------------------------- fallback table

_POD = """
image:string imagePullPolicy:string command:string args:string workingDir:string
createHomeDir:boolean environmentVariables:itemized environmentVariables.name:string
environmentVariables.value:string environmentVariables.podField:string
compute:object compute.gpuDevicesRequest:integer compute.gpuRequestType:string
compute.gpuPortionRequest:number compute.gpuPortionLimit:number compute.gpuMemoryRequest:quantity
compute.gpuMemoryLimit:quantity compute.migProfile:string compute.cpuCoreRequest:number
compute.cpuCoreLimit:number compute.cpuMemoryRequest:quantity compute.cpuMemoryLimit:quantity
compute.largeShmRequest:boolean compute.extendedResources:itemized
compute.extendedResources.resource:string compute.extendedResources.quantity:quantity
storage:object storage.pvc:itemized storage.pvc.claimName:string storage.pvc.path:string
storage.pvc.existingPvc:boolean storage.pvc.readOnly:boolean storage.pvc.ephemeral:boolean
storage.pvc.claimInfo:object storage.pvc.claimInfo.size:quantity
storage.pvc.claimInfo.storageClass:string storage.pvc.claimInfo.volumeMode:string
storage.nfs:itemized storage.nfs.name:string storage.nfs.server:string storage.nfs.path:string
storage.nfs.mountPath:string storage.nfs.readOnly:boolean
storage.hostPath:itemized storage.hostPath.name:string storage.hostPath.path:string
storage.hostPath.mountPath:string storage.hostPath.mountPropagation:string
storage.hostPath.readOnly:boolean
security:object security.uidGidSource:string security.runAsUid:integer security.runAsGid:integer
security.supplementalGroups:array security.runAsNonRoot:boolean
security.allowPrivilegeEscalation:boolean security.readOnlyRootFilesystem:boolean
security.hostIpc:boolean security.hostNetwork:boolean security.capabilities:array
security.seccompProfileType:string
ports:itemized ports.container:integer ports.serviceType:string ports.external:integer
exposedUrls:itemized exposedUrls.container:integer exposedUrls.url:string
nodePools:array nodeType:string tolerations:itemized tolerations.name:string
tolerations.operator:string tolerations.key:string tolerations.value:string
tolerations.effect:string tolerations.seconds:integer
podAffinitySchedulingRule:string podAffinityTopology:string priorityClass:string
labels:itemized labels.name:string labels.value:string
annotations:itemized annotations.name:string annotations.value:string
terminateAfterPreemption:boolean active:boolean
"""
_EXTRA = {
    "TrainingWorkload": "autoDeletionTimeAfterCompletionSeconds:integer backoffLimit:integer "
                        "completions:integer parallelism:integer",
    "InteractiveWorkload": "preemptible:boolean",
    "DistributedWorkload": "autoDeletionTimeAfterCompletionSeconds:integer backoffLimit:integer "
                           "framework:string workers:integer cleanPodPolicy:string "
                           "slotsPerWorker:integer minReplicas:integer maxReplicas:integer "
                           "noMaster:boolean",
    "InferenceWorkload": "autoscaling:object autoscaling.minReplicas:integer "
                         "autoscaling.maxReplicas:integer autoscaling.metric:string "
                         "servingPort:object servingPort.container:integer",
}
_SECTION_FIELDS = ("image", "imagePullPolicy", "command", "args", "workingDir", "environmentVariables",
                   "compute", "storage", "security", "nodePools", "nodeType", "tolerations", "labels",
                   "annotations")


def _from_table(tree: FieldTree) -> None:
    for wtype in WORKLOAD_KINDS:
        entries = (_POD + " " + _EXTRA[wtype]).split()
        for entry in entries:
            name, kind = entry.split(":")
            _add(tree, tuple(name.split(".")), kind, wtype)
        if wtype == "DistributedWorkload":
            for section in SECTIONS:
                _add(tree, (section,), "object", wtype)
                for entry in entries:
                    name, kind = entry.split(":")
                    if name.split(".")[0] in _SECTION_FIELDS:
                        _add(tree, (section,) + tuple(name.split(".")), kind, wtype)


#: itemized fields whose policy instances Run:ai writes without their key: the member it comes from
#: (policy-reference.md's s3 default instance has a bucket and no name)
_KEY_FROM: dict[FPath, str] = {("storage", "s3"): "bucket"}


def keyed_instance(path: FPath, item: Data) -> Data:
    """An instance with its key: derived (a DNS label of the bucket) where Run:ai writes none."""
    source = _KEY_FROM.get(path[1:] if path[0] in SECTIONS else path)
    if source is None or not isinstance(item, dict) or "name" in item:
        return item
    value = item.get(source)
    if not isinstance(value, str):
        return item
    label = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")[:63].strip("-")
    return {"name": label, **item} if label else item
