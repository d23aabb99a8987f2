"""Write the JSON Schemas of wlc's input kinds (draft 2020-12) into this folder.

The schema files are committed; this script is how they are made, so that the field tree of
the four workload kinds and the Template is written once. After editing it run

    python schemas/generate.py

and commit the changed ``*.schema.json`` files (a test fails when they are out of date).

Conventions: single values are one-item ``enum``s, not ``const`` (the compiled fast validator
mishandles ``const``); every property has a ``description`` (editors show it); every object we own has
``additionalProperties: false``; pattern checks carry ``patternErrorMessage`` (a VS Code
extension keyword, also used by ``compiler/validate.py`` for its messages). Shared pieces live
in ``common.schema.json`` under ``$defs``; the kind files refer to them with relative
``$ref``s, which resolve both offline (a registry built from this folder) and in editors.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

Schema = dict[str, Any]
HERE = Path(__file__).resolve().parent
DRAFT = "https://json-schema.org/draft/2020-12/schema"
API_VERSION = "wlc.dev/v1alpha1"
COMMON = "common.schema.json"
DOCUMENT = "document.schema.json"

# --- patterns (Kubernetes' own forms) -------------------------------------------------------

#: Kubernetes resource quantity, non-negative (resource requests cannot be negative).
QUANTITY = r"^(\d+(\.\d*)?|\.\d+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$"
QUANTITY_MESSAGE = "is not a Kubernetes quantity (for example 512Mi, 4G)"
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_LABEL_MESSAGE = ('must be a DNS-1123 label: lowercase letters, digits and "-", starting and '
                     "ending with a letter or digit, at most 63 characters")
PROJECT_NAME = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
PROJECT_NAME_MESSAGE = ('must be a Run:ai project name: lowercase letters, digits and "-", '
                        "starting with a letter and ending with a letter or digit, "
                        "at most 63 characters")
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DNS_SUBDOMAIN_MESSAGE = ('must be a DNS-1123 subdomain: lowercase letters, digits, "-" and ".", '
                         "starting and ending with a letter or digit, at most 253 characters")
_PREFIX = r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
LABEL_KEY = "^" + _PREFIX + r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
LABEL_KEY_MESSAGE = ('must be a Kubernetes label key: an optional DNS prefix and "/", then at '
                     'most 63 letters, digits, "-", "_" or ".", starting and ending with a '
                     "letter or digit")
LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
LABEL_VALUE_MESSAGE = ('must be a Kubernetes label value: at most 63 letters, digits, "-", "_" '
                       'or ".", starting and ending with a letter or digit')
RESOURCE_NAME = "^" + _PREFIX + r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
RESOURCE_NAME_MESSAGE = "must be a Kubernetes resource name such as nvidia.com/gpu or hugepages-2Mi"
ENV_NAME = r"^[-._a-zA-Z][-._a-zA-Z0-9]*$"
ENV_NAME_MESSAGE = ('must be an environment variable name: letters, digits, "_", "-" and ".", '
                    "not starting with a digit")
ABS_PATH = r"^/"
ABS_PATH_MESSAGE = 'must be an absolute path (starting with "/")'
PORT_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
PORT_NAME_MESSAGE = ('must be a port name: at most 15 lowercase letters, digits and "-", '
                     "starting and ending with a letter or digit")
CAPABILITY = r"^[A-Z][A-Z0-9_]*$"
CAPABILITY_MESSAGE = "must be a Linux capability name in capitals, such as NET_ADMIN or SYS_PTRACE"
JSON_POINTER = r"^(/([^/~]|~[01])*)*$"
JSON_POINTER_MESSAGE = 'must be a JSON pointer such as /spec/template/metadata/labels/team (or "")'
NAMESPACE_TEMPLATE = r"\{project\}"
NAMESPACE_TEMPLATE_MESSAGE = 'must contain "{project}"'
KNATIVE_FEATURE = r"^kubernetes\.[a-z0-9.-]+$"
KNATIVE_FEATURE_MESSAGE = "must be a Knative config-features key such as kubernetes.podspec-tolerations"

MIG_PROFILES = ["1g.5gb", "1g.10gb", "2g.10gb", "2g.20gb", "3g.20gb", "3g.40gb", "4g.20gb",
                "4g.40gb", "7g.40gb", "7g.80gb"]
WORKLOAD_TYPES = ["TrainingWorkload", "InteractiveWorkload", "DistributedWorkload", "InferenceWorkload"]
CSI_DRIVER = r"^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$"
CSI_DRIVER_MESSAGE = ('must be a CSI driver name: letters, digits, "-" and ".", starting and '
                      "ending with a letter or digit, at most 63 characters")
IMAGE = r"^[^\s\u0000-\u001f\u007f-\u009f]+$"
IMAGE_MESSAGE = "must be an image reference: no spaces, line breaks or control characters"
KUBERNETES_VERSIONS = ["1.32", "1.33", "1.34", "1.35", "1.36", "1.37"]


# --- small builders ---------------------------------------------------------------------------

def ref(name: str, desc: str, local: bool = False) -> Schema:
    """A reference to a common definition, with its own description.

    Nothing else may sit beside a ``$ref``: the compiled fast validator (fastjsonschema)
    follows draft-07 there and would ignore it.
    """
    target = f"#/$defs/{name}" if local else f"{COMMON}#/$defs/{name}"
    return {"description": desc, "$ref": target}


def string(desc: str, **extra: Any) -> Schema:
    return {"description": desc, "type": "string", **extra}


def text(desc: str) -> Schema:
    """A non-empty free-form string."""
    return string(desc, minLength=1)


def patterned(desc: str, pattern: str, message: str, **extra: Any) -> Schema:
    return string(desc, pattern=pattern, patternErrorMessage=message, **extra)


def integer(desc: str, minimum: int | None = None, maximum: int | None = None) -> Schema:
    out: Schema = {"description": desc, "type": "integer"}
    if minimum is not None:
        out["minimum"] = minimum
    if maximum is not None:
        out["maximum"] = maximum
    return out


def boolean(desc: str) -> Schema:
    return {"description": desc, "type": "boolean"}


def enum(desc: str, values: list[Any]) -> Schema:
    return {"description": desc, "enum": values}


def default(schema: Schema, value: Any) -> Schema:
    """``schema`` with a documented default (an annotation: editors offer it; nothing applies it)."""
    return {**schema, "default": value}


def array(desc: str, items: Schema, unique: bool = False, **extra: Any) -> Schema:
    out: Schema = {"description": desc, "type": "array", "items": items}
    if unique:
        out["uniqueItems"] = True
    out.update(extra)
    return out


def obj(desc: str, props: dict[str, Schema], required: tuple[str, ...] = (), **extra: Any) -> Schema:
    out: Schema = {"description": desc, "type": "object", "additionalProperties": False,
                   "properties": props}
    if required:
        out["required"] = list(required)
    out.update(extra)
    return out


def one_of_keys(keys: list[str]) -> list[Schema]:
    """``oneOf`` branches meaning "exactly one of these keys" (validate.py recognises it)."""
    return [{"required": [k]} for k in keys]


def exclude_field() -> Schema:
    return boolean("true removes the inherited item with the same key (from a template, asset or "
                   "policy default); not allowed when a policy locks it")


# --- common definitions -------------------------------------------------------------------------

def common_defs() -> dict[str, Schema]:
    defs: dict[str, Schema] = {}
    defs.update(_name_defs())
    defs.update(_compute_defs())
    defs.update(_env_defs())
    defs.update(_storage_defs())
    defs.update(_security_defs())
    defs.update(_network_defs())
    defs.update(_scheduling_defs())
    defs.update(_target_defs())
    return defs


def _name_defs() -> dict[str, Schema]:
    l = True
    return {
        "dnsLabel": patterned("A DNS-1123 label.", DNS_LABEL, DNS_LABEL_MESSAGE, minLength=1,
                              maxLength=63),
        "projectName": patterned("A Run:ai project name.", PROJECT_NAME, PROJECT_NAME_MESSAGE,
                                 minLength=1, maxLength=63),
        "dnsSubdomain": patterned("A DNS-1123 subdomain.", DNS_SUBDOMAIN, DNS_SUBDOMAIN_MESSAGE,
                                  minLength=1, maxLength=253),
        "labelKey": patterned("A Kubernetes label or annotation key.", LABEL_KEY, LABEL_KEY_MESSAGE,
                              maxLength=317),
        "labelValue": patterned("A Kubernetes label value.", LABEL_VALUE, LABEL_VALUE_MESSAGE,
                                maxLength=63),
        "nodeLabelValue": patterned("A node label value (node pool, node type).", LABEL_VALUE,
                                    LABEL_VALUE_MESSAGE, minLength=1, maxLength=63),
        "labelMap": {"description": "A map of Kubernetes labels.", "type": "object",
                     "propertyNames": ref("labelKey", "A label key.", l),
                     "additionalProperties": ref("labelValue", "A label value.", l)},
        "annotationMap": {"description": "A map of Kubernetes annotations.", "type": "object",
                          "propertyNames": ref("labelKey", "An annotation key.", l),
                          "additionalProperties": string("An annotation value.")},
        "quantity": {"description": "A Kubernetes resource quantity such as 512Mi, 4G or 0.5.",
                     "type": ["string", "number"], "minimum": 0,
                     "pattern": QUANTITY, "patternErrorMessage": QUANTITY_MESSAGE},
        "absolutePath": patterned("An absolute path.", ABS_PATH, ABS_PATH_MESSAGE),
        "port": integer("A TCP/UDP port number.", 1, 65535),
        "portOrName": {"description": "A port number, or the name of a container port.",
                       "anyOf": [ref("port", "A port number.", l),
                                 patterned("A port name.", PORT_NAME, PORT_NAME_MESSAGE,
                                           maxLength=15)]},
        "workloadType": enum("A workload type.", WORKLOAD_TYPES),
        "globList": array("Shell-style globs (*, ?, [...]).", text("A glob."), unique=True),
        "metadata": _metadata(ref("dnsLabel", "The document's name (a DNS-1123 label, at most 63 "
                                              "characters).", l)),
        "projectMetadata": _metadata(ref("projectName", "The project's name: lowercase, starting "
                                                        "with a letter.", l)),
    }


def _metadata(name: Schema) -> Schema:
    return obj("Identifies the document.", {
        "name": name,
        "labels": ref("labelMap", "Labels (for workloads: put on every emitted object).", True),
        "annotations": ref("annotationMap", "Annotations (for workloads: put on every emitted "
                                            "object).", True),
    }, required=("name",))


def _compute_defs() -> dict[str, Schema]:
    l = True
    portion = {"type": "number", "exclusiveMinimum": 0, "maximum": 1}
    return {"compute": obj("Compute resources of each pod (Run:ai's compute fields).", {
        "gpuDevicesRequest": integer("Number of GPU devices per pod; with a portion or memory "
                                     "request, the number of devices each sharing that part.", 0),
        "gpuRequestType": enum("How a GPU part is requested: portion (gpuPortionRequest), memory "
                               "(gpuMemoryRequest) or migProfile.", ["portion", "memory",
                                                                     "migProfile"]),
        "gpuPortionRequest": {"description": "Part of one GPU each device gets, greater than 0 and "
                                             "at most 1 (Run:ai scheduler only).", **portion},
        "gpuPortionLimit": {"description": "Upper limit of the GPU part (at least the request).",
                            **portion},
        "gpuMemoryRequest": ref("quantity", "GPU memory per device, a quantity such as 10Gi "
                                            "(Run:ai scheduler only).", l),
        "gpuMemoryLimit": ref("quantity", "Upper limit of GPU memory per device.", l),
        "migProfile": enum("NVIDIA MIG profile of the GPU slice.", MIG_PROFILES),
        "cpuCoreRequest": {"description": "CPU cores requested (may be fractional, e.g. 0.5).",
                           "type": "number", "minimum": 0},
        "cpuCoreLimit": {"description": "CPU core limit.", "type": "number", "minimum": 0},
        "cpuMemoryRequest": ref("quantity", "Memory requested, a quantity such as 16Gi.", l),
        "cpuMemoryLimit": ref("quantity", "Memory limit, a quantity such as 32Gi.", l),
        "largeShmRequest": boolean("Mount a memory-backed /dev/shm (needed by PyTorch DataLoader "
                                   "workers and NCCL)."),
        "extendedResources": array("Other resources, merged by resource name.", obj(
            "One extended resource.", {
                "resource": patterned("Resource name, e.g. hugepages-2Mi or vendor.com/device.",
                                      RESOURCE_NAME, RESOURCE_NAME_MESSAGE),
                "quantity": ref("quantity", "Amount requested (and limited).", l),
                "exclude": exclude_field(),
            }, required=("resource",))),
    })}


def _env_defs() -> dict[str, Schema]:
    key_ref = {"name": text("Name of the object."), "key": text("Key inside it.")}
    item = obj("One environment variable; value, secret, credential and podField are "
               "alternatives.", {
                   "name": patterned("Variable name (the merge key).", ENV_NAME, ENV_NAME_MESSAGE),
                   "value": string("Literal value (quote numbers and booleans), or "
                                   "SECRET:<secret>,<key> to read a Secret key."),
                   "secret": obj("Read the value from a key of an existing Secret.", key_ref,
                                 required=("name", "key")),
                   "credential": obj("Read the value from a key of a Credential asset's Secret.",
                                     {"name": text("Name of the Credential asset."),
                                      "key": text("Key inside its Secret.")},
                                     required=("name", "key")),
                   "podField": text("A pod field path such as metadata.name or status.podIP."),
                   "exclude": exclude_field(),
               }, required=("name",))
    return {
        "environmentVariable": item,
        "environmentVariables": array("Environment variables, merged by name.",
                                      {"$ref": "#/$defs/environmentVariable"}),
    }


def _storage_item(kind: str, for_list: bool) -> Schema:
    """One storage item; ``for_list`` adds the merge key requirement and ``exclude``."""
    l = True
    mount = ref("absolutePath", "Where the volume is mounted in the container.", l)
    ro = boolean("Mount read-only.")
    props: dict[str, Schema]
    key = "name"
    if kind == "pvc":
        key = "claimName"
        props = {
            "claimName": ref("dnsSubdomain", "Name of the PersistentVolumeClaim (the merge key).", l),
            "path": mount, "existingPvc": boolean("The claim exists already; wlc creates none."),
            "readOnly": ro,
            "ephemeral": boolean("Create the claim per run and delete it when the workload stops."),
            "claimInfo": obj("The claim wlc creates when existingPvc is false.", {
                "size": ref("quantity", "Requested capacity, e.g. 100Gi.", l),
                "storageClass": ref("dnsSubdomain", "StorageClass name.", l),
                "accessModes": obj("Access modes of the claim.", {
                    "readWriteOnce": boolean("ReadWriteOnce."),
                    "readOnlyMany": boolean("ReadOnlyMany."),
                    "readWriteMany": boolean("ReadWriteMany.")}),
                "volumeMode": enum("Volume mode.", ["Filesystem", "Block"]),
            }),
        }
    elif kind == "nfs":
        props = {"name": ref("dnsLabel", "Volume name (the merge key).", l),
                 "server": text("NFS server host name or address."),
                 "path": ref("absolutePath", "Exported path on the server.", l),
                 "mountPath": mount, "readOnly": ro}
    elif kind == "hostPath":
        props = {"name": ref("dnsLabel", "Volume name (the merge key).", l),
                 "path": ref("absolutePath", "Path on the node.", l), "mountPath": mount,
                 "mountPropagation": enum("Mount propagation.", ["None", "HostToContainer",
                                                                 "Bidirectional"]),
                 "readOnly": ro}
    elif kind == "git":
        props = {"name": ref("dnsLabel", "Volume name (the merge key).", l),
                 "repository": text("Repository URL."), "branch": text("Branch to check out."),
                 "revision": text("Commit, tag or ref to check out (default HEAD)."),
                 "path": mount,
                 "secretName": ref("dnsSubdomain", "Secret with username and password.", l)}
    elif kind == "s3":
        props = {"name": ref("dnsLabel", "Volume name (the merge key).", l),
                 "bucket": text("Bucket name."), "path": mount, "url": text("S3 endpoint URL."),
                 "accessKeySecret": ref("dnsSubdomain", "Secret holding the access key.", l),
                 # Run:ai's names of the two keys inside that Secret (policy-reference.md)
                 "secretKeyOfAccessKeyId": text("Key of the access key id in accessKeySecret."),
                 "secretKeyOfSecretKey": text("Key of the secret access key in accessKeySecret.")}
    elif kind == "dataVolume":  # Run:ai's field; no Kubernetes form (lowering refuses it)
        props = {"name": ref("dnsLabel", "Name of the Run:ai data volume (the merge key).", l),
                 "mountPath": mount}
    elif kind == "configMap":
        props = {"name": ref("dnsLabel", "Volume name (the merge key).", l),
                 "configMap": ref("dnsSubdomain", "Name of the ConfigMap.", l), "mountPath": mount,
                 "subPath": text("Mount only this key/path of the volume.")}
    else:  # secret
        props = {"name": ref("dnsLabel", "Volume name (the merge key).", l),
                 "secret": ref("dnsSubdomain", "Name of the Secret.", l), "mountPath": mount,
                 "defaultMode": integer("File mode bits (decimal, e.g. 420 for 0644).", 0, 511)}
    if for_list:
        props["exclude"] = exclude_field()
        return obj(f"One {kind} volume.", props, required=(key,))
    return obj(f"The {kind} volume.", props)


STORAGE = {"pvc": "pvc", "nfs": "nfs", "hostPath": "hostPath", "git": "git", "s3": "s3",
           "configMapVolumes": "configMap", "secretVolume": "secret", "dataVolume": "dataVolume"}


def _storage_defs() -> dict[str, Schema]:
    defs: dict[str, Schema] = {}
    for kind in STORAGE.values():
        defs[f"{kind}Volume"] = _storage_item(kind, True)
        defs[f"{kind}Source"] = _storage_item(kind, False)
    keys = {"pvc": "claimName"}
    defs["storage"] = obj("Volumes mounted into the containers.", {
        field: array(f"{kind} volumes, merged by {keys.get(kind, 'name')}.",
                     {"$ref": f"#/$defs/{kind}Volume"})
        for field, kind in STORAGE.items()})
    return defs


def _security_defs() -> dict[str, Schema]:
    return {"security": obj("Security settings of the containers.", {
        "uidGidSource": enum("Where the user and group ids come from (fromIdpToken: the "
                             "submitter's non-root identity; wlc has no identity provider, so "
                             "the pod gets runAsNonRoot: true and runAsUid/runAsGid stand in "
                             "for the token's ids).",
                             ["fromTheImage", "fromIdpToken", "custom"]),
        "runAsUid": integer("User id (with uidGidSource custom or fromIdpToken).", 0),
        "runAsGid": integer("Group id (with uidGidSource custom or fromIdpToken).", 0),
        "supplementalGroups": array("Extra group ids.", integer("A group id.", 0), unique=True),
        "runAsNonRoot": boolean("Refuse to start as root."),
        "allowPrivilegeEscalation": boolean("Allow privilege escalation (setuid)."),
        "readOnlyRootFilesystem": boolean("Mount the root filesystem read-only."),
        "hostIpc": boolean("Use the node's IPC namespace."),
        "hostNetwork": boolean("Use the node's network namespace."),
        "capabilities": array("Linux capabilities to add.", patterned(
            "A capability name.", CAPABILITY, CAPABILITY_MESSAGE), unique=True),
        "seccompProfileType": enum("Seccomp profile type.", ["RuntimeDefault", "Unconfined",
                                                             "Localhost"]),
        "seccompLocalhostProfile": {
            "description": "With seccompProfileType Localhost: the profile file, relative to the "
                           "kubelet's seccomp folder (e.g. profiles/audit.json).",
            "type": "string", "minLength": 1, "pattern": "^[^/]",
            "patternErrorMessage": "must be a path relative to the kubelet's seccomp folder"},
    })}


def _network_defs() -> dict[str, Schema]:
    l = True
    tool = {"toolType": text("Tool type, e.g. jupyter-notebook, tensorboard, custom."),
            "toolName": text("Tool name shown to users.")}
    return {
        "portItem": obj("One container port and how it is exposed.", {
            "container": ref("port", "Container port (the merge key).", l),
            "serviceType": enum("Service type.", ["ClusterIP", "NodePort", "LoadBalancer"]),
            "external": ref("port", "Service port (NodePort/LoadBalancer: the external port).", l),
            "name": patterned("Port name.", PORT_NAME, PORT_NAME_MESSAGE, maxLength=15),
            **tool, "exclude": exclude_field()}, required=("container",)),
        "exposedUrl": obj("One container port exposed through an Ingress URL.", {
            "container": ref("port", "Container port (the merge key).", l),
            "url": text("Host and optional path, e.g. nb.example.com/lab."),
            "authorizedUsers": array("Users allowed to open the URL.", text("A user."),
                                     unique=True),
            "authorizedGroups": array("Groups allowed to open the URL.", text("A group."),
                                      unique=True),
            "name": patterned("Port name.", PORT_NAME, PORT_NAME_MESSAGE, maxLength=15),
            **tool, "exclude": exclude_field()}, required=("container",)),
        "tool": obj("A tool the environment offers, exposed as a port or URL.", {
            "name": ref("dnsLabel", "Tool name.", l),
            "toolType": text("Tool type, e.g. jupyter-notebook, tensorboard, custom."),
            "connectionType": enum("How the tool is reached.", ["ClusterIP", "NodePort",
                                                                "LoadBalancer", "ExternalUrl"]),
            "containerPort": ref("port", "Container port of the tool.", l),
            "url": text("URL (with connectionType ExternalUrl)."),
        }, required=("name",)),
        "nameValue": obj("One label or annotation, merged by name.", {
            "name": ref("labelKey", "Key (the merge key).", l),
            "value": string("Value."), "exclude": exclude_field()}, required=("name",)),
    }


def _scheduling_defs() -> dict[str, Schema]:
    return {"toleration": obj("One toleration, merged by name.", {
        "name": ref("dnsLabel", "Item name (the merge key).", True),
        "operator": enum("Toleration operator.", ["Equal", "Exists"]),
        "key": ref("labelKey", "Taint key (empty with Exists = every taint).", True),
        "value": string("Taint value (with Equal)."),
        "effect": enum("Taint effect (empty = every effect).",
                       ["NoSchedule", "PreferNoSchedule", "NoExecute"]),
        "seconds": integer("How long a NoExecute taint is tolerated.", 0),
        "exclude": exclude_field()}, required=("name",))}


def _target_defs() -> dict[str, Schema]:
    l = True
    return {"target": obj("Cluster target settings.", {
        "kubernetesVersion": default(enum('Kubernetes minor version as a string, e.g. "1.34".',
                                          KUBERNETES_VERSIONS), "1.37"),
        "scheduler": default(enum("default, runai (schedulerName, runai/queue, GPU fractions) or "
                                  "kueue (queue label).", ["default", "runai", "kueue"]), "default"),
        "namespaceTemplate": default(patterned("Namespace of a project, e.g. runai-{project}.",
                                               NAMESPACE_TEMPLATE, NAMESPACE_TEMPLATE_MESSAGE),
                                     "runai-{project}"),
        "distributed": default(enum("Distributed backend: kubeflow (PyTorchJob/TFJob/MPIJob) or "
                                    "native (indexed Job + headless Service).",
                                    ["kubeflow", "native"]), "kubeflow"),
        "inference": default(enum("Inference backend.", ["deployment", "knative", "kserve"]),
                             "deployment"),
        "ingressClass": default(ref("dnsSubdomain", "IngressClass of exposed URLs.", l), "nginx"),
        "hostPattern": default(text("Host of exposed URLs, e.g. {workload}.{project}.example.com."),
                               "{workload}.{project}.example.com"),
        "gpuResource": default(patterned("Extended resource name of a whole GPU.", RESOURCE_NAME,
                                         RESOURCE_NAME_MESSAGE), "nvidia.com/gpu"),
        "nodePoolLabel": default(ref("labelKey", "Node label that names a node pool.", l),
                                 "run.ai/node-pool"),
        "gitSyncImage": default(text("Image of the git-sync init container."),
                                "registry.k8s.io/git-sync/git-sync:v4.4.0"),
        "kueueQueue": default(text("LocalQueue name with scheduler kueue, e.g. {project}."),
                              "{project}"),
        "knativeFeatures": default(array("Knative config-features enabled in the cluster.",
                                         patterned("A feature key.", KNATIVE_FEATURE,
                                                   KNATIVE_FEATURE_MESSAGE), unique=True), []),
        "s3": _s3_target(),
    })}


def _s3_target() -> Schema:
    """``target.s3``: S3 data sources become CSI ephemeral inline volumes of this driver."""
    names = ["bucket", "url", "accessKeyIdKey", "secretKeyKey"]
    keys = obj("Rename wlc's volumeAttributes (bucket, url, accessKeyIdKey, secretKeyKey) to the "
               "driver's keys; an empty name leaves that attribute out.",
               {n: string(f"The driver's volumeAttributes key for {n}.") for n in names})
    return obj("How the cluster mounts S3 data sources (storage.s3): each becomes a CSI ephemeral "
               "inline volume of this driver; without it S3 data sources are refused.", {
        "csiDriver": patterned("Name of the CSI driver installed in the cluster, e.g. "
                               "ru.yandex.s3.csi.", CSI_DRIVER, CSI_DRIVER_MESSAGE, maxLength=63),
        "keys": keys,
        "attributes": {"description": "volumeAttributes added to every S3 volume as they are "
                                      "(e.g. the driver's mounter or region).",
                       "type": "object", "additionalProperties": string("An attribute value.")},
    }, required=("csiDriver",))


# --- workload field tree --------------------------------------------------------------------

def asset_refs(template: bool) -> dict[str, Schema]:
    out: dict[str, Schema] = {}
    if template:
        out["template"] = ref("dnsLabel", "Name of a Template asset merged under this spec.")
    out["environment"] = ref("dnsLabel", "Name of an Environment asset.")
    out["compute"] = {"description": "Name of a ComputeResource asset, or inline compute "
                                     "resources.",
                      "anyOf": [ref("dnsLabel", "Name of a ComputeResource asset."),
                                ref("compute", "Inline compute resources.")]}
    out["dataSources"] = array("Names of DataSource assets to mount.",
                               ref("dnsLabel", "A DataSource name."), unique=True)
    return out


def container_fields() -> dict[str, Schema]:
    return {
        "image": patterned("Container image, e.g. nvcr.io/nvidia/pytorch:24.05-py3.", IMAGE,
                           IMAGE_MESSAGE),
        "imagePullPolicy": enum("When to pull the image.", ["Always", "IfNotPresent", "Never"]),
        "command": text("Command (shell-split); replaces the image entrypoint."),
        "args": text("Arguments (shell-split)."),
        "workingDir": ref("absolutePath", "Working directory of the container."),
        "createHomeDir": boolean("Create a home directory for the user."),
        "stdin": boolean("Keep the container's stdin open (kubectl attach)."),
        "tty": boolean("Give the container a terminal (with stdin: kubectl attach -it)."),
        "environmentVariables": ref("environmentVariables", "Environment variables, merged by "
                                                            "name."),
    }


def pod_fields() -> dict[str, Schema]:
    return {
        "storage": ref("storage", "Volumes."),
        "security": ref("security", "Security settings."),
        "nodePools": array("Node pools in preference order (replaced as a whole when merged).",
                           ref("nodeLabelValue", "A node pool name."), unique=True),
        "nodeType": ref("nodeLabelValue", "Node type (node label run.ai/type)."),
        "tolerations": array("Tolerations, merged by name.", ref("toleration", "A toleration.")),
        "podAffinitySchedulingRule": enum("Keep the workload's pods together: required or "
                                          "preferred.", ["required", "preferred"]),
        "podAffinityTopology": ref("labelKey", "Topology key of the pod affinity, e.g. "
                                               "kubernetes.io/hostname."),
        "priorityClass": ref("dnsSubdomain", "PriorityClass name (Run:ai: build, train, "
                                             "interactive-preemptible, inference)."),
        "labels": array("Labels for every emitted object and the pod template, merged by name.",
                        ref("nameValue", "A label.")),
        "annotations": array("Annotations for every emitted object and the pod template, merged "
                             "by name.", ref("nameValue", "An annotation.")),
    }


def common_workload_fields() -> dict[str, Schema]:
    return {
        "project": ref("projectName", "Project; optional, must equal the project folder."),
        "active": default(boolean("false stops the workload (Job suspended, StatefulSet scaled "
                                  "to 0); default true."), True),
        **asset_refs(template=True), **container_fields(), **pod_fields(),
        "ports": array("Container ports exposed through Services, merged by container port.",
                       ref("portItem", "A port.")),
        "exposedUrls": array("Container ports exposed through Ingress URLs, merged by container "
                             "port.", ref("exposedUrl", "A URL.")),
        "terminateAfterPreemption": boolean("Do not restart the workload after it is preempted."),
        "terminationGracePeriodSeconds": integer("Seconds a stopping pod gets before it is "
                                                 "killed (Run:ai's --termination-grace-period).", 0),
    }


def lifecycle_fields() -> dict[str, Schema]:
    return {
        "backoffLimit": default(integer("Retries before the workload is failed (default 6).", 0), 6),
        "autoDeletionTimeAfterCompletionSeconds": integer(
            "Delete the finished workload after this many seconds (ttlSecondsAfterFinished).", 0),
        "rerun": string("Re-run token: any new value makes the sync agent start a new run of an "
                        "unchanged spec (a finished run of the same spec and token is not run again).",
                        minLength=1, maxLength=63),
    }


def training_fields() -> dict[str, Schema]:
    return {**lifecycle_fields(),
            "completions": default(integer("Successful runs needed (default 1).", 1), 1),
            "parallelism": integer("Runs at the same time (at most completions).", 1)}


def interactive_fields() -> dict[str, Schema]:
    return {"preemptible": boolean("Allow the workspace to use over-quota resources and be "
                                   "preempted (default false).")}


def section(role: str) -> Schema:
    return obj(f"Settings of the {role} pods that override the workload's pod-level fields.",
               {**asset_refs(template=False), **container_fields(), **pod_fields()})


def distributed_fields() -> dict[str, Schema]:
    return {
        "framework": enum("Distributed framework.", ["PyTorch", "TF", "MPI", "XGBoost"]),
        "workers": integer("Number of worker pods.", 0),
        "noMaster": boolean("Run workers only, without a master pod (PyTorch, TF; an MPI or XGBoost job always has one)."),
        "master": section("master (MPI: launcher)"),
        "worker": section("worker"),
        "cleanPodPolicy": default(enum("Which pods to delete when the job ends (default "
                                       "Running).", ["Running", "All", "None"]), "Running"),
        "slotsPerWorker": default(integer("MPI slots (processes) per worker (default 1).", 1), 1),
        "minReplicas": integer("Elastic PyTorch: fewest workers.", 1),
        "maxReplicas": integer("Elastic PyTorch: most workers.", 1),
        "nonPreemptible": boolean("Only schedule within the project's deserved quota; never "
                                  "preempted."),
        "tfReplicas": obj("TF: replica types besides master and workers.", {
            "ps": integer("Parameter server pods.", 0),
            "evaluator": integer("Evaluator pods (0 or 1).", 0, 1)}),
        **lifecycle_fields(),
    }


def probe() -> Schema:
    port = ref("portOrName", "Port number or container port name.")
    handler = obj("How the probe checks the container: exactly one of httpGet, tcpSocket, exec, "
                  "grpc.", {
                      "httpGet": obj("HTTP GET; success is a 2xx/3xx status.", {
                          "path": ref("absolutePath", "Request path."), "port": port,
                          "scheme": enum("Scheme.", ["HTTP", "HTTPS"])}, required=("port",)),
                      "tcpSocket": obj("TCP connect.", {"port": port}, required=("port",)),
                      "exec": obj("Run a command in the container; success is exit code 0.", {
                          "command": array("Command and arguments.", string("A word."),
                                           minItems=1)}, required=("command",)),
                      "grpc": obj("gRPC health check.", {
                          "port": ref("port", "Port number."),
                          "service": string("Service name for the health check.")},
                          required=("port",)),
                  }, oneOf=one_of_keys(["httpGet", "tcpSocket", "exec", "grpc"]))
    return obj("A container probe.", {
        "initialDelaySeconds": integer("Seconds after start before the first probe.", 0),
        "periodSeconds": default(integer("Seconds between probes (default 10).", 1), 10),
        "timeoutSeconds": default(integer("Seconds before a probe times out (default 1).", 1), 1),
        "successThreshold": default(integer("Consecutive successes to count as healthy "
                                            "(default 1).", 1), 1),
        "failureThreshold": default(integer("Consecutive failures to count as failed "
                                            "(default 3).", 1), 3),
        "handler": handler}, required=("handler",))


def inference_fields() -> dict[str, Schema]:
    return {
        "servingPort": obj("The port that serves requests.", {
            "container": ref("port", "Container port."),
            "protocol": default(enum("Protocol (default http).", ["http", "grpc"]), "http"),
            "authorizationType": default(enum("Who may call the endpoint (default public).",
                                              ["public", "authenticatedUsers",
                                               "authorizedUsersOrGroups"]), "public"),
            "authorizedUsers": array("Users allowed (authorizedUsersOrGroups).", text("A user."),
                                     unique=True),
            "authorizedGroups": array("Groups allowed (authorizedUsersOrGroups).",
                                      text("A group."), unique=True),
            "clusterLocalAccessOnly": boolean("Reachable from inside the cluster only "
                                              "(Run:ai's cluster-local-access-only)."),
        }, required=("container",)),
        "autoscaling": obj("Replica count and autoscaling.", {
            "minReplicas": integer("Fewest replicas (0 = scale to zero, knative only).", 0),
            "maxReplicas": integer("Most replicas.", 1),
            "metric": enum("Metric that drives scaling (needed when minReplicas < maxReplicas).",
                           ["throughput", "concurrency", "latency", "cpu-utilization",
                            "gpu-utilization", "custom"]),
            "metricName": text("Metric name (with metric custom)."),
            "threshold": {"description": "Target value of the metric per replica.",
                          "type": "number", "exclusiveMinimum": 0},
            # Run:ai's CLI v2 `runai inference submit` flags (compiler/lower/inference/tuning.py)
            "metricThresholdPercentage": integer("Percent of the threshold to scale at "
                                                 "(knative).", 1, 100),
            "initialReplicas": integer("Replicas at the first start (knative).", 0),
            "activationReplicas": integer("Replicas when scaling up from zero (knative).", 1),
            "concurrencyHardLimit": integer("Most requests per replica at once; 0 = no limit "
                                            "(knative).", 0),
            "scaleDownDelaySeconds": integer("Seconds to wait before scaling down.", 0),
            "scaleToZeroRetentionSeconds": integer("Seconds the last replica stays after "
                                                   "traffic stops (knative).", 0),
            "initializationTimeoutSeconds": integer("Most seconds a new replica may take to "
                                                    "become ready.", 1),
        }),
        "probes": obj("Container probes.", {"readiness": probe(), "liveness": probe()}),
    }


def template_fields() -> dict[str, Schema]:
    fields = {**common_workload_fields(), **training_fields(), **interactive_fields(),
              **distributed_fields(), **inference_fields()}
    del fields["project"], fields["template"]
    return fields


# --- documents ----------------------------------------------------------------------------------

def document(kind: str, desc: str, spec: Schema | None, spec_required: bool = True,
             metadata: str = "metadata") -> Schema:
    props: dict[str, Schema] = {
        "apiVersion": {"description": "Always wlc.dev/v1alpha1.", "enum": [API_VERSION]},
        "kind": {"description": f"Always {kind}.", "enum": [kind]},
        "metadata": ref(metadata, "Name, labels and annotations."),
    }
    required = ["apiVersion", "kind", "metadata"]
    if spec is not None:
        props["spec"] = spec
        if spec_required:
            required.append("spec")
    return {"$schema": DRAFT, "title": f"wlc {kind}", "description": desc, "type": "object",
            "additionalProperties": False, "properties": props, "required": required}


def workload(kind: str, desc: str, extra: dict[str, Schema],
             required: tuple[str, ...] = ()) -> Schema:
    spec = obj(f"The {kind} spec (Run:ai workload field names).",
               {**common_workload_fields(), **extra}, required=required)
    return document(kind, desc, spec)


def kinds() -> dict[str, Schema]:
    return {
        "TrainingWorkload": workload("TrainingWorkload", "A training workload: a batch Job.",
                                     training_fields()),
        "InteractiveWorkload": workload("InteractiveWorkload", "An interactive workload "
                                        "(workspace): a one-replica StatefulSet with Services.",
                                        interactive_fields()),
        "DistributedWorkload": workload("DistributedWorkload", "A distributed training workload "
                                        "(PyTorch, TF, MPI, XGBoost).", distributed_fields(),
                                        required=("framework",)),
        "InferenceWorkload": workload("InferenceWorkload", "An inference workload: a Deployment, "
                                      "Service and autoscaler.", inference_fields()),
        **asset_kinds(), **org_kinds(),
    }


def asset_kinds() -> dict[str, Schema]:
    env = obj("The environment: image, command, variables, security and tools.", {
        **container_fields(), "security": ref("security", "Security settings."),
        "tools": array("Tools, merged by name; each becomes a port or exposed URL.",
                       ref("tool", "A tool.")),
        "architecture": enum("standard (one pod) or distributed (several pods).",
                             ["standard", "distributed"]),
        "workloadTypes": array("Workload types that may use it (default all).",
                               ref("workloadType", "A workload type."), unique=True)})
    sources = {"pvc": "pvc", "nfs": "nfs", "hostPath": "hostPath", "git": "git", "s3": "s3",
               "configMap": "configMap", "secret": "secret"}
    ds = obj("Exactly one of pvc, nfs, hostPath, git, s3, configMap, secret.",
             {k: ref(f"{v}Source", f"A {k} volume.") for k, v in sources.items()},
             oneOf=one_of_keys(list(sources)))
    cred = obj("Names an existing Secret; secret values never live in git.", {
        "type": enum("Credential type.", ["docker-registry", "access-key", "password", "generic"]),
        "secretName": ref("dnsSubdomain", "Name of the existing Secret.")},
        required=("type", "secretName"))
    tpl = obj("Any part of the workload spec, merged under the workloads that use it.",
              template_fields())
    return {
        "Environment": document("Environment", "An environment asset.", env),
        "ComputeResource": document("ComputeResource", "A compute resource asset.",
                                    ref("compute", "Compute resources.")),
        "DataSource": document("DataSource", "A data source asset: one volume.", ds),
        "Credential": document("Credential", "A credential asset: a reference to a Secret.", cred),
        "Template": document("Template", "A workload template asset.", tpl),
    }


ROLES = ["viewer", "researcher", "editor"]
#: a department's members may also be its administrators (Run:ai's department administrator)
DEPARTMENT_ROLES = ROLES + ["admin"]
POD_SECURITY_LEVELS = ["privileged", "baseline", "restricted"]
OVER_QUOTA_PRIORITIES = ["lowest", "low", "medium", "high"]


def pool_quota(owner: str) -> Schema:
    """One node pool's quota of a project or department (Run:ai: deserved GPUs, CPU, memory)."""
    return obj(f"The {owner}'s quota in one node pool.", {
        "nodePool": ref("nodeLabelValue", "The node pool (its node label value; Kueue: the "
                                          "ResourceFlavor of that name)."),
        "gpuDevices": integer(f"Deserved GPU devices: guaranteed to the {owner} in this pool.", 0),
        "gpuLimit": integer(f"Most GPU devices the {owner} may use in this pool, over quota "
                            "included (default: no limit; Kueue: borrowingLimit = gpuLimit - "
                            "gpuDevices).", 0),
        "cpuCores": {"description": "Deserved CPU cores (default: no CPU quota).",
                     "type": "number", "minimum": 0},
        "memory": ref("quantity", "Deserved memory, a quantity such as 512Gi (default: no "
                                  "memory quota)."),
    }, required=("nodePool",))


