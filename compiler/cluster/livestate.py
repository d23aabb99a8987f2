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
from concurrent.futures import Future, ThreadPoolExecutor
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
    """The live state for ``bundle``; ``skip``: namespaces known not to exist (nothing to read).

    The requests go out ``concurrency`` at a time: discovery (one group-version each), then the
    parents' LISTs together with the member LISTs of the bundle's group-kinds, then the member
    LISTs of group-kinds only the live parents record, then the look-ups of unknown names."""
    state = LiveState()
    cm = kube.resource("", "v1", "ConfigMap")
    wanted = sorted({w.namespace for w in bundle.workloads} - skip)
    listed = [""] if not scope else sorted(set(scope) | set(wanted))
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        _discover(pool, bundle, resource_of)
        parent_lists = [pool.submit(kube.list, cm, ns, L.APPLYSET_ID) for ns in listed]
        first = _member_lists(bundle, {}, wanted, resource_of)
        member_lists = [(job, pool.submit(kube.list, job[1], job[0], L.PART_OF)) for job in first]
        for future in parent_lists:
            for p in future.result():
                meta = p["metadata"]
                state.parents[(str(meta.get("namespace", "")), str(meta["name"]))] = p
        member_lists += [(job, pool.submit(kube.list, job[1], job[0], L.PART_OF))
                         for job in _member_lists(bundle, state.parents, wanted, resource_of) if job not in first]
        for (ns, res), future in member_lists:
            gk = f"{res.kind}.{res.group}" if res.group else res.kind
            for obj in future.result():
                meta = obj["metadata"]
                name, part_of = str(meta["name"]), str((meta.get("labels") or {}).get(L.PART_OF, ""))
                state.members.setdefault((ns, part_of), {})[(gk, name)] = obj
                state.named[(gk, ns, name)] = obj
        _look_up_unknown(pool, kube, bundle, state, skip, resource_of)
    return state


def _discover(pool: ThreadPoolExecutor, bundle: Bundle, resource_of: Callable[[str], Resource | None]) -> None:
    """Resolve the bundle's group-kinds, the first of each group-version concurrently (one
    discovery request each), then the others (from the client's cache)."""
    by_gv: dict[tuple[str, str], list[str]] = defaultdict(list)
    for o in (o for w in bundle.workloads for o in (w.parent, *w.members)):
        if o.group_kind not in by_gv[(o.group, o.version)]:
            by_gv[(o.group, o.version)].append(o.group_kind)
    list(pool.map(resource_of, [gks[0] for gks in by_gv.values()]))
    for gks in by_gv.values():
        for gk in gks[1:]:
            resource_of(gk)


def _member_lists(bundle: Bundle, parents: dict[tuple[str, str], Obj], namespaces: Iterable[str],
                  resource_of: Callable[[str], Resource | None]) -> list[tuple[str, Resource]]:
    """(namespace, resource) of every member LIST: the bundle's group-kinds in the namespace and
    those its live wlc ``parents`` record (what a prune may have to find)."""
    gks: dict[str, set[str]] = defaultdict(set)
    for w in bundle.workloads:
        gks[w.namespace] |= w.group_kinds()
    for (ns, _name), p in parents.items():
        if ns in gks and ((p["metadata"].get("labels") or {}).get(L.MANAGED_BY) == L.MANAGED_BY_VALUE):
            gks[ns] |= group_kinds(p)
    out = []
    for ns in namespaces:
        for gk in sorted(gks[ns]):
            res = resource_of(gk)
            if res is not None and res.namespaced:
                out.append((ns, res))
    return out


def _look_up_unknown(pool: ThreadPoolExecutor, kube: Kube, bundle: Bundle, state: LiveState, skip: set[str],
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
    gets: list[tuple[tuple[str, str, str], Future[Obj | None]]] = []
    metadata: list[tuple[str, str, list[str], Future[list[Obj]]]] = []
    for (gk, ns), names in sorted(unknown.items()):
        res = resource_of(gk)
        if res is None:
            continue  # a kind the cluster does not serve: that workload fails when it is planned
        if len(names) <= GET_LIMIT:
            gets += [((gk, ns, name), pool.submit(kube.get, res, ns, name)) for name in names]
        else:
            metadata.append((gk, ns, names, pool.submit(kube.list_metadata, res, ns)))
    for key, got in gets:
        state.named[key] = got.result()
    for gk, ns, names, listed in metadata:
        found = {str(o["metadata"]["name"]): o for o in listed.result()}
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
