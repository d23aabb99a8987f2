"""Per-workload results shared between builds in one process (``wlc diff`` builds two revisions).

Stages 8-10 (lower, bundle contract and object patches, verify) of one workload are a function
of three values only: its ``ResolvedWorkload`` (kind, name, project, final spec, provenance, the
submission document with its positions, labels, annotations, exclusions), the ``Target`` and the
overlay ``Chain`` (compiler/pipeline.py ``_bundle`` takes nothing else, and the packaged schemas
are the same for every build of one process). ``Shared`` keys each result by the pickled bytes
of those three values, so two builds compute a workload once when every input of it is the same:

- the key holds the values themselves, not what they were read from: a changed policy default,
  asset, template, project or submission changes the key of exactly the workloads whose resolved
  values it changes (a new policy that applies nowhere, none); a changed target setting or
  overlay chain changes every key of that build;
- pickle tells ``1``, ``1.0`` and ``True`` apart, which ``==`` would not (each emits other YAML),
  and keeps which parts are one object, so equal bytes mean values that lower alike;
- a key that differs although the values are equal (shared versus copied objects pickle
  differently) only costs a build, never a wrong result.

Nothing outlives the process, so nothing needs invalidating. ``Deferred`` records the keys of a
build whose stages 8-10 run elsewhere (the diff's base, compiler/diff/builds.py). A build with
``Shared`` is held to the same bytes as a clean build by tests/test_buildcache.py, and each input
is shown to change the key by tests/test_buildcache_invalidation.py.
"""
from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field

from .emit import WorkloadBundle
from .model import ResolvedWorkload, Target
from .overlay import Chain
from .problems import Problem

Built = tuple[WorkloadBundle | None, list[Problem]]
Bundler = Callable[[ResolvedWorkload, Target, Chain | None], Built]
#: a workload's key (the digest of its context and of its pickled inputs) and those pickled inputs
Record = tuple[bytes, bytes]


def _pickle(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _digest(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=32).digest()


@dataclass
class Shared:
    """Stage 8-10 results by the digest of their inputs; ``hits`` and ``misses`` are counted."""

    results: dict[bytes, Built] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0
    #: the digest of each (target, chain) pair seen, by identity (the pair is kept alive with it)
    _contexts: dict[tuple[int, int], tuple[Target, Chain | None, bytes]] = field(default_factory=dict)

    def bundle(self, rw: ResolvedWorkload, target: Target, chain: Chain | None, build: Bundler) -> Built:
        """``build(rw, target, chain)``, or what it returned for the same inputs before."""
        key, _ = self.record(rw, target, chain)
        return self._get(key, lambda: build(rw, target, chain))

    def take(self, record: Record, target: Target, chain: Chain | None,
             build: Bundler) -> tuple[Built, ResolvedWorkload | None]:
        """What ``bundle`` returns for the workload ``record`` holds (see ``Deferred``), and the
        workload itself when it had to be built (None when its result was known)."""
        key, body = record
        if key in self.results:
            return self._get(key, _unreachable), None
        rw: ResolvedWorkload = pickle.loads(body)
        return self._get(key, lambda: build(rw, target, chain)), rw

    def record(self, rw: ResolvedWorkload, target: Target, chain: Chain | None) -> Record:
        body = _pickle(rw)
        return self._context(target, chain) + _digest(body), body

    def _get(self, key: bytes, build: Callable[[], Built]) -> Built:
        found = self.results.get(key)
        if found is None:
            self.misses += 1
            found = self.results[key] = build()
            if found[0] is not None:
                found[0].seal()  # before it is shared: the text is made once
        else:
            self.hits += 1
        return found[0], list(found[1])

    def _context(self, target: Target, chain: Chain | None) -> bytes:
        ident = (id(target), id(chain))
        seen = self._contexts.get(ident)
        if seen is None or seen[0] is not target or seen[1] is not chain:
            seen = self._contexts[ident] = (target, chain, _digest(_pickle((target, chain))))
        return seen[2]


@dataclass
class Deferred(Shared):
    """Stands in for ``Shared`` in a build whose stages 8-10 run in another process: each
    workload's ``Record`` is kept (in order) and no bundle is made; ``Shared.take`` of that
    other process builds or finds each one."""

    records: list[Record] = field(default_factory=list)

    def bundle(self, rw: ResolvedWorkload, target: Target, chain: Chain | None, build: Bundler) -> Built:
        self.records.append(self.record(rw, target, chain))
        return None, []


def _unreachable() -> Built:  # pragma: no cover - take() only asks for a key it holds
    raise AssertionError("no result for a key that was found")