def quota_list(owner: str) -> Schema:
    return array(f"The {owner}'s quota per node pool (one entry per pool).", pool_quota(owner),
                 uniqueItems=True)


def over_quota(owner: str) -> Schema:
    return obj(f"Whether and how the {owner} may use idle quota beyond its own (Run:ai's "
               "over-quota).", {
                   "allowed": default(boolean("May borrow idle GPUs over its deserved quota "
                                              "(default true; false: Kueue borrowingLimit 0)."), True),
                   "priority": default(enum("Over-quota priority: who gets idle GPUs first "
                                            "(Kueue fair-sharing weight 0, 1, 2, 4).",
                                            OVER_QUOTA_PRIORITIES), "medium")})


def members() -> Schema:
    member = obj("A user or a group and its role in the project.", {
        "user": text("A user name as the API server authenticates it (RBAC subject kind User)."),
        "group": text("A group name as the API server authenticates it (RBAC subject kind Group)."),
        "role": enum("viewer: read the project's objects and logs; researcher: viewer plus "
                     "exec, port-forward and deleting pods; editor: researcher plus creating "
                     "and changing the project's workload objects (docs/organisation.md).", ROLES),
    }, required=("role",), oneOf=[{"required": ["user"]}, {"required": ["group"]}])
    return array("Who may use the project, and how (RoleBindings in its namespace).", member,
                 uniqueItems=True)


