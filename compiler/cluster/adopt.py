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


def conflict_message(reason: str, obj: dict[str, Any], adopt: bool, hint: str = HINT,
                     never: str | None = None) -> str:
    """The conflict's message: why wlc does not own it, and whether (and how) it may be adopted
    (``never``: the caller's own reason it never is, before :func:`why_not_adoptable`'s)."""
    never = never or why_not_adoptable(obj)
    if never is not None:
        return f"{reason}; never adopted: {never}"
    return f"{reason}; {hint}" if not adopt else reason


def taken_message(reason: str) -> str:
    """What an adoption says: why wlc did not own the object before."""
    return f"existed before wlc ({reason.partition(';')[0]}): taken over, annotated {ADOPTED}"


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


def _union(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Two managedFields field sets (``fieldsV1`` trees) as one."""
    out = dict(a)
    for key, value in b.items():
        out[key] = _union(out[key], value) if isinstance(out.get(key), dict) and isinstance(value, dict) else value
    return out


def take_fields_patch(live: dict[str, Any]) -> dict[str, Any]:
    """A merge patch making wlc's apply the manager of every field of the object but its metadata
    and its subresources' (status): those fields of every manager's entry become one entry of
    field manager ``wlc``, operation Apply (as kubectl's client-side to server-side upgrade
    rewrites them). The apply that follows then removes what the bundle does not have (a port, a
    selector label) instead of leaving it to a manager that no longer exists; without it a
    server-side apply only adds to what was there. Labels and annotations stay their managers'.
    ``resourceVersion`` makes it a precondition."""
    meta = live["metadata"]
    entries = [e for e in meta.get("managedFields") or [] if isinstance(e, dict)]
    version = str(live.get("apiVersion") or "")
    own = [e for e in entries if not e.get("subresource") and e.get("apiVersion") == version]
    fields: dict[str, Any] = {}
    kept = [e for e in entries if e not in own]
    for e in own:
        tree = dict(e.get("fieldsV1") or {})
        metadata = tree.pop("f:metadata", None)
        fields = _union(fields, tree)
        if metadata:  # labels and annotations others set stay theirs (and stay)
            kept.append({**e, "fieldsV1": {"f:metadata": metadata}})
    taken = {"manager": L.FIELD_MANAGER, "operation": "Apply", "apiVersion": version, "fieldsType": "FieldsV1",
             "fieldsV1": fields, "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    return {"metadata": {"resourceVersion": meta["resourceVersion"], "managedFields": [taken, *kept]}}


def release_patch(live: dict[str, Any], parent_uid: str | None = None) -> dict[str, Any]:
    """A merge patch removing wlc's labels and annotations (and nothing else) from an adopted
    object, and with ``parent_uid`` its ownerReference to that parent; the uid makes it a
    precondition (a re-created object of that name is not touched)."""
    meta = live["metadata"]
    patch: dict[str, Any] = {"uid": meta["uid"]}
    for part in ("labels", "annotations"):
        gone = {k: None for k in _part(live, part) if _ours(k)}
        if gone:
            patch[part] = gone
    refs = meta.get("ownerReferences") or []
    if parent_uid is not None and any(isinstance(r, dict) and r.get("uid") == parent_uid for r in refs):
        kept = [r for r in refs if not (isinstance(r, dict) and r.get("uid") == parent_uid)]
        patch["ownerReferences"] = kept or None  # a merge patch replaces a list whole
    return {"metadata": patch}
