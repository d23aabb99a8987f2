"""`wlc build --all-overlays` and the example overlays of this repository."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from compiler import pipeline
from compiler.cli import main
from tests.overlaykit import make_repo
from tests.treekit import items

ROOT = Path(__file__).resolve().parent.parent


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_all_overlays_gives_the_same_bytes_as_each_alone(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["build", "--repo", str(ROOT), "--all-overlays", "--out", str(tmp_path / "all")])
    assert out.exit_code == 0, out.output
    names = ["base"] + pipeline.specs(ROOT).repo.names("Overlay")  # type: ignore[union-attr]
    assert sorted(p.name for p in (tmp_path / "all").iterdir() if p.name != ".wlc") == sorted(names)  # .wlc: outdir.py
    assert {"common", "dev", "prod"} <= set(names)
    for name in names:
        args = ["build", "--repo", str(ROOT), "--out", str(tmp_path / "one")]
        single = runner.invoke(main, args + ([] if name == "base" else ["--overlay", name]))
        assert single.exit_code == 0, single.output
        assert tree(tmp_path / "all" / name) == tree(tmp_path / "one" / name), name


def test_all_overlays_writes_nothing_when_one_fails(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"good": "commonLabels: {a: b}", "bad": "bases: [nope]"})
    out = CliRunner().invoke(main, ["build", "--repo", str(repo), "--all-overlays", "--out", str(tmp_path / "o")])
    assert out.exit_code == 1 and "overlay.unknown-base" in out.output
    assert not (tmp_path / "o").exists()


def test_overlay_and_all_overlays_together_is_a_usage_error() -> None:
    out = CliRunner().invoke(main, ["build", "--repo", str(ROOT), "--all-overlays", "--overlay", "prod"])
    assert out.exit_code == 2 and "cannot be used together" in out.output


def test_example_overlays_show_what_they_say() -> None:
    prod = pipeline.build(ROOT, overlay="prod")
    assert [p.text() for p in prod.problems if p.severity == "error"] == []
    by_name = {b.name: b for b in prod.bundles}
    assert by_name["ranker-train"].namespace == "recsys-prod"  # namespaces
    llama = next(rw for rw in prod.workloads if rw.name == "llama-finetune")
    assert [t["name"] for t in items(llama.spec, "tolerations")] == ["gpu-taint", "prod-dedicated"]  # spot removed
    assert llama.spec["nodePools"] == ["h100"] and llama.prov[("nodePools",)].kind == "overlay"
    env = {e["name"]: e.get("value") for e in items(llama.spec, "environmentVariables")}
    assert env["DEPLOY_ENV"] == "prod"  # prod overrides common's item by key
    job = next(o for o in by_name["llama-finetune"].objects if o["kind"] == "Job")
    assert job["spec"]["activeDeadlineSeconds"] == 172800  # JSON Patch
    assert job["metadata"]["labels"]["example.com/environment"] == "prod"
    assert job["spec"]["template"]["metadata"]["labels"]["example.com/fleet"] == "ml-platform"
    assert job["spec"]["template"]["spec"]["schedulerName"] == "runai-scheduler"
    dev = pipeline.build(ROOT, overlay="dev")
    assert dev.target.scheduler == "kueue" and dev.target.ingress_class == "nginx-internal"
    ing = next(o for b in dev.bundles for o in b.objects if o["kind"] == "Ingress")
    assert ing["spec"]["rules"][0]["host"].endswith(".dev.example.com")
    assert ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/ssl-redirect"] == "false"  # merge patch


def test_explain_shows_overlay_next_to_policy_provenance() -> None:
    out = CliRunner().invoke(main, ["explain", "llama-finetune", "--repo", str(ROOT), "--overlay", "prod"])
    assert out.exit_code == 0, out.output
    assert "overlay prod (overlays/prod/overlay.yaml:" in out.output
    assert "policy cluster-security (policies/cluster-security.yaml:" in out.output
