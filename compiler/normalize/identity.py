"""Identity fields, read together: ``runAsUser``, ``runAsUid``, ``runAsGid``.

``runAsUser: false`` takes the identity from the image (the ids are dropped with a warning);
``runAsUser: true`` or given ids make it ``custom`` with the ids, or ``fromIdpToken`` without.
"""
from __future__ import annotations

from ..shapes import YamlMap
from .builder import Out
from .values import Bad, as_bool, as_int, field_value

IDENTITY_FIELDS = ("runAsUser", "runAsUid", "runAsGid")


def identity_fields(out: Out, spec: YamlMap) -> None:
    """runAsUser (bool) picks where the UID comes from; runAsUid/runAsGid give it."""
    as_user = field_value(out, spec, "runAsUser")
    flag = None
    if as_user is not None:
        try:
            flag = as_bool(as_user[0])
        except Bad as bad:
            out.problem(as_user[1], "runai.bad-value", f"runAsUser: {bad}")
    ids = [(n, field_value(out, spec, n)) for n in ("runAsUid", "runAsGid")]
    given = [(n, f) for n, f in ids if f is not None]
    if flag is False:
        for _, (_, vpath) in given:
            out.dropped(vpath, "Run:ai uses it only when runAsUser is true")
        out.put(("spec", "security", "uidGidSource"), "fromTheImage", as_user[1] if as_user else ("spec",))
        return
    if flag is True or given:
        where = as_user[1] if as_user else given[0][1][1]
        out.put(("spec", "security", "uidGidSource"), "custom" if given else "fromIdpToken", where)
    for name, (value, vpath) in given:
        try:
            out.put(("spec", "security", name), as_int(value), vpath)
        except Bad as bad:
            out.problem(vpath, "runai.bad-value", f"{name}: {bad}")
