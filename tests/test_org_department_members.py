"""Department members (Run:ai's access rules at department scope): bound in every namespace of
the department's projects by RoleBindings of their own, the department administrator to
ClusterRole wlc-admin; the schemas keep `admin` for departments; `wlc explain --project` lists
what a project inherits."""
from __future__ import annotations

from pathlib import Path
from textwrap import dedent
from typing import Any

import yaml
from click.testing import CliRunner

from compiler import pipeline
from compiler.cli import main
from compiler.lower.organisation import access

ORG = """
apiVersion: wlc.dev/v1alpha1
kind: Department
metadata: {name: research}
spec:
  members:
    - {user: dana, role: admin}
    - {group: leads, role: viewer}
    - {user: eve, role: viewer}
---
apiVersion: wlc.dev/v1alpha1
kind: Department
metadata: {name: other}
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata: {name: alpha}
spec:
  department: research
  members: [{user: ann, role: viewer}]
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata: {name: beta}
spec: {department: research, namespace: team-beta}
---
apiVersion: wlc.dev/v1alpha1
kind: Project
metadata: {name: gamma}
spec: {department: other}
"""


def build(tmp: Path, org: str = ORG) -> pipeline.Result:
    (tmp / "wlc.yaml").write_text("apiVersion: wlc.dev/v1alpha1\nkind: Repository\nmetadata: {name: r}\n")
    (tmp / "org.yaml").write_text(dedent(org))
    return pipeline.build(tmp)


def bindings(res: pipeline.Result, project: str) -> dict[str, dict[str, Any]]:
    docs = yaml.safe_load_all(res.files[f"_organisation/{project}.yaml"])
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == "RoleBinding"}


def test_department_members_are_bound_in_every_namespace_of_its_projects(tmp_path: Path) -> None:
    res = build(tmp_path)
    assert res.ok, [p.text() for p in res.problems]
    alpha, beta = bindings(res, "alpha"), bindings(res, "beta")
    assert sorted(alpha) == ["wlc-department-admin", "wlc-department-viewer", "wlc-viewer"]
    assert sorted(beta) == ["wlc-department-admin", "wlc-department-viewer"]
    assert beta["wlc-department-admin"]["metadata"]["namespace"] == "team-beta"
    assert beta["wlc-department-admin"]["roleRef"]["name"] == "wlc-admin"
    assert [(s["kind"], s["name"]) for s in beta["wlc-department-viewer"]["subjects"]] == [
        ("Group", "leads"), ("User", "eve")]
    assert alpha["wlc-viewer"]["subjects"] == [{"apiGroup": access.RBAC, "kind": "User", "name": "ann"}]
    assert bindings(res, "gamma") == {}  # another department's projects inherit nothing


def test_the_admin_role_reads_bindings_and_quotas_but_writes_no_rbac(tmp_path: Path) -> None:
    res = build(tmp_path)
    roles = {d["metadata"]["name"]: d for d in yaml.safe_load_all(res.files["_organisation/cluster.yaml"])
             if d["kind"] == "ClusterRole"}
    rules = roles["wlc-admin"]["rules"]
    rbac = [r for r in rules if r["apiGroups"] == [access.RBAC]]
    assert rbac == [{"apiGroups": [access.RBAC], "resources": ["rolebindings"], "verbs": ["get", "list", "watch"]}]
    assert not any("secrets" in r["resources"] for r in rules)
    editor = roles["wlc-editor"]["rules"]
    assert all(r in rules for r in editor)  # an admin may what an editor may


def test_admin_is_a_department_role_only(tmp_path: Path) -> None:
    bad = ORG.replace("members: [{user: ann, role: viewer}]", "members: [{user: ann, role: admin}]")
    res = build(tmp_path, bad)
    assert not res.ok
    assert any(p.file == "org.yaml" and p.code.startswith("schema.") for p in res.problems), [
        p.text() for p in res.problems]


def test_explain_project_lists_the_inherited_department_members(tmp_path: Path) -> None:
    build(tmp_path)
    out = CliRunner().invoke(main, ["explain", "--project", "beta", "--repo", str(tmp_path)])
    assert out.exit_code == 0, out.output
    lines = [line for line in out.output.splitlines() if line.startswith("department members")]
    assert lines[0].split() == ["department", "members[0]", "User", "dana:", "admin", "(ClusterRole", "wlc-admin,",
                                "inherited", "from", "department", "research)", "(org.yaml:7)"]
    assert len(lines) == 3
