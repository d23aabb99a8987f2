"""`wlc policy effective`: the effective policy of a project and workload type, with origins."""
from __future__ import annotations

import json
from typing import TypedDict

from ..merge import dotted, untag
from ..problems import ConfigError, Problem
from ..repo import Repo, suggest
from .body import LEVELS, Origin
from .effective import Effective, cache_for
from .rules import INSTANCE_RULES, ORDER


def effective_for(repo: Repo, project: str, kind: str) -> tuple[Effective, list[Problem]]:
    """The effective policy and the policy problems of the repo; ConfigError for an unknown project."""
    if project not in repo.projects:
        raise ConfigError(f'no Project named "{project}"' + suggest(project, sorted(repo.projects)))
    cache, problems = cache_for(repo)
    return cache.get(project, kind), problems


class Row(TypedDict):
    """One line of ``wlc policy effective``."""

    field: str
    what: str
    value: object
    policy: str
    file: str
    line: int


def rows(eff: Effective) -> list[Row]:
    """One row per default, default instance, rule and imposed asset, in field order."""
    out: list[Row] = []
    for path, setting in eff.defaults.items():
        out.append(_row(dotted(path), "default", setting.value, setting.origin))
    for path, items in eff.instances.items():
        for item in items:
            value, prov = untag(item)
            line = min((s.line for s in prov.values()), default=0)
            src = next(iter(prov.values()))
            out.append(Row(field=dotted(path), what="instance", value=value, policy=src.name,
                           file=src.file, line=line))
    for path, kinds in eff.rules.items():
        for kind in ORDER:
            if kind in kinds:
                what = f"instances.{kind}" if kind in INSTANCE_RULES else kind
                out.append(_row(dotted(path), what, kinds[kind].value, kinds[kind].origin))
    for setting in eff.imposed:
        out.append(_row("imposedAssets", "asset", setting.value, setting.origin))
    return sorted(out, key=lambda r: (r["field"], r["what"] != "default", r["line"]))


def _row(field: str, what: str, value: object, origin: Origin) -> Row:
    return Row(field=field, what=what, value=value, policy=origin.policy, file=origin.file, line=origin.line)


def render_text(eff: Effective, department: str) -> str:
    head = f"effective policy for {eff.kind} in project {eff.project} (department {department or '-'})\n"
    if not eff.policies:
        return head + "no policy applies\n"
    chain = ", ".join(f"{b.name} ({LEVELS[b.level]}, {b.doc.file})" for b in eff.policies)
    table = [("FIELD", "WHAT", "VALUE", "FROM")]
    for r in rows(eff):
        table.append((r["field"], r["what"], json.dumps(r["value"], ensure_ascii=False),
                      f"{r['policy']} ({r['file']}:{r['line']})"))
    widths = [min(max(len(row[i]) for row in table), 50) for i in range(3)]
    lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}".rstrip() for a, b, c, d in table]
    return head + f"chain: {chain}\n\n" + "\n".join(lines) + "\n"


def render_json(eff: Effective, department: str) -> str:
    body = {"project": eff.project, "department": department, "workloadType": eff.kind,
            "policies": [{"name": b.name, "scope": LEVELS[b.level], "file": b.doc.file} for b in eff.policies],
            "entries": rows(eff)}
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
