"""Leader election with a ``coordination.k8s.io/v1`` Lease, so that two agents are safe: one
leads and syncs, the other waits and takes over when the leader's lease has not been renewed for
its duration (the leader died). Every write is optimistic (resourceVersion): of two agents that
race for an expired lease, one wins, the other gets a conflict and stays standby.
"""
from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from . import errors
from .kube import Kube


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


class Elector:
    def __init__(self, kube: Kube, namespace: str, name: str, identity: str, duration: float = 15.0) -> None:
        self.kube, self.namespace, self.name, self.identity = kube, namespace, name, identity
        self.duration = duration
        self.leader = False
        self._lock = threading.Lock()

    @property
    def renew_every(self) -> float:
        return self.duration / 3

    def _res(self) -> Any:
        return self.kube.resource("coordination.k8s.io", "v1", "Lease")

    def attempt(self) -> bool:
        """One round: create, renew or take over the lease; whether this agent leads now."""
        with self._lock:
            try:
                self.leader = self._attempt()
            except errors.ClusterError:
                self.leader = False  # a conflict (another agent won) or the API server unreachable
            return self.leader

    def _attempt(self) -> bool:
        res, now = self._res(), _now()
        live = self.kube.get(res, self.namespace, self.name)
        spec = {"holderIdentity": self.identity, "leaseDurationSeconds": max(1, round(self.duration)),
                "acquireTime": _stamp(now), "renewTime": _stamp(now), "leaseTransitions": 0}
        if live is None:
            body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": self.name, "namespace": self.namespace}, "spec": spec}
            self.kube.create(res, self.namespace, body)
            return True
        held = live.get("spec") or {}
        holder = held.get("holderIdentity") or ""
        renewed = _parse(held.get("renewTime")) or _parse(held.get("acquireTime"))
        duration = float(held.get("leaseDurationSeconds") or self.duration)
        expired = renewed is None or (now - renewed).total_seconds() > duration
        if holder == self.identity:
            spec["acquireTime"] = held.get("acquireTime") or spec["acquireTime"]
            spec["leaseTransitions"] = held.get("leaseTransitions") or 0
        elif holder and not expired:
            return False
        else:
            spec["leaseTransitions"] = int(held.get("leaseTransitions") or 0) + 1
        self.kube.replace(res, self.namespace, self.name, {**live, "spec": spec})
        return True

    def run(self, stop: threading.Event) -> None:
        """Renew (or try to take) the lease every third of its duration until ``stop``."""
        while not stop.is_set():
            self.attempt()
            stop.wait(self.renew_every)

    def release(self) -> None:
        """Give the lease up (on SIGTERM), so the other agent takes over at once."""
        with self._lock:
            if not self.leader:
                return
            self.leader = False
            try:
                live = self.kube.get(self._res(), self.namespace, self.name)
                if live is not None and (live.get("spec") or {}).get("holderIdentity") == self.identity:
                    spec = {**live["spec"], "holderIdentity": None, "renewTime": None}
                    self.kube.replace(self._res(), self.namespace, self.name, {**live, "spec": spec})
            except errors.ClusterError:
                pass  # it expires on its own
