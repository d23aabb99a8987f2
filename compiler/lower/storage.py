"""``spec.storage`` → volumes, mounts, git-sync init containers and new PersistentVolumeClaims.

Volume names are ``<type>-<item name>`` made into DNS-1123 labels (hashed when they had to be
changed or shortened) and made unique in spec order, so the same spec gives the same names.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from compiler.lower.common import DNS_SUBDOMAIN, Ctx, dns_label, metadata, quantity_text, unique
from compiler.model import Path, S3Target
from compiler.shapes import K8sObject, SpecTree

ACCESS_MODES = {"readWriteOnce": "ReadWriteOnce", "readOnlyMany": "ReadOnlyMany",
                "readWriteMany": "ReadWriteMany", "readWriteOncePod": "ReadWriteOncePod"}
GIT_ROOT = "/tmp/git"


@dataclass
class Storage:
    volumes: list[K8sObject] = field(default_factory=list)
    mounts: list[K8sObject] = field(default_factory=list)
    init_containers: list[K8sObject] = field(default_factory=list)
    objects: list[K8sObject] = field(default_factory=list)
    names: set[str] = field(default_factory=set)

    def add(self, kind: str, key: str, source: K8sObject, mount: K8sObject) -> str:
        name = unique(dns_label(f"{kind}-{key}"), self.names)
        self.volumes.append({"name": name, **source})
        self.mounts.append({"name": name, **mount})
        return name


def lower_storage(ctx: Ctx) -> Storage:
    out = Storage()
    _pvcs(ctx, out)
    _nfs(ctx, out)
    _host_paths(ctx, out)
    _git(ctx, out)
    _s3(ctx, out)
    _data_volumes(ctx)
    _config_maps(ctx, out)
    _secrets(ctx, out)
    return out


def _mount(ctx: Ctx, where: Path, item: SpecTree, key: str) -> K8sObject | None:
    path = item.get(key)
    if not isinstance(path, str) or not path.startswith("/"):
        ctx.problem(where + (key,), "lower.mount-path",
                    f"{key} {path!r} must be an absolute path in the container")
        return None
    mount: K8sObject = {"mountPath": path}
    if item.get("readOnly") is True:
        mount["readOnly"] = True
    return mount


def _pvcs(ctx: Ctx, out: Storage) -> None:
    for i, item in ctx.items("storage", "pvc"):
        where = ("storage", "pvc", i)
        claim = item.get("claimName")
        if not isinstance(claim, str) or not DNS_SUBDOMAIN.match(claim) or len(claim) > 253:
            ctx.problem(where + ("claimName",), "lower.pvc-name",
                        f"claimName {claim!r} is not a valid Kubernetes name (lower-case letters, "
                        "digits, '-' and '.')")
            continue
        mount = _mount(ctx, where, item, "path")
        if mount is None:
            continue
        source: K8sObject = {"claimName": claim}
        if item.get("readOnly") is True:
            source["readOnly"] = True
        out.add("pvc", claim, {"persistentVolumeClaim": source}, mount)
        if item.get("existingPvc") is True:
            continue
        pvc = _new_pvc(ctx, where, item, claim)
        if pvc is not None and (ctx.rw.active or item.get("ephemeral") is not True):
            out.objects.append(pvc)


def _new_pvc(ctx: Ctx, where: Path, item: SpecTree, claim: str) -> K8sObject | None:
    raw_info = item.get("claimInfo")
    info: SpecTree = raw_info if isinstance(raw_info, dict) else {}
    size = quantity_text(info.get("size"))
    if size is None:
        ctx.problem(where + ("claimInfo", "size"), "lower.pvc-size",
                    f"new PVC {claim} needs claimInfo.size as a quantity (e.g. 10Gi), got "
                    f"{info.get('size')!r}; set existingPvc: true to use an existing claim")
        return None
    raw_modes = info.get("accessModes")
    modes_in: SpecTree = raw_modes if isinstance(raw_modes, dict) else {}
    modes = [k8s for key, k8s in ACCESS_MODES.items() if modes_in.get(key) is True]
    spec: K8sObject = {"accessModes": modes or ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": size}}}
    if info.get("storageClass"):
        spec["storageClassName"] = str(info["storageClass"])
    if info.get("volumeMode"):
        spec["volumeMode"] = str(info["volumeMode"])
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": metadata(ctx.rw, claim), "spec": spec}


def _nfs(ctx: Ctx, out: Storage) -> None:
    for i, item in ctx.items("storage", "nfs"):
        where = ("storage", "nfs", i)
        if not item.get("server") or not item.get("path"):
            ctx.problem(where, "lower.nfs", "an NFS volume needs server and path")
            continue
        mount = _mount(ctx, where, item, "mountPath")
        if mount is None:
            continue
        source: K8sObject = {"server": str(item["server"]), "path": str(item["path"])}
        if item.get("readOnly") is True:
            source["readOnly"] = True
        out.add("nfs", str(item.get("name", i)), {"nfs": source}, mount)


def _host_paths(ctx: Ctx, out: Storage) -> None:
    for i, item in ctx.items("storage", "hostPath"):
        where = ("storage", "hostPath", i)
        path = item.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            ctx.problem(where + ("path",), "lower.host-path",
                        f"hostPath path {item.get('path')!r} must be an absolute path on the node")
            continue
        mount = _mount(ctx, where, item, "mountPath")
        if mount is None:
            continue
        propagation = item.get("mountPropagation")
        if propagation == "Bidirectional":
            ctx.problem(where + ("mountPropagation",), "lower.mount-propagation",
                        "mountPropagation Bidirectional is only allowed in privileged containers, "
                        "which wlc does not create; use HostToContainer or None")
            continue
        if propagation:
            mount["mountPropagation"] = str(propagation)
        out.add("host", str(item.get("name", i)), {"hostPath": {"path": item["path"]}}, mount)


def _git_link(repository: str) -> str:
    base = posixpath.basename(repository.rstrip("/")) or "repo"
    base = base.removesuffix(".git")
    return base or "repo"


def _git(ctx: Ctx, out: Storage) -> None:
    for i, item in ctx.items("storage", "git"):
        where = ("storage", "git", i)
        repo = item.get("repository")
        if not isinstance(repo, str) or not repo:
            ctx.problem(where + ("repository",), "lower.git", "a git data source needs repository")
            continue
        mount = _mount(ctx, where, item, "path")
        if mount is None:
            continue
        name = out.add("git", str(item.get("name", i)), {"emptyDir": {}}, mount)
        ref = item.get("revision") or item.get("branch") or "HEAD"
        init: K8sObject = {
            "name": dns_label(name if name.startswith("git-") else f"git-{name}"),
            "image": ctx.target.git_sync_image,
            "args": [f"--repo={repo}", f"--ref={ref}", f"--root={GIT_ROOT}",
                     f"--link={_git_link(repo)}", "--one-time"],
            "volumeMounts": [{"name": name, "mountPath": GIT_ROOT}],
        }
        secret = item.get("secretName")
        if secret:
            init["env"] = [
                {"name": "GITSYNC_USERNAME",
                 "valueFrom": {"secretKeyRef": {"name": str(secret), "key": "username"}}},
                {"name": "GITSYNC_PASSWORD",
                 "valueFrom": {"secretKeyRef": {"name": str(secret), "key": "password"}}},
            ]
        out.init_containers.append(init)


def _s3(ctx: Ctx, out: Storage) -> None:
    """With ``target.s3`` a CSI ephemeral inline volume of its driver (no PersistentVolume: a
    cluster-scoped object cannot be owned by the workload); without it refused, because Run:ai's
    docs do not say what Run:ai creates to mount a bucket (docs/targets.md, "S3 data sources")."""
    for i, item in ctx.items("storage", "s3"):
        where = ("storage", "s3", i)
        if ctx.target.s3 is None:
            ctx.problem(where, "lower.s3-unsupported", _s3_message(item, i))
            continue
        if not isinstance(item.get("bucket"), str) or not item["bucket"]:
            ctx.problem(where + ("bucket",), "lower.s3", "an S3 data source needs bucket")
            continue
        mount = _mount(ctx, where, item, "path")
        if mount is not None:
            out.add("s3", str(item.get("name", i)), {"csi": _csi(ctx.target.s3, item)}, mount)


#: wlc's volumeAttributes name → the S3 item's field it carries
S3_ATTRIBUTES = {"bucket": "bucket", "url": "url", "accessKeyIdKey": "secretKeyOfAccessKeyId",
                 "secretKeyKey": "secretKeyOfSecretKey"}


def _csi(s3: S3Target, item: SpecTree) -> K8sObject:
    rename = dict(s3.keys)
    attributes = dict(s3.attributes)
    for name, key in S3_ATTRIBUTES.items():
        value, driver_key = item.get(key), rename.get(name, name)
        if value not in (None, "") and driver_key:
            attributes[driver_key] = str(value)
    source: K8sObject = {"driver": s3.csi_driver, "volumeAttributes": dict(sorted(attributes.items()))}
    if item.get("accessKeySecret"):
        source["nodePublishSecretRef"] = {"name": str(item["accessKeySecret"])}
    if item.get("readOnly") is True:
        source["readOnly"] = True
    return source


def _s3_message(item: SpecTree, index: int) -> str:
    bucket, path = item.get("bucket") or "?", item.get("path") or "<mount path>"
    where = f"bucket {bucket!r}" + (f" at {item['url']}" if item.get("url") else "")
    secret = item.get("accessKeySecret")
    creds = f" (the driver, not the pod, gets the keys in Secret {secret!r})" if secret else ""
    return (f"S3 data source {item.get('name', index)!r} ({where}): wlc mounts a bucket only with an "
            "S3 CSI driver installed in the cluster (e.g. csi-s3); set target s3: {csiDriver: <the "
            "driver's name>} in wlc.yaml or the overlay to mount it as a CSI inline volume, or make "
            f"a PersistentVolume of {where} with the driver and a PVC bound to it{creds}, then mount "
            f"that PVC with storage.pvc (existingPvc: true) as {{claimName: <the PVC>, path: {path}}} "
            "in place of this item, or exclude: true this item when a policy or template added it")


def _data_volumes(ctx: Ctx) -> None:
    for i, item in ctx.items("storage", "dataVolume"):
        ctx.problem(("storage", "dataVolume", i), "lower.data-volume",
                    f"data volume {item.get('name', i)!r}: Run:ai data volumes are PVC snapshots that "
                    "Run:ai's control plane shares across projects, which plain Kubernetes cannot do; "
                    "mount the PVC that holds the data with storage.pvc (existingPvc: true)")


def _config_maps(ctx: Ctx, out: Storage) -> None:
    for i, item in ctx.items("storage", "configMapVolumes"):
        where = ("storage", "configMapVolumes", i)
        cm = item.get("configMap") or item.get("name")
        mount = _mount(ctx, where, item, "mountPath")
        if not cm or mount is None:
            if not cm:
                ctx.problem(where, "lower.config-map", "a ConfigMap volume needs configMap")
            continue
        if item.get("subPath"):
            mount["subPath"] = str(item["subPath"])
        out.add("cm", str(item.get("name", cm)), {"configMap": {"name": str(cm)}}, mount)


def _secrets(ctx: Ctx, out: Storage) -> None:
    for i, item in ctx.items("storage", "secretVolume"):
        where = ("storage", "secretVolume", i)
        secret = item.get("secret") or item.get("name")
        mount = _mount(ctx, where, item, "mountPath")
        if not secret or mount is None:
            if not secret:
                ctx.problem(where, "lower.secret-volume", "a Secret volume needs secret")
            continue
        source: K8sObject = {"secretName": str(secret)}
        mode = _file_mode(ctx, where, item.get("defaultMode"))
        if mode is not None:
            source["defaultMode"] = mode
        mount["readOnly"] = True
        out.add("secret", str(item.get("name", secret)), {"secret": source}, mount)


def _file_mode(ctx: Ctx, where: Path, raw: object) -> int | None:
    """defaultMode as an int; strings are octal (``"0644"``), as people write file modes."""
    if raw is None:
        return None
    try:
        mode = int(raw, 8) if isinstance(raw, str) else int(raw) if isinstance(raw, (int, float)) else -1
    except ValueError:
        mode = -1
    if isinstance(raw, bool) or not 0 <= mode <= 0o777:
        ctx.problem(where + ("defaultMode",), "lower.file-mode",
                    f"defaultMode {raw!r} must be a file mode between 0 and 0777 (octal string "
                    "like \"0644\" or a decimal number)")
        return None
    return mode
