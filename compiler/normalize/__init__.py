"""Stage 2, normalize: Run:ai Cluster API documents become native wlc documents.

A Run:ai CR (``run.ai/v1alpha1`` or ``run.ai/v2alpha1``) wraps every leaf in ``{value: X}``
and every list in ``{items: {<label>: {value: {...}}}}``; its field names are the old CLI's
(``gpu``, ``arguments``, ``pvcs``...). This stage rewrites such a document onto the native field
tree of docs/spec.md and keeps, for every native path, the position of the Run:ai value it came
from, so that later stages point into the original file. What cannot be carried over becomes a
problem that says why; nothing here raises for bad input. The field table is docs/runai-import.md.

The modules, by concept:

- ``builder``: the native document under construction (``Out``), its positions and problems;
- ``values``: ``{value: X}`` unwrapping and the scalar converters (``Bad`` for unreadable values);
- ``items``: ``items:`` maps and ``deleted`` items become keyed native lists;
- ``fields``: the field table: one-to-one, itemized, dropped, refused, allowed per kind;
- ``workload``: workload documents and ``convert_spec``, which walks the field table;
- ``metadata``: name, project (from the namespace), labels and annotations;
- ``gpu``, ``identity``: fields that are read together;
- ``storage``, ``network``: the storage and port item kinds and the spec-wide settings for them;
- ``distributed``, ``inference``: kind-specific fields;
- ``order``: the documented key order of the output;
- ``policy``, ``policy_rules``: v1 per-kind policies become native ``Policy`` documents.
"""
from __future__ import annotations

from ..model import API_VERSION, Doc
from ..problems import Problem
from .builder import Out
from .fields import allowed_fields
from .labels import LabelKeys, item_labels
from .metadata import project_of_namespace
from .policy import POLICY_KINDS, POLICY_NOTE, convert_policy
from .workload import convert_workload

__all__ = ["POLICY_KINDS", "POLICY_NOTE", "RUNAI_API_VERSIONS", "RUNAI_WORKLOAD_KINDS", "LabelKeys",
           "allowed_fields", "is_runai", "item_labels", "normalize", "policy_body_problem", "project_of_namespace"]

RUNAI_API_VERSIONS = ("run.ai/v1alpha1", "run.ai/v2alpha1")
RUNAI_WORKLOAD_KINDS = ("TrainingWorkload", "InteractiveWorkload", "DistributedWorkload", "InferenceWorkload")


def is_runai(doc: Doc) -> bool:
    """Whether the document is a Run:ai Cluster API document (any kind)."""
    return isinstance(doc.data, dict) and doc.data.get("apiVersion") in RUNAI_API_VERSIONS


#: the top-level keys of a Run:ai v2 policy body (the policy API's ``policy`` object) and of the
#: draft API's envelope (``meta`` + ``policy``)
POLICY_BODY_KEYS = frozenset({"defaults", "rules", "imposedAssets"})
POLICY_ENVELOPE_KEYS = frozenset({"meta", "policy"})


def policy_body_problem(doc: Doc) -> Problem | None:
    """An error for a YAML document that is a Run:ai policy body without a wlc envelope (no
    apiVersion): pasted into the repo it would otherwise be ignored, and its rules never judged."""
    data = doc.data
    if not isinstance(data, dict) or not data or "apiVersion" in data:
        return None
    keys = set(data)
    if not (keys <= POLICY_BODY_KEYS and keys & {"defaults", "rules"}) and keys != POLICY_ENVELOPE_KEYS:
        return None
    line, col = doc.loc(())
    return Problem(doc.file, line, col, "runai.policy-body",
                   "this is a Run:ai policy body, not a wlc document, so it would be ignored: put it "
                   "under spec of a Policy (apiVersion: wlc.dev/v1alpha1, kind: Policy, metadata.name, "
                   "spec.scope, spec.workloadTypes) - docs/policies.md", "error")


def normalize(doc: Doc, labels: LabelKeys | None = None) -> tuple[Doc | None, list[Problem]]:
    """The native form of a Run:ai document, or None when it cannot be converted at all.

    ``labels`` (``item_labels`` of every document read with it; default: of this one) gives
    the key of an item that the document deletes by label only."""
    data = doc.data if isinstance(doc.data, dict) else {}
    kind = str(data.get("kind", ""))
    if kind not in RUNAI_WORKLOAD_KINDS and kind not in POLICY_KINDS:
        known = ", ".join(RUNAI_WORKLOAD_KINDS + tuple(POLICY_KINDS))
        line, col = doc.loc(("kind",))
        msg = f'Run:ai kind "{kind}" cannot be imported; wlc imports {known}'
        return None, [Problem(doc.file, line, col, "runai.unsupported-kind", msg, "error", "kind")]
    out = Out(doc, {"apiVersion": API_VERSION, "kind": kind, "metadata": {}, "spec": {}})
    out.labels = item_labels([doc]) if labels is None else labels
    out.locs[()] = doc.loc(())
    if kind in POLICY_KINDS:
        convert_policy(out, data, kind)
    else:
        convert_workload(out, data, kind)
    native = Doc(doc.file, doc.index, out.data, out.locs, out.key_locs) if out.data else None
    return native, out.problems
