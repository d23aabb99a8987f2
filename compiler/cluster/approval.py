"""The mass-delete guard, and approving one large delete.

A sync that would delete more workloads than ``max_delete``, or more than ``max_delete_share`` of
wlc's workloads in scope, deletes none of them. Each refused delete has an id: a hash of the
parents it would delete (namespace, name and uid, so a workload re-created later under the same
name is a new delete). It is approved by

- ``allow_mass_delete`` (``wlc sync --allow-mass-delete``): any delete, this once;
- ``approve_delete`` (``wlc sync --approve-delete ID``): only the delete with that id;
- for the agent, the annotation ``wlc.dev/approve-delete: ID`` (several ids comma-separated) on
  the Namespace ``approval_namespace`` (the agent's own, ``wlc-system``): changing a Namespace is
  a cluster admin's right, not a project member's. A later commit that deletes other workloads
  has another id and is refused again.
"""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Protocol

from . import errors

if TYPE_CHECKING:
    from .execute import Gone
    from .kube import Kube
    from .plan import Plan

ANNOTATION = "wlc.dev/approve-delete"


class Limits(Protocol):
    @property
    def allow_mass_delete(self) -> bool: ...
    @property
    def max_delete(self) -> int: ...
    @property
    def max_delete_share(self) -> float: ...
    @property
    def approve_delete(self) -> tuple[str, ...]: ...
    @property
    def approval_namespace(self) -> str: ...


def delete_id(parents: list[dict[str, Any]]) -> str:
    """The id of deleting exactly these parents."""
    keys = sorted(f"{(p['metadata'].get('namespace') or '')}/{p['metadata']['name']}/{p['metadata'].get('uid', '')}"
                  for p in parents)
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:12]


def annotated(kube: Kube, namespace: str) -> set[str]:
    """The ids approved on the Namespace (none when it or the annotation is missing)."""
    if not namespace:
        return set()
    try:
        found = kube.get(kube.resource("", "v1", "Namespace"), "", namespace)
    except errors.ClusterError:
        return set()
    text = str((((found or {}).get("metadata") or {}).get("annotations") or {}).get(ANNOTATION, ""))
    return {part.strip() for part in text.split(",") if part.strip()}


def how_to_approve(did: str, limits: Limits) -> str:
    if limits.approval_namespace:
        return (f"approve this delete (id {did}) with `kubectl annotate namespace {limits.approval_namespace} "
                f"{ANNOTATION}={did} --overwrite`")
    return (f"approve this delete (id {did}) with `wlc sync --approve-delete {did}` and the same bundle and "
            "options (or any delete with --allow-mass-delete)")


def guard(kube: Kube, limits: Limits, doomed: list[Gone], in_scope: int, out: Plan) -> None:
    """Refuse the deletes (their plans become ``refused``) when they exceed the limits and are
    not approved; the Namespace is read only then, so a sync within the limits reads nothing more."""
    over = len(doomed) > limits.max_delete or (in_scope > 0 and len(doomed) / in_scope > limits.max_delete_share)
    if not doomed or not over or limits.allow_mass_delete:
        return
    did = delete_id([g.parent for g in doomed])
    if did in limits.approve_delete or did in annotated(kube, limits.approval_namespace):
        return
    message = (f"would delete {len(doomed)} of {in_scope} workload(s) (limit {limits.max_delete} and "
               f"{limits.max_delete_share:.0%}); {how_to_approve(did, limits)}")
    out.messages.append(message)
    for g in doomed:
        g.plan.fail("refused", "mass-delete guard: " + message)
        for o in g.plan.objects:
            o.action = "refused" if o.action == "prune" else o.action
