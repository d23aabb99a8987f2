"""Assets as spec fields: what an Environment or a DataSource document contributes to a
workload's spec tree. Resolution merges these under the submission; policy defaults merge the
imposed data sources the same way."""
from __future__ import annotations

from .model import Data, Doc

#: DataSource spec key → the storage list of the workload spec it becomes
DATA_SOURCE_LISTS = {"pvc": "pvc", "nfs": "nfs", "hostPath": "hostPath", "git": "git", "s3": "s3",
                     "configMap": "configMapVolumes", "secret": "secretVolume"}
TOOL_FIELDS = ("tools", "workloadTypes", "architecture")


def data_source_items(doc: Doc) -> dict[str, dict[str, Data]]:
    """A DataSource's volume by the storage list it joins (items other than PVCs named after it)."""
    spec = doc.data.get("spec") or {}
    out: dict[str, dict[str, Data]] = {}
    for key, listname in DATA_SOURCE_LISTS.items():
        if isinstance(spec.get(key), dict):
            item = dict(spec[key])
            if listname != "pvc":
                item.setdefault("name", doc.name)
            out[listname] = item
    return out


def data_source_spec(doc: Doc) -> dict[str, Data]:
    """A DataSource as spec fields: ``{"storage": {<list>: [item]}}``."""
    return {"storage": {listname: [item] for listname, item in data_source_items(doc).items()}}


def data_source_key(doc: Doc) -> str:
    """The one volume key of a DataSource's spec ("" when it has none)."""
    spec = doc.data.get("spec") or {}
    return next(iter(k for k in DATA_SOURCE_LISTS if k in spec), "")


def environment_spec(spec: dict[str, Data]) -> dict[str, Data]:
    """An Environment's spec as workload fields: its tools become ports and exposed URLs."""
    ports: list[Data] = []
    urls: list[Data] = []
    tools = spec.get("tools")
    for tool in tools if isinstance(tools, list) else []:
        if not isinstance(tool, dict):
            continue
        item: dict[str, Data] = {"container": tool.get("containerPort"), "toolType": tool.get("toolType"),
                                 "toolName": tool.get("name")}
        item = {k: v for k, v in item.items() if v is not None}
        if tool.get("connectionType") == "ExternalUrl":
            urls.append({**item, **({"url": tool["url"]} if "url" in tool else {})})
        else:
            ports.append({**item, "serviceType": tool.get("connectionType", "ClusterIP")})
    out = {k: v for k, v in spec.items() if k not in TOOL_FIELDS}
    if ports:
        out["ports"] = ports
    if urls:
        out["exposedUrls"] = urls
    return out
