"""Target templates (namespaceTemplate, kueueQueue, hostPattern) accept only their documented
placeholders, are never evaluated, and must make a valid name; the problem sits at the
template's line in wlc.yaml or the Overlay. System namespaces need wlc.yaml's permission."""
from __future__ import annotations

from pathlib import Path

import pytest

from compiler import pipeline
from compiler.templates import fill, template_error
from tests.nameskit import make_repo, problems, training

WORKLOAD = {"workloads/vision/a.yaml": training("a")}


@pytest.mark.parametrize("template", [
    "../../examples/workloads/{project}", "/abs/{project}", "{project.__class__.__name__}",
    "{nope}-{project}", "{0}", "{project}}", "{{project}", "{project!r}", "{project:>9}",
    "Runai-{project}", "a" * 62 + "-{project}",
])
def test_bad_namespace_template_in_wlc_yaml_is_a_problem_at_its_line(tmp_path: Path, template: str) -> None:
    root = make_repo(tmp_path, WORKLOAD, f"  target:\n    namespaceTemplate: '{template}'\n")
    lines = problems(root)
    assert len(lines) == 1 and lines[0].startswith("wlc.yaml:8:24: error[schema.template]: "
                                                   "spec.target.namespaceTemplate: "), lines
    assert not (tmp_path / "abs").exists()


def test_placeholders_are_replaced_never_evaluated() -> None:
    assert fill("{project.__class__}-{project}", {"project": "a"}) == "{project.__class__}-a"
    assert template_error("namespaceTemplate", "team-{department}-{project}") is None
    assert template_error("kueueQueue", "{namespace}.{workload}_{project}") is None
    assert "unknown placeholder" in str(template_error("hostPattern", "{department}.example.com"))


def test_department_placeholder_fills_in(tmp_path: Path) -> None:
    root = make_repo(tmp_path, WORKLOAD, "  target:\n    namespaceTemplate: '{department}-{project}'\n")
    res = pipeline.build(root)
    assert res.ok and [b.namespace for b in res.bundles] == ["research-vision"]


def test_bad_templates_in_an_overlay_are_problems_at_their_lines(tmp_path: Path) -> None:
    overlay = ("apiVersion: wlc.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: prod\nspec:\n"
               "  target:\n    namespaceTemplate: '../{project}'\n    kueueQueue: '{0}'\n"
               "    hostPattern: '{workload.__doc__}.x'\n")
    root = make_repo(tmp_path, WORKLOAD | {"overlays/prod.yaml": overlay})
    lines = [line for line in problems(root) if "schema.template" in line]
    assert [line.split(": ")[0] for line in lines] == ["overlays/prod.yaml:7:24", "overlays/prod.yaml:8:17",
                                                       "overlays/prod.yaml:9:18"], lines


def test_a_too_long_namespace_for_one_project_is_reported_at_the_template(tmp_path: Path) -> None:
    long = "p" + "x" * 59
    org = (f"apiVersion: wlc.dev/v1alpha1\nkind: Project\nmetadata:\n  name: {long}\n---\n"
           "apiVersion: wlc.dev/v1alpha1\nkind: Project\nmetadata:\n  name: vision\n")
    root = make_repo(tmp_path, WORKLOAD, "  target:\n    namespaceTemplate: 'my-team-{project}'\n", org=org)
    lines = problems(root)
    assert len(lines) == 1 and lines[0].startswith("wlc.yaml:8:24: error[repo.namespace]: "
                                                   f'project "{long}": namespace'), lines


def test_a_kueue_queue_too_long_for_one_workload_is_reported_at_the_workload(tmp_path: Path) -> None:
    name = "w" * 60
    root = make_repo(tmp_path, {"workloads/vision/a.yaml": training(name)},
                     "  target:\n    scheduler: kueue\n    kueueQueue: '{workload}-queue'\n")
    lines = problems(root)
    assert len(lines) == 1 and lines[0].startswith("workloads/vision/a.yaml:4:9: error[lower.kueue-queue]"), lines


@pytest.mark.parametrize("namespace", ["kube-system", "kube-public", "kube-node-lease", "default"])
def test_a_project_in_a_system_namespace_is_refused(tmp_path: Path, namespace: str) -> None:
    org = f"apiVersion: wlc.dev/v1alpha1\nkind: Project\nmetadata:\n  name: vision\nspec:\n  namespace: {namespace}\n"
    root = make_repo(tmp_path, WORKLOAD, org=org)
    lines = problems(root)
    assert len(lines) == 1 and lines[0].startswith("org.yaml:6:14: error[repo.namespace]: "), lines
    assert "spec.allowSystemNamespaces" in lines[0]


def test_wlc_yaml_may_allow_a_system_namespace(tmp_path: Path) -> None:
    org = "apiVersion: wlc.dev/v1alpha1\nkind: Project\nmetadata:\n  name: vision\nspec:\n  namespace: default\n"
    root = make_repo(tmp_path, WORKLOAD, "  allowSystemNamespaces: [default]\n", org=org)
    res = pipeline.build(root)
    assert res.ok and [b.namespace for b in res.bundles] == ["default"]


def test_an_overlay_may_not_map_a_project_into_kube_system(tmp_path: Path) -> None:
    overlay = ("apiVersion: wlc.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: prod\nspec:\n"
               "  namespaces:\n    vision: kube-system\n")
    root = make_repo(tmp_path, WORKLOAD | {"overlays/prod.yaml": overlay})
    assert problems(root) == []
    lines = problems(root, overlay="prod")
    assert len(lines) == 1 and lines[0].startswith("overlays/prod.yaml:7:13: error[overlay.namespace]"), lines


def test_build_with_an_escaping_template_writes_nothing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from compiler.cli import main
    root = make_repo(tmp_path / "repo", WORKLOAD, "  target:\n    namespaceTemplate: '../../../victim/{project}'\n")
    result = CliRunner().invoke(main, ["build", "--repo", str(root), "--out", str(root / "build")])
    assert result.exit_code == 1 and "schema.template" in result.stdout
    assert not (tmp_path / "victim").exists() and not (root / "victim").exists()
    assert not (root / "build").exists()
