"""The effective policy's rules judge a workload's final spec; every violation is a problem.

Each problem is located at the workload file:line of the offending value (translated from the
final spec back to the submission by item keys), or at the nearest enclosing field the
submission wrote (``spec`` when it wrote nothing there); values that came from a template or
an asset say so. Distributed workloads: a rule on pod-level ``X`` also judges ``master.X`` and
``worker.X`` where they are set; a rule on ``master.X`` judges what the master pods get
(``master.X``, else ``X``).
"""
from __future__ import annotations

from collections.abc import Mapping

from ..merge import ITEM_KEYS, SECTIONS, dotted, get_path, leaf_at
from ..model import Exclusions, Path, ResolvedWorkload
from ..problems import Problem
from .body import Setting, info_of, split_attr
from .effective import Effective, Imposed
from .fields import FPath
from .rules import ORDER, RULES, Subject, can_add, fixed, locked, show


def judge(rw: ResolvedWorkload, eff: Effective, imposed: Imposed) -> list[Problem]:
    """Every rule violation of the final spec of ``rw``; ``imposed`` gives the instance keys
    that imposed assets add, per itemized field. Excluded instances: ``rw.excluded``."""
    problems: list[Problem] = []
    excluded = rw.excluded
    for path, kinds in eff.rules.items():
        field, member = split_attr(path)
        if "canAdd" in kinds:
            problems.extend(_can_add(rw, eff, field, kinds["canAdd"], set(imposed.get(field, {}))))
        if "locked" in kinds:
            problems.extend(_locked(rw, field, excluded, kinds["locked"]))
        if "fixed" in kinds:
            problems.extend(_fixed(rw, eff, field, kinds["fixed"]))
        leaf_kinds = [k for k in ORDER if k in kinds and RULES[k].judge is not None]
        if not leaf_kinds:
            continue
        info = info_of(path)
        args = {k: s.value for k, s in kinds.items()}
        for concrete, value in _targets(rw, field, member):
            subject = _subject(rw, eff, path, field, member, concrete, info.kind if info else "any", args)
            for kind in leaf_kinds:
                why = RULES[kind].judge(value, args[kind], subject)  # type: ignore[misc]
                if why:
                    problems.append(_violation(rw, concrete, kind, why, value, kinds[kind]))
    problems.extend(_imposed_excluded(imposed, excluded))
    return problems


def _targets(rw: ResolvedWorkload, field: FPath, member: FPath | None) -> list[tuple[Path, object]]:
    """(path in the final spec, value) pairs a rule judges."""
    spec = rw.spec
    fields: list[Path] = [field]
    if rw.kind == "DistributedWorkload":
        if field[0] in SECTIONS:
            fields = [field if get_path(spec, field) is not None else field[1:]]
        else:
            fields += [(s,) + field for s in SECTIONS if get_path(spec, (s,) + field) is not None]
    if member is None:
        return [(f, get_path(spec, f)) for f in fields]
    out: list[tuple[Path, object]] = []
    for f in fields:
        items = get_path(spec, f)
        for i, item in enumerate(items if isinstance(items, list) else []):
            out.append((f + (i,) + member, get_path(item, member)))
    return out


def _subject(rw: ResolvedWorkload, eff: Effective, path: FPath, field: FPath, member: FPath | None,
             concrete: Path, kind: str, args: Mapping[str, object]) -> Subject:
    src = rw.prov.get(concrete)
    by_policy = src is not None and src.kind == "policy"
    if member is not None:  # a default instance's own member beats the attribute default
        own = _instance_member(rw, eff, field, concrete, member)
        if own is not None:
            return Subject(kind, dotted(path), True, own, by_policy, args)
    default = eff.defaults.get(path)
    return Subject(kind, dotted(path), default is not None, default.value if default else None,
                   by_policy, args)


def _instance_member(rw: ResolvedWorkload, eff: Effective, field: FPath, concrete: Path,
                     member: FPath) -> object:
    key = ITEM_KEYS.get(field[1:] if field[0] in SECTIONS else field)
    index = concrete[len(concrete) - len(member) - 1]
    item = get_path(rw.spec, concrete[: len(concrete) - len(member)])
    if key is None or not isinstance(item, dict) or not isinstance(index, int):
        return None
    for default in eff.instances.get(field, []):
        if leaf_at(default, key).value == item.get(key):
            leaf = get_path(default, member)
            return getattr(leaf, "value", None)
    return None