def department_members() -> Schema:
    member = obj("A user or a group and its role in every project of the department.", {
        "user": text("A user name as the API server authenticates it (RBAC subject kind User)."),
        "group": text("A group name as the API server authenticates it (RBAC subject kind Group)."),
        "role": enum("viewer, researcher, editor: as in a project, in every project of the "
                     "department; admin (Run:ai's department administrator): editor plus reading "
                     "the RoleBindings and quotas of those namespaces (docs/organisation.md).",
                     DEPARTMENT_ROLES),
    }, required=("role",), oneOf=[{"required": ["user"]}, {"required": ["group"]}])
    return array("Who may use every project of the department, and how (RoleBindings "
                 "wlc-department-<role> in each of its projects' namespaces).", member, uniqueItems=True)


def org_kinds() -> dict[str, Schema]:
    return {
        "Project": document("Project", "A Run:ai project.", obj("Project settings.", {
            "department": ref("dnsLabel", "Department name."),
            "namespace": ref("dnsLabel", "Namespace (default runai-<project>)."),
            "nodePools": array("Node pools the project may use, in preference order.",
                               ref("nodeLabelValue", "A node pool."), unique=True),
            "nodeTypes": array("Node types the project may use.",
                               ref("nodeLabelValue", "A node type."), unique=True),
            "quota": quota_list("project"),
            "overQuota": over_quota("project"),
            "members": members(),
            "podSecurity": default(enum("Pod Security Admission level of the project's namespace "
                                        "(enforced, warned and audited).", POD_SECURITY_LEVELS),
                                   "baseline")}),
            spec_required=False, metadata="projectMetadata"),
        "Department": document("Department", "A Run:ai department.", obj(
            "Department settings.", {"description": string("What the department is."),
                                     "quota": quota_list("department"),
                                     "overQuota": over_quota("department"),
                                     "members": department_members()}),
            spec_required=False),
        "Policy": document("Policy", "An administrator policy (Run:ai v2 policy body).", policy_spec()),
        "Overlay": document("Overlay", "An environment or cluster: target settings and patches.",
                            overlay_spec()),
        "Repository": document("Repository", "The repository settings (wlc.yaml).", obj(
            "Where inputs live and build defaults.", {
                "workloadRoots": default(array("Folders holding workloads (default "
                                               "[workloads]).", text("A folder, relative to the "
                                                                     "repository root."),
                                               unique=True), ["workloads"]),
                "exclude": ref("globList", "Paths to skip."),
                "target": ref("target", "Default cluster target settings."),
                "defaultOverlay": ref("dnsLabel", "Overlay used when none is given."),
                "allowSystemNamespaces": array(
                    "Kubernetes system namespaces that projects may use (refused otherwise).",
                    enum("A system namespace.", ["default", "kube-node-lease", "kube-public",
                                                 "kube-system"]), unique=True),
                "limits": obj("Bounds on what wlc reads (docs/trust.md).", {
                    "maxFileBytes": default(integer("Largest input file read, in bytes (default 1 MiB,"
                                                    " at most 64 MiB).", 1, 64 << 20), 1 << 20)})}),
            spec_required=False),
    }


