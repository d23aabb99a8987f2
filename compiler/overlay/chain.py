"""An overlay and its bases, flattened into one Chain (bases first, the named overlay last).

``bases:`` are visited depth first in the order written; an overlay reached twice (a diamond)
counts once, at its first place. Target settings, common labels and annotations and the
namespace map merge along the chain (a later overlay wins per key); spec and object patches
are concatenated base first. An unknown base is a problem at its entry with a did-you-mean;
bases that lead back to an overlay already being visited are a problem naming the cycle.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..merge import dotted
from ..model import Data, Doc, Path
from ..problems import ConfigError, Problem
from ..repo import Repo, suggest

KIND = "Overlay"


@dataclass(frozen=True)
class OverlayValue:
    """One value of an overlay with the place it was written."""

    value: Data
    overlay: str
    file: str
    line: int
    col: int

    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Patch:
    """One spec or object patch: the overlay document it is in and its position in the list."""

    overlay: str
    doc: Doc
    listname: str  # specPatches | objectPatches
    index: int

    @property
    def body(self) -> dict[str, Data]:
        return dict(self.doc.data["spec"][self.listname][self.index])

    @property
    def path(self) -> Path:
        return ("spec", self.listname, self.index)

    @property
    def select(self) -> dict[str, Data]:
        select = self.body.get("select")
        return dict(select) if isinstance(select, dict) else {}

    def loc(self, sub: Path = ()) -> tuple[int, int]:
        return self.doc.loc(self.path + sub)

    def where(self, sub: Path = ()) -> str:
        return f"{self.doc.file}:{self.loc(sub)[0]}"

    def label(self) -> str:
        """``spec patch 2 of overlay "prod" (overlays/prod/overlay.yaml:31)``."""
        what = "spec patch" if self.listname == "specPatches" else "object patch"
        return f'{what} {self.index + 1} of overlay "{self.overlay}" ({self.where()})'

    def problem(self, code: str, message: str, sub: Path = ()) -> Problem:
        line, col = self.loc(sub)
        return Problem(self.doc.file, line, col, code, message, field=dotted(self.path + sub))


@dataclass
class Chain:
    """Everything an overlay build applies, merged along ``bases``."""

    name: str
    docs: list[Doc] = field(default_factory=list)
    target: dict[str, Data] = field(default_factory=dict)
    labels: dict[str, OverlayValue] = field(default_factory=dict)
    annotations: dict[str, OverlayValue] = field(default_factory=dict)
    namespaces: dict[str, OverlayValue] = field(default_factory=dict)
    spec_patches: list[Patch] = field(default_factory=list)
    object_patches: list[Patch] = field(default_factory=list)
    #: ``excludeWorkloads`` selectors: (select, overlay document, path of the entry)
    excludes: list[tuple[dict[str, Data], Doc, Path]] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.docs]


def load_chain(repo: Repo, name: str) -> tuple[Chain | None, list[Problem]]:
    """The chain of overlay ``name``; None when it cannot be built (problems say why).

    An overlay name that does not exist at all is a usage error (ConfigError).
    """
    if (KIND, name) in repo.broken:
        return None, []  # its schema problems are already reported
    if repo.get(KIND, name) is None:
        names = repo.names(KIND)
        raise ConfigError(f'no Overlay named "{name}"' + suggest(name, names)
                          + (f" (overlays: {', '.join(names)})" if names else ""))
    order: list[Doc] = []
    problems: list[Problem] = []
    ok = _visit(repo, name, [], set(), order, problems, None)
    if name == "base" and order:  # OUT/base is the build without an overlay (compiler/outdir.py)
        line, col = order[-1].loc(("metadata", "name"))
        problems.append(Problem(order[-1].file, line, col, "overlay.reserved-name",
                                '"base" names the build without an overlay (OUT/base); rename this '
                                "overlay to build it", field="metadata.name"))
    if not ok or any(p.severity == "error" for p in problems):
        return None, problems
    chain = Chain(name, order)
    for doc in order:
        _absorb(chain, doc)
    return chain, problems


def _visit(repo: Repo, name: str, stack: list[str], done: set[str], order: list[Doc],
           problems: list[Problem], via: tuple[Doc, Path] | None) -> bool:
    """Depth-first, bases in order; False when a base failed validation (already reported)."""
    if (KIND, name) in repo.broken:
        return False
    doc = repo.get(KIND, name)
    if doc is None and via is not None:
        problems.append(_at(via, "overlay.unknown-base", f'unknown base overlay "{name}"'
                            + suggest(name, repo.names(KIND))))
        return True
    if name in stack and via is not None:
        cycle = " → ".join(stack[stack.index(name):] + [name])
        problems.append(_at(via, "overlay.cycle", f"overlay bases form a cycle: {cycle}"))
        return True
    if name in done or doc is None:
        return True
    stack.append(name)
    ok = True
    for i, base in enumerate((doc.data.get("spec") or {}).get("bases") or []):
        ok = _visit(repo, str(base), stack, done, order, problems, (doc, ("spec", "bases", i))) and ok
    stack.pop()
    done.add(name)
    order.append(doc)
    return ok


def _at(via: tuple[Doc, Path], code: str, message: str) -> Problem:
    doc, path = via
    line, col = doc.loc(path)
    return Problem(doc.file, line, col, code, message, field=dotted(path))


def _absorb(chain: Chain, doc: Doc) -> None:
    """Merge one overlay document (later in the chain than all before) into ``chain``."""
    spec = doc.data.get("spec") or {}
    chain.target.update(spec.get("target") or {})
    for key, table in (("commonLabels", chain.labels), ("commonAnnotations", chain.annotations),
                       ("namespaces", chain.namespaces)):
        for k, v in (spec.get(key) or {}).items():
            line, col = doc.loc(("spec", key, k))
            table[str(k)] = OverlayValue(v, doc.name, doc.file, line, col)
    for i, select in enumerate(spec.get("excludeWorkloads") or []):
        chain.excludes.append((select, doc, ("spec", "excludeWorkloads", i)))
    for listname, out in (("specPatches", chain.spec_patches), ("objectPatches", chain.object_patches)):
        for i in range(len(spec.get(listname) or [])):
            out.append(Patch(doc.name, doc, listname, i))