def _can_add(rw: ResolvedWorkload, eff: Effective, field: FPath, rule: Setting,
             imposed: set[object]) -> list[Problem]:
    key = ITEM_KEYS.get(field[1:] if field[0] in SECTIONS else field, "name")
    items = get_path(rw.spec, field)
    keys = [item.get(key) for item in (items if isinstance(items, list) else []) if isinstance(item, dict)]
    allowed = {leaf_at(d, key).value for d in eff.instances.get(field, [])} | imposed
    out = []
    for bad in can_add(keys, rule.value, allowed):
        where = field + (keys.index(bad),)
        why = (f'instance "{bad}" may not be added: the policy allows only {", ".join(sorted(map(str, allowed)))}'
               if allowed else f'instance "{bad}" may not be added: the policy allows no {dotted(field)} of your own')
        out.append(_violation(rw, where, "canAdd", why, bad, rule))
    return out


def _locked(rw: ResolvedWorkload, field: FPath, excluded: Exclusions, rule: Setting) -> list[Problem]:
    gone = excluded.get(field, {})
    out = []
    for key in locked(list(gone), rule.value):
        doc, where = gone[key]
        line, col = doc.loc(where)
        message = (f'{dotted(where[:-1])}: instance "{key}" of {dotted(field)} is locked and may not be '
                   f"excluded (locked in {rule.origin.where()})")
        out.append(Problem(doc.file, line, col, "policy.locked", message, field=dotted(where)))
    return out


def _fixed(rw: ResolvedWorkload, eff: Effective, field: FPath, rule: Setting) -> list[Problem]:
    """Instances the submission may not change: each member must keep the policy's value."""
    key = ITEM_KEYS.get(field[1:] if field[0] in SECTIONS else field, "name")
    keys = rule.value if isinstance(rule.value, list) else []
    defaults = {leaf_at(d, key).value: {m: getattr(v, "value", None) for m, v in d.items()}
                for d in eff.instances.get(field, [])}
    items = get_path(rw.spec, field)
    out = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict) or item.get(key) not in keys:
            continue
        for member in fixed(item, defaults.get(item.get(key), {})):
            if (src := rw.prov.get(field + (i, member))) is not None and src.kind == "policy":
                continue
            why = (f"{show(item[member])} differs from {show(defaults[item[key]][member])}: instance "
                   f'"{item[key]}" of {dotted(field)} is fixed by the policy')
            out.append(_violation(rw, field + (i, member), "fixed", why, item[member], rule))
    return out


def _imposed_excluded(imposed: Imposed, excluded: Exclusions) -> list[Problem]:
    out = []
    for field, keys in imposed.items():
        gone = excluded.get(field, {})
        for key, setting in keys.items():
            if key in gone:
                doc, where = gone[key]
                line, col = doc.loc(where)
                out.append(Problem(doc.file, line, col, "policy.imposed",
                                   f'{dotted(where[:-1])}: "{key}" is imposed by policy '
                                   f"{setting.origin.policy} ({setting.origin.where()}) and may not be excluded",
                                   field=dotted(where)))
    return out


def _violation(rw: ResolvedWorkload, concrete: Path, kind: str, why: str, value: object,
               rule: Setting) -> Problem:
    line, col, note = locate(rw, concrete)
    name = dotted(("spec",) + tuple(concrete))
    text = f"{name} {why}" if value is None else f"{name}: {why}"
    return Problem(rw.file, line, col, f"policy.{kind}",
                   f"{text} ({kind} in {rule.origin.where()}){note}", field=name)


def locate(rw: ResolvedWorkload, path: Path) -> tuple[int, int, str]:
    """Line, column in the submission and a note naming the value's source when it is not there."""
    src = rw.prov.get(tuple(path))
    note = f"; the value comes from {src.label()}" if src is not None and src.kind != "submission" else ""
    line, col = rw.doc.loc(("spec",) + _doc_path(rw, path))
    return line, col, note


def _doc_path(rw: ResolvedWorkload, path: Path) -> Path:
    """The final-spec path as a path in the submission: list indexes matched by item key."""
    submitted = rw.doc.data.get("spec") or {}
    out: list[str | int] = []
    for depth, part in enumerate(path):
        if isinstance(part, int):
            key = ITEM_KEYS.get(tuple(p for p in path[:depth] if isinstance(p, str) and p not in SECTIONS))
            item = get_path(rw.spec, path[: depth + 1])
            items = get_path(submitted, tuple(out))
            found = next((i for i, it in enumerate(items if isinstance(items, list) else []) if isinstance(it, dict) and key
                          and isinstance(item, dict) and it.get(key) == item.get(key)), None)
            if found is None:
                break
            out.append(found)
        else:
            out.append(part)
    return tuple(out)


__all__ = ["judge", "locate", "show"]
