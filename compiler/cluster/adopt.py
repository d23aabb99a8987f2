"""Adopting what existed before wlc (docs/organisation.md, "Adopting what existed before wlc").

With the opt-in (``--adopt``) an organisation object that exists under the bundle's name but
carries no wlc labels (a project Namespace made by hand before the team moved to wlc) is taken
over: applied by field manager ``wlc`` with the annotation :data:`ADOPTED` (the time it was
adopted), which every later apply keeps. An object of another tool (its markers), of another
ApplySet (``part-of`` or ``id`` labels) or controlled by another object is never adopted. When
its project leaves git, an adopted object is *released*, never deleted: wlc did not create it.
Pure functions, no client.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from .. import labels as L
from .ownership import foreign_controller, foreign_marker

ADOPTED = "wlc.dev/adopted"
OPTION = "--adopt"
#: what the conflict says when the object could be adopted
HINT = f"an object that existed before wlc is taken over with `wlc sync {OPTION}` (docs/organisation.md)"


def _part(obj: dict[str, Any], part: str) -> dict[str, Any]:
    found = (obj.get("metadata") or {}).get(part) or {}
    return found if isinstance(found, dict) else {}


def why_not_adoptable(obj: dict[str, Any]) -> str | None:
    """None when the live object may be adopted; else why it never is."""
    tool = foreign_marker(obj)
    if tool is not None:
        return f"managed by {tool}"
    labels = _part(obj, "labels")
    for key in (L.PART_OF, L.APPLYSET_ID):
        if key in labels:
            return f"in another ApplySet ({key}={labels[key]})"
    controller = foreign_controller(obj, None)
    if controller is not None:
        return f"controlled by {controller}"
    return None


def conflict_message(reason: str, obj: dict[str, Any], adopt: bool) -> str:
    """The conflict's message: why wlc does not own it, and whether (and how) it may be adopted."""
    never = why_not_adoptable(obj)
    if never is not None:
        return f"{reason}; never adopted: {never}"
    return f"{reason}; {HINT}" if not adopt else reason


def is_adopted(obj: dict[str, Any] | None) -> bool:
    return obj is not None and ADOPTED in _part(obj, "annotations")


def body_for(body: dict[str, Any], live: dict[str, Any] | None, adopting: bool = False) -> dict[str, Any]:
    """The body to apply: the bundle's, with the adopted annotation when the live object was
    adopted (its time kept, so that a later apply neither drops nor changes it) or is being
    adopted now."""
    if not adopting and not is_adopted(live):
        return body
    when = _part(live or {}, "annotations").get(ADOPTED) or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta = dict(body["metadata"])
    meta["annotations"] = {**(meta.get("annotations") or {}), ADOPTED: str(when)}
    return {**body, "metadata": meta}


def _ours(key: str) -> bool:
    return key in (L.MANAGED_BY, L.PART_OF) or key.startswith(("wlc.dev/", "status.wlc.dev/"))


def release_patch(live: dict[str, Any]) -> dict[str, Any]:
    """A merge patch removing wlc's labels and annotations (and nothing else) from an adopted
    object; the uid makes it a precondition (a re-created object of that name is not touched)."""
    meta = live["metadata"]
    patch: dict[str, Any] = {"uid": meta["uid"]}
    for part in ("labels", "annotations"):
        gone = {k: None for k in _part(live, part) if _ours(k)}
        if gone:
            patch[part] = gone
    return {"metadata": patch}