def policy_spec() -> Schema:
    scope = obj("Where the policy applies: exactly one of cluster, department, project.", {
        "cluster": {"description": "true: the whole cluster.", "enum": [True]},
        "department": ref("dnsLabel", "A department."),
        "project": ref("projectName", "A project.")},
        oneOf=one_of_keys(["cluster", "department", "project"]))
    return obj("Scope, workload types and the Run:ai policy body.", {
        "scope": scope,
        "workloadTypes": array("Workload types it applies to (default all).",
                               ref("workloadType", "A workload type."), unique=True, minItems=1),
        # Run:ai's policy API documents `defaults: null` / `rules: null` for "none"
        "defaults": {"description": "Default values on the workload field tree (null: none).",
                     "type": ["object", "null"]},
        "rules": {"description": "Rules per field (required, canEdit, min, max, step, options, "
                                 "defaultFrom, instances, attributes; null: none).",
                  "type": ["object", "null"]},
        "imposedAssets": array("DataSource assets added to every workload in scope.",
                               ref("dnsLabel", "A DataSource name."), unique=True),
    }, required=("scope",))


def overlay_spec() -> Schema:
    labels = {"description": "Labels to match.", "$ref": f"{COMMON}#/$defs/labelMap"}
    def workload_select(description: str) -> Schema:
        return obj(description, {
            "projects": ref("globList", "Project name globs."),
            "departments": ref("globList", "Department name globs."),
            "workloadTypes": array("Workload types.", ref("workloadType", "A workload type."),
                                   unique=True),
            "labels": labels,
            "names": ref("globList", "Workload name globs.")})
    spec_patch = obj("A patch on the spec of selected workloads.", {
        "select": workload_select("Which workloads (all given conditions must hold; none = all)."),
        "patch": {"description": "Merged over the workload spec (a map on the field tree).",
                  "type": "object"}}, required=("patch",))
    op = obj("One JSON Patch (RFC 6902) operation.", {
        "op": enum("Operation.", ["add", "remove", "replace", "move", "copy", "test"]),
        "path": patterned("Target location.", JSON_POINTER, JSON_POINTER_MESSAGE),
        "value": {"description": "Value (add, replace, test)."},
        "from": patterned("Source location (move, copy).", JSON_POINTER, JSON_POINTER_MESSAGE)},
        required=("op", "path"), allOf=[
            {"if": {"properties": {"op": {"enum": ["add", "replace", "test"]}}},
             "then": {"required": ["value"]}},
            {"if": {"properties": {"op": {"enum": ["move", "copy"]}}},
             "then": {"required": ["from"]}}])
    object_patch = obj("A patch on emitted Kubernetes objects: jsonPatch or mergePatch.", {
        "select": obj("Which objects (all given conditions must hold).", {
            "group": string("API group (\"\" = core)."), "kind": text("Kind."),
            "name": text("Object name glob."), "namespace": text("Namespace glob."),
            "labels": labels}),
        "jsonPatch": array("JSON Patch operations.", op, minItems=1),
        "mergePatch": {"description": "JSON Merge Patch (RFC 7386).", "type": "object"}},
        required=("select",), oneOf=one_of_keys(["jsonPatch", "mergePatch"]))
    return obj("Target settings and admin patches of one environment or cluster.", {
        "bases": array("Overlays applied first, in order.", ref("dnsLabel", "An overlay name."),
                       unique=True),
        "target": ref("target", "Target settings (override wlc.yaml's)."),
        "excludeWorkloads": array(
            "Workloads this environment does not run: each entry selects workloads (all its "
            "conditions must hold); they are left out of this overlay's bundle and listed under "
            "`excluded` in its index.json.",
            workload_select("Which workloads to leave out.")),
        "specPatches": array("Patches on workload specs, in order.", spec_patch),
        "objectPatches": array("Patches on emitted objects, in order.", object_patch),
        "commonLabels": ref("labelMap", "Labels added to every emitted object."),
        "commonAnnotations": ref("annotationMap", "Annotations added to every emitted object."),
        "namespaces": {"description": "Namespace per project (overrides the template).",
                       "type": "object",
                       "propertyNames": ref("projectName", "A project."),
                       "additionalProperties": ref("dnsLabel", "Its namespace.")},
    })


def document_schema(kind_names: list[str]) -> Schema:
    """For editors: any wlc document, checked against the schema its ``kind`` names."""
    return {"$schema": DRAFT, "title": "wlc document",
            "description": "Any wlc input document; the kind selects its schema.",
            "type": "object", "required": ["apiVersion", "kind"],
            "properties": {"kind": enum("What the document is.", kind_names)},
            "allOf": [{"if": {"properties": {"kind": {"const": k}}, "required": ["kind"]},
                       "then": {"$ref": f"{k}.schema.json"}} for k in kind_names]}


def common_schema() -> Schema:
    return {"$schema": DRAFT, "title": "wlc shared definitions",
            "description": "Pieces shared by the wlc input kinds.", "$defs": common_defs()}


def render(schema: Schema) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def all_files() -> dict[str, str]:
    """File name → content of every schema file."""
    out = {COMMON: render(common_schema())}
    for kind, schema in kinds().items():
        out[f"{kind}.schema.json"] = render(schema)
    out[DOCUMENT] = render(document_schema(list(kinds())))
    return out


def main() -> int:
    for name, content in all_files().items():
        (HERE / name).write_text(content, encoding="utf-8")
    print(f"wrote {len(all_files())} schema files to {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
