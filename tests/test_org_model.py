"""The organisation model: Project and Department documents carry Run:ai's quota per node pool,
over-quota settings, members and the namespace's Pod Security level."""
from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from compiler import pipeline
from compiler.load import parse_documents
from compiler.model import Member, OverQuota, PoolQuota
from compiler.validate import validate_doc

ROOT = Path(__file__).resolve().parent.parent


def problems(text: str) -> list[str]:
    docs, parsed = parse_documents(dedent(text), "org.yaml")
    assert parsed == []
    return [f"{p.line}:{p.col} {p.code} {p.field}" for d in docs for p in validate_doc(d)]


PROJECT = """
    apiVersion: wlc.dev/v1alpha1
    kind: Project
    metadata:
      name: p
    spec:
      quota:
        - nodePool: a100
          gpuDevices: {gpus}
      members:
        - {member}
          role: {role}
"""


def test_a_project_with_quota_and_members_is_valid() -> None:
    assert problems(PROJECT.format(gpus=4, member="user: a@example.com", role="researcher")) == []


def test_negative_deserved_gpus_are_refused_at_the_value() -> None:
    assert problems(PROJECT.format(gpus=-1, member="group: g", role="viewer")) == [
        "9:19 schema.range spec.quota[0].gpuDevices"]


def test_an_unknown_role_is_refused() -> None:
    assert [p.split()[1] for p in problems(PROJECT.format(gpus=1, member="user: u", role="admin"))] == [
        "schema.enum"]


def test_a_member_is_a_user_or_a_group() -> None:
    assert problems(PROJECT.format(gpus=1, member="name: u", role="viewer")) != []


def test_the_example_projects_carry_their_quota_members_and_pod_security() -> None:
    repo = pipeline.repository(ROOT).repo
    assert repo is not None
    vision = repo.projects["vision"]
    assert vision.quota[0] == PoolQuota("a100", 8, 12, 96.0, "768Gi", ("spec", "quota", 0))
    assert Member("Group", "vision-team", "viewer") in vision.members
    assert vision.pod_security == "baseline"
    assert repo.projects["nlp"].over_quota == OverQuota(True, "low")
    assert repo.departments["product"].over_quota == OverQuota(False, "medium")
    assert [q.gpu_devices for q in repo.departments["research"].quota] == [12, 16]
