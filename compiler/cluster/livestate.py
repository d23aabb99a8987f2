"""What the cluster holds for a sync, read up front with a number of requests that grows with
group-kinds × namespaces, not with objects.

- Parents: one LIST of ConfigMaps labelled ``applyset.kubernetes.io/id`` per namespace of the
  bundle and of the engine's scope (one cluster-wide LIST when the scope is the whole cluster).
- Members: one LIST per group-kind × namespace of the objects labelled
  ``applyset.kubernetes.io/part-of``, the group-kinds being the bundle's and those the live
  parents in that namespace record. Indexed by (namespace, part-of) and by name.
- Names the bundle wants that neither LIST returned (new objects, or someone else's object of
  the same name: a conflict): a GET each when a group-kind × namespace has a few of them, else
  one metadata-only LIST of that group-kind in that namespace (``PartialObjectMetadataList``).
  A run object the live parent records as finished is not looked up (it is not run again).

Every LIST is paged by the client (``Kube.page_size``, 500 by default): ceil(objects / page)
requests per group-kind × namespace. A no-op sync therefore reads with LISTs only, and whether an object is unchanged is decided
from the listed object (``samefields.unchanged``) without a dry run.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .. import labels as L
from . import errors, runs
from .kube import Kube, Resource
from .ownership import group_kinds
from .source import Bundle

Obj = dict[str, Any]
#: up to this many unknown names of one group-kind in one namespace are looked up with a GET each
GET_LIMIT = 8


@dataclass
class LiveState:
    """The live objects a sync reads; lookups never send a request."""

    parents: dict[tuple[str, str], Obj] = field(default_factory=dict)
    #: (namespace, part-of) -> {(group-kind, name): object}
    members: dict[tuple[str, str], dict[tuple[str, str], Obj]] = field(default_factory=dict)
    #: (group-kind, namespace, name) -> any object of that name (labelled, or looked up by name)
    named: dict[tuple[str, str, str], Obj | None] = field(default_factory=dict)

    def parent(self, namespace: str, name: str) -> Obj | None:
        return self.parents.get((namespace, name)) or self.named.get(("ConfigMap", namespace, name))

    def members_of(self, namespace: str, applyset: str, gks: set[str]) -> dict[tuple[str, str], Obj]:
        """Every object labelled part-of ``applyset`` among ``gks`` in the namespace (a new dict)."""
        found = self.members.get((namespace, applyset), {})
        return {key: obj for key, obj in found.items() if key[0] in gks}

    def lookup(self, gk: str, namespace: str, name: str) -> Obj | None:
        """The object of that name, whoever's it is (None when there is none)."""
        return self.named.get((gk, namespace, name))


def read(kube: Kube, bundle: Bundle, scope: tuple[str, ...], skip: set[str],
         resource_of: Callable[[str], Resource | None], concurrency: int) -> LiveState:
    """The live state for ``bundle``; ``skip``: namespaces known not to exist (nothing to read)."""
    state = LiveState()
    cm = kube.resource("", "v1", "ConfigMap")
    wanted = sorted({w.namespace for w in bundle.workloads} - skip)
    listed = [""] if not scope else sorted(set(scope) | set(wanted))
    for ns in listed:
        for p in kube.list(cm, ns, L.APPLYSET_ID):
            meta = p["metadata"]
            state.parents[(str(meta.get("namespace", "")), str(meta["name"]))] = p
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        batches = list(pool.map(lambda job: (job, kube.list(job[1], job[0], L.PART_OF)),
                                _member_lists(bundle, state, wanted, resource_of)))
    for (ns, res), items in batches:
        gk = f"{res.kind}.{res.group}" if res.group else res.kind
        for obj in items:
            meta = obj["metadata"]
            name, part_of = str(meta["name"]), str((meta.get("labels") or {}).get(L.PART_OF, ""))
            state.members.setdefault((ns, part_of), {})[(gk, name)] = obj
            state.named[(gk, ns, name)] = obj
    _look_up_unknown(kube, bundle, state, skip, resource_of)
    return state


def _member_lists(bundle: Bundle, state: LiveState, namespaces: Iterable[str],
                  resource_of: Callable[[str], Resource | None]) -> list[tuple[str, Resource]]:
    """(namespace, resource) of every member LIST: the bundle's group-kinds in the namespace and
    those its live wlc parents record (what a prune may have to find)."""
    gks: dict[str, set[str]] = defaultdict(set)
    for w in bundle.workloads:
        gks[w.namespace] |= w.group_kinds()
    for (ns, _name), p in state.parents.items():
        if ns in gks and ((p["metadata"].get("labels") or {}).get(L.MANAGED_BY) == L.MANAGED_BY_VALUE):
            gks[ns] |= group_kinds(p)
    out = []
    for ns in namespaces:
        for gk in sorted(gks[ns]):
            res = resource_of(gk)
            if res is not None and res.namespaced:
                out.append((ns, res))
    return out


def _look_up_unknown(kube: Kube, bundle: Bundle, state: LiveState, skip: set[str],
                     resource_of: Callable[[str], Resource | None]) -> None:
    """Find the objects of the names the bundle wants that no LIST returned."""
    unknown: dict[tuple[str, str], list[str]] = defaultdict(list)
    for w in bundle.workloads:
        if w.namespace in skip:
            continue
        live_parent = state.parents.get((w.namespace, w.parent.name))
        if live_parent is None and (w.parent.group_kind, w.namespace, w.parent.name) not in state.named:
            unknown[(w.parent.group_kind, w.namespace)].append(w.parent.name)
        finished = runs.recorded(live_parent, w.spec_hash)
        for m in w.members:
            if (m.group_kind, m.namespace, m.name) in state.named:
                continue
            if not (runs.is_run(m) and runs.key(m) in finished):
                unknown[(m.group_kind, m.namespace)].append(m.name)
    for (gk, ns), names in sorted(unknown.items()):
        res = resource_of(gk)
        if res is None:
            continue  # a kind the cluster does not serve: that workload fails when it is planned
        if len(names) <= GET_LIMIT:
            for name in names:
                state.named[(gk, ns, name)] = kube.get(res, ns, name)
            continue
        found = {str(o["metadata"]["name"]): o for o in kube.list_metadata(res, ns)}
        for name in names:
            state.named[(gk, ns, name)] = found.get(name)


def resolver(kube: Kube, bundle: Bundle) -> Callable[[str], Resource | None]:
    """group-kind -> its REST resource: the version the bundle uses, else the one discovery prefers;
    None for a kind the cluster does not serve."""
    versions = {o.group_kind: (o.group, o.version, o.kind) for w in bundle.workloads for o in (w.parent, *w.members)}
    cache: dict[str, Resource | None] = {}

    def resource_of(gk: str) -> Resource | None:
        if gk not in cache:
            cache[gk] = _resolve(kube, gk, versions.get(gk))
        return cache[gk]
    return resource_of


def _resolve(kube: Kube, gk: str, gvk: tuple[str, str, str] | None) -> Resource | None:
    kind, _, group = gk.partition(".")
    version = gvk[1] if gvk is not None else kube.preferred_version(group)
    if version is None:
        return None
    try:
        return kube.resource(group, version, kind)
    except errors.MissingKind:
        return None
