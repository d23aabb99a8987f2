"""Storage: ``pvcs``, ``volumes``, ``gitSync``, ``s3``, ``configMapVolumes``, ``secretVolumes``.

``volumes`` items are host paths unless they name an NFS server (``storage.nfs``); a deleted item
without a value excludes both. ``mountPropagation`` on the spec applies to every host path.
``gitSync`` and ``s3`` credentials are refused: they belong in a Secret, not in git.
"""
from __future__ import annotations

from ..model import Path
from ..shapes import YamlMap
from .builder import Out
from .items import Item, ItemKind, Member, append_item
from .values import Bad, Conv, as_bool, as_int, as_quantity, as_str, as_str_list, field_value, one_of, unwrap_leaf

NFS: Path = ("storage", "nfs")
HOST_PATH: Path = ("storage", "hostPath")

_propagation = one_of({"none": "None", "hosttocontainer": "HostToContainer", "bidirectional": "Bidirectional"})
_ACCESS_MODES = {"readwriteonce": "readWriteOnce", "rwo": "readWriteOnce", "readonlymany": "readOnlyMany",
                 "rox": "readOnlyMany", "rom": "readOnlyMany", "readwritemany": "readWriteMany",
                 "rwx": "readWriteMany", "rwm": "readWriteMany"}


def _access_modes(v: object) -> dict[str, bool]:
    """``{readWriteOnce: true}``, ``[ReadWriteOnce]`` or ``"RWO,ROX"`` → ``{readWriteOnce: true, ...}``."""
    if isinstance(v, dict):
        return {_ACCESS_MODES[str(k).lower()]: as_bool(unwrap_leaf(x, ())[0]) for k, x in v.items()
                if _known_mode(k)}
    modes = as_str_list(v)
    for mode in modes:
        if mode.lower() not in _ACCESS_MODES:
            raise Bad(f'"{mode}" is not an access mode (ReadWriteOnce, ReadOnlyMany, ReadWriteMany)')
    return {_ACCESS_MODES[m.lower()]: True for m in modes}


def _known_mode(key: object) -> bool:
    if str(key).lower() not in _ACCESS_MODES:
        raise Bad(f'"{key}" is not an access mode (readWriteOnce, readOnlyMany, readWriteMany)')
    return True


def _is_nfs(value: object) -> bool:
    """Whether a ``volumes`` item value names an NFS server."""
    return isinstance(value, dict) and bool({"nfsServer", "server"} & set(value))


def volume_targets(value: object = None) -> list[Path]:
    """The native lists a ``volumes`` value feeds: NFS, or (not knowing) host paths and NFS."""
    return [NFS] if _is_nfs(value) else [HOST_PATH, NFS]


def _place_volume(out: Out, kind: ItemKind, item: Item, members: list[Member]) -> None:
    value = unwrap_leaf(item.value, item.vpath)[0]
    nfs = _is_nfs(value)
    if nfs or item.deleted and not isinstance(value, dict):
        append_item(out, NFS, item, [m for m in members if m[0] != ("mountPropagation",)])
    if not nfs:
        append_item(out, kind.target, item, members)


_VOLUME: dict[str, tuple[Path, Conv]] = {
    "nfsServer": (("server",), as_str), "server": (("server",), as_str), "source": (("path",), as_str),
    "path": (("path",), as_str), "target": (("mountPath",), as_str), "mountPath": (("mountPath",), as_str),
    "mountPropagation": (("mountPropagation",), _propagation), "readOnly": (("readOnly",), as_bool)}

#: the storage item kinds, by Run:ai field
STORAGE_ITEMS: dict[str, ItemKind] = {
    "pvcs": ItemKind(("storage", "pvc"), "claimName", {
        "claimName": (("claimName",), as_str), "path": (("path",), as_str),
        "existingPvc": (("existingPvc",), as_bool), "readOnly": (("readOnly",), as_bool),
        "ephemeral": (("ephemeral",), as_bool), "size": (("claimInfo", "size"), as_quantity),
        "storageClass": (("claimInfo", "storageClass"), as_str),
        "accessModes": (("claimInfo", "accessModes"), _access_modes),
        "volumeMode": (("claimInfo", "volumeMode"), one_of({"filesystem": "Filesystem", "block": "Block"}))},
        nested="claimInfo"),
    "volumes": ItemKind(HOST_PATH, "name", _VOLUME, place=_place_volume),
    "gitSync": ItemKind(("storage", "git"), "name", {
        "name": (("name",), as_str), "repository": (("repository",), as_str), "source": (("repository",), as_str),
        "branch": (("branch",), as_str), "revision": (("revision",), as_str), "rev": (("revision",), as_str),
        "path": (("path",), as_str), "target": (("path",), as_str), "secret": (("secretName",), as_str),
        "secretName": (("secretName",), as_str)}, secrets=("username", "password")),
    "s3": ItemKind(("storage", "s3"), "name", {
        "name": (("name",), as_str), "bucket": (("bucket",), as_str), "path": (("path",), as_str),
        "target": (("path",), as_str), "url": (("url",), as_str), "secret": (("accessKeySecret",), as_str),
        "accessKeySecret": (("accessKeySecret",), as_str)}, secrets=("key", "accessKey", "secretKey")),
    "configMapVolumes": ItemKind(("storage", "configMapVolumes"), "name", {
        "name": (("configMap",), as_str), "configMap": (("configMap",), as_str),
        "mountPath": (("mountPath",), as_str), "subPath": (("subPath",), as_str)}),
    "secretVolumes": ItemKind(("storage", "secretVolume"), "name", {
        "name": (("secret",), as_str), "secret": (("secret",), as_str), "mountPath": (("mountPath",), as_str),
        "defaultMode": (("defaultMode",), as_int)}),
}


def mount_propagation(out: Out, spec: YamlMap) -> None:
    """The spec's ``mountPropagation`` becomes every host path's (unless the volume sets its own)."""
    found = field_value(out, spec, "mountPropagation")
    if found is None:
        return
    try:
        mode = _propagation(found[0])
    except Bad as bad:
        out.problem(found[1], "runai.bad-value", f"mountPropagation: {bad}")
        return
    host_paths = out.data["spec"].get("storage", {}).get("hostPath", [])
    for index, item in enumerate(host_paths):
        if "mountPropagation" not in item and not item.get("exclude"):
            out.put(("spec",) + HOST_PATH + (index, "mountPropagation"), mode, found[1])
    if not host_paths:
        out.dropped(found[1], "there are no host-path volumes to apply it to")
