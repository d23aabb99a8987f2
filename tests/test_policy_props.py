"""Properties: the result does not depend on the order of policy files; a default never
overrides a submitted value unless the field's rule says canEdit: false."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import policy as pol
from compiler.config import config_from_doc
from compiler.load import parse_documents
from compiler.model import Doc
from compiler.repo import classify
from compiler.resolve import resolve_workload
from tests.policykit import DEPTS, policy, workload

SCOPES = ["cluster: true", "department: research", "project: nlp", "department: product"]
FIELDS = {"imagePullPolicy": st.sampled_from(["Always", "IfNotPresent", "Never"]),
          "nodeType": st.sampled_from(["a", "b", "c"]),
          "backoffLimit": st.integers(0, 9)}


@st.composite
def policy_set(draw: st.DrawFn) -> list[str]:
    texts = []
    for i in range(draw(st.integers(1, 5))):
        scope = draw(st.sampled_from(SCOPES))
        defaults = draw(st.dictionaries(st.sampled_from(sorted(FIELDS)), st.integers(0, 9)))
        body = "defaults:\n" + "".join(f"  {k}: {_value(k, v)}\n" for k, v in sorted(defaults.items()))
        body += "  labels:\n    instances:\n" + "".join(
            f"      - {{name: l{n}, value: p{i}}}\n" for n in draw(st.sets(st.integers(0, 3), max_size=3)))
        if draw(st.booleans()):
            body += f"rules:\n  compute:\n    gpuDevicesRequest: {{max: {draw(st.integers(0, 4))}}}\n"
        texts.append(policy(f"p{i}", scope, body))
    return texts


def _value(field: str, n: int) -> Any:
    return {"imagePullPolicy": ["Always", "IfNotPresent", "Never"][n % 3], "nodeType": "abc"[n % 3]}.get(field, n)


def outcome(policy_texts: list[str], order: list[int], sub: str) -> tuple[Any, ...]:
    docs: list[Doc] = []
    for i in order:
        found, _ = parse_documents(policy_texts[i], f"policies/p{i}.yaml")
        docs.extend(found)
    org, _ = parse_documents(DEPTS, "org.yaml")
    wdocs, _ = parse_documents(sub, "workloads/nlp/w.yaml")
    repo, _ = classify(config_from_doc(Path("."), None), org + docs + wdocs)
    rw, _ = resolve_workload(repo, wdocs[0], "nlp")
    assert rw is not None
    policies, problems = pol.read(repo)
    kept, violations = pol.apply_rules(policies, pol.fill_defaults(policies, repo, [rw]))
    problems += violations
    return (sorted(p.text() for p in problems),
            [(w.spec, sorted((k, v) for k, v in w.prov.items())) for w in kept])


@settings(max_examples=60, deadline=None)
@given(policy_set(), st.randoms(use_true_random=False), st.integers(0, 6))
def test_order_of_policy_files_does_not_matter(texts: list[str], rnd: Any, gpus: int) -> None:
    sub = workload("w", f"image: x\ncompute: {{gpuDevicesRequest: {gpus}}}\nlabels:\n  - {{name: l1, value: mine}}\n")
    order = list(range(len(texts)))
    first = outcome(texts, order, sub)
    rnd.shuffle(order)
    assert outcome(texts, order, sub) == first


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(FIELDS)), st.integers(0, 9), min_size=1),
       st.dictionaries(st.sampled_from(sorted(FIELDS)), st.integers(0, 9)),
       st.sets(st.sampled_from(sorted(FIELDS))))
def test_default_never_overrides_a_submitted_value(defaults: dict[str, int], submitted: dict[str, int],
                                                    locked: set[str]) -> None:
    body = "defaults:\n" + "".join(f"  {k}: {_value(k, v)}\n" for k, v in sorted(defaults.items()))
    rules = {k for k in locked if k in defaults}
    if rules:
        body += "rules:\n" + "".join(f"  {k}: {{canEdit: false}}\n" for k in sorted(rules))
    sub = workload("w", "image: x\n" + "".join(f"{k}: {_value(k, v)}\n" for k, v in sorted(submitted.items())))
    problems, kept = outcome([policy("p", "cluster: true", body)], [0], sub)
    differs = {k for k in rules if k in submitted and _value(k, submitted[k]) != _value(k, defaults[k])}
    if differs:
        assert kept == [] and len(problems) == len(differs)
        assert all("[policy.canEdit]" in p for p in problems)
        return
    assert problems == []
    spec = kept[0][0]
    for field in FIELDS:
        if field in submitted:
            assert spec[field] == _value(field, submitted[field])
        elif field in defaults:
            assert spec[field] == _value(field, defaults[field])
        else:
            assert field not in spec
