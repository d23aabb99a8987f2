"""``wlc new``: the file is written only when the repository with it is clean (schemas, policies,
lowering), every flag's value reaches the emitted objects, names are checked before any path is
made, and nothing is ever overwritten."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler import pipeline
from tests.verbskit import example_repo, tree, wlc

IMAGE = "nvcr.io/nvidia/pytorch:24.10-py3"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return example_repo(tmp_path)


def _objects(repo: Path, name: str) -> list[dict[str, Any]]:
    res = pipeline.build(repo)
    assert res.ok, [p.text() for p in res.problems if p.severity == "error"]
    found = [b for b in res.bundles if b.name == name]
    assert len(found) == 1
    return [dict(o) for o in found[0].objects]


def _containers(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every container of every pod template among the objects."""
    out: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("containers"), list):
                out.extend(node["containers"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(objects)
    return out


def test_new_training_writes_the_file_and_its_flags_reach_the_job(repo: Path) -> None:
    code, _, err = wlc(repo, "new", "training", "ft-1", "-p", "nlp", "-i", IMAGE, "-g", "2",
                         "-e", "WANDB_MODE=offline", "--backoff-limit", "3",
                         "--auto-deletion-time-after-completion", "1h", "--node-pools", "h100,a100",
                         "--", "python", "train.py", "--lr", "1e-4")
    assert code == 0, err
    rel = "examples/workloads/nlp/ft-1.yaml"
    assert f"created {rel}" in err and f"git add -A -- {rel} && git commit" in err
    job = next(o for o in _objects(repo, "ft-1") if o["kind"] == "Job")
    assert job["spec"]["backoffLimit"] == 3 and job["spec"]["ttlSecondsAfterFinished"] == 3600
    (container,) = _containers([job])
    assert container["image"] == IMAGE and container["args"] == ["python", "train.py", "--lr", "1e-4"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 2
    assert {"name": "WANDB_MODE", "value": "offline"} in container["env"]


def test_new_workspace_with_port_and_preemptible(repo: Path) -> None:
    code, _, err = wlc(repo, "new", "workspace", "nb-1", "-p", "vision", "-i", "quay.io/jupyter/base-notebook",
                       "--port", "container=8888", "--preemptible", "--cpu-core-request", "0.5")
    assert code == 0, err
    objects = _objects(repo, "nb-1")
    kinds = {o["kind"] for o in objects}
    assert {"StatefulSet", "Service"} <= kinds
    (container,) = _containers(objects)
    assert container["resources"]["requests"]["cpu"] == "500m"
    service = next(o for o in objects if o["kind"] == "Service")
    assert [p["targetPort"] for p in service["spec"]["ports"]] == [8888]


def test_new_distributed_workers_reach_the_kubeflow_job(repo: Path) -> None:
    code, _, err = wlc(repo, "new", "distributed", "ddp-1", "-p", "nlp", "--framework", "PyTorch", "--workers", "3",
                       "-i", IMAGE, "-g", "1", "-c", "--", "torchrun", "train.py")
    assert code == 0, err
    job = next(o for o in _objects(repo, "ddp-1") if o["kind"] == "PyTorchJob")
    assert job["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] == 3


def test_new_inference_replicas_reach_the_autoscaler(repo: Path) -> None:
    code, _, err = wlc(repo, "new", "inference", "serve-1", "-p", "nlp", "-i", "nvcr.io/nvidia/tritonserver:24.05",
                       "--serving-port", "container=8000", "--min-replicas", "1", "--max-replicas", "3",
                       "--metric", "cpu-utilization", "--metric-threshold", "70", "--cpu-core-request", "1")
    assert code == 0, err
    hpa = next(o for o in _objects(repo, "serve-1") if o["kind"] == "HorizontalPodAutoscaler")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 3)


def test_a_policy_violation_writes_nothing_and_names_the_policy_and_the_flag(repo: Path) -> None:
    before = tree(repo)
    code, out, err = wlc(repo, "new", "training", "big", "-p", "nlp", "-i", IMAGE, "-g", "8")
    assert code == 1 and tree(repo) == before
    assert ("examples/workloads/nlp/big.yaml:7:24: error[policy.max]: spec.compute.gpuDevicesRequest: 8 is greater "
            "than 4 (max in policies/research-gpu-ceiling.yaml:16) [set by --gpu-devices-request]") in out
    assert "nothing was written" in err


def test_a_flag_the_policy_locks_is_refused_naming_both(repo: Path) -> None:
    before = tree(repo)
    code, out, _ = wlc(repo, "new", "training", "net", "-p", "nlp", "-i", IMAGE, "--host-network")
    assert code == 1 and tree(repo) == before
    assert ("error[policy.canEdit]: spec.security.hostNetwork: true differs from false, which the policy does not "
            "let you edit (canEdit in policies/cluster-security.yaml:67) [set by --host-network]") in out


def test_a_schema_problem_writes_nothing(repo: Path) -> None:
    before = tree(repo)
    code, out, _ = wlc(repo, "new", "training", "bad", "-p", "nlp", "-i", IMAGE, "--mig-profile", "9g.9gb")
    assert code == 1 and tree(repo) == before and "[set by --mig-profile]" in out


def test_dry_run_prints_the_checked_file_and_writes_nothing(repo: Path) -> None:
    before = tree(repo)
    code, out, err = wlc(repo, "new", "training", "dry", "-p", "nlp", "-i", IMAGE, "--dry-run")
    assert code == 0 and tree(repo) == before
    assert yaml.safe_load(out) == {"apiVersion": "wlc.dev/v1alpha1", "kind": "TrainingWorkload",
                                   "metadata": {"name": "dry"}, "spec": {"image": IMAGE}}
    assert "not written" in err


def test_an_existing_file_is_never_overwritten(repo: Path) -> None:
    before = tree(repo)
    code, _, err = wlc(repo, "new", "training", "llama-finetune", "-p", "nlp", "-i", IMAGE)
    assert code == 2 and tree(repo) == before and "exists already" in err


@pytest.mark.parametrize(("name", "project"), [
    ("../escape", "nlp"), ("a/b", "nlp"), ("UPPER", "nlp"), ("x" * 64, "nlp"), ("lead-", "nlp"),
    ("ok", "../.."), ("ok", "nlp/../../x"), ("ok", ""), ("ok", "."),
])
def test_hostile_names_are_refused_before_any_path_is_made(repo: Path, name: str, project: str) -> None:
    before = tree(repo)
    code, _, err = wlc(repo, "new", "training", name, "-p", project, "-i", IMAGE)
    assert code == 2 and "DNS-1123 label" in err
    assert tree(repo) == before and not (repo.parent / "escape.yaml").exists()


def test_a_project_folder_that_links_out_of_the_repository_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, repo / "examples" / "workloads" / "evil")
    code, _, err = wlc(repo, "new", "training", "w", "-p", "evil", "-i", IMAGE)
    assert code == 2 and "leads outside the repository" in err and list(outside.iterdir()) == []


def test_from_runai_writes_the_native_workload(repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "train.yaml"
    source.write_text("apiVersion: run.ai/v2alpha1\nkind: TrainingWorkload\nmetadata:\n  name: imported\n"
                      "  namespace: runai-nlp\nspec:\n  image:\n    value: nvcr.io/nvidia/pytorch:24.10-py3\n"
                      "  gpu:\n    value: 1\n")
    code, _, err = wlc(repo, "new", "--from-runai", str(source))
    assert code == 0, err
    data = yaml.safe_load((repo / "examples/workloads/nlp/imported.yaml").read_text())
    assert data["kind"] == "TrainingWorkload" and data["spec"]["image"] == IMAGE


def test_from_runai_with_a_policy_violation_writes_nothing(repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "train.yaml"
    source.write_text("apiVersion: run.ai/v2alpha1\nkind: TrainingWorkload\nmetadata:\n  name: imported\n"
                      "  namespace: runai-nlp\nspec:\n  image:\n    value: busybox\n")
    before = tree(repo)
    code, out, _ = wlc(repo, "new", "--from-runai", str(source))
    assert code == 1 and tree(repo) == before and "policy.options" in out


def test_usage_errors_exit_2_without_a_traceback(repo: Path) -> None:
    code, _, err = wlc(repo, "new", "training", "x", "-p", "nlp", "-g", "two")
    assert code == 2 and "--gpu-devices-request: 'two' is not a whole number" in err and "Traceback" not in err
    code, _, err = wlc(repo, "new", "distributed", "x", "-p", "nlp")
    assert code == 2 and "--framework" in err


def test_pipeline_check_sees_changes_that_are_not_written(repo: Path) -> None:
    rel = "examples/workloads/nlp/unwritten.yaml"
    text = ("apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata:\n  name: unwritten\n"
            "spec:\n  image: busybox\n")
    res = pipeline.check(repo, None, 1, {rel: text})
    assert [p.code for p in res.problems if p.file == rel] == ["policy.options"]
    assert not (repo / rel).exists()
    gone = pipeline.check(repo, None, 1, {"examples/workloads/nlp/llama-finetune.yaml": None})
    assert gone.counted == pipeline.check(repo).counted - 1


def test_problems_the_repository_had_already_do_not_block_new(repo: Path) -> None:
    broken = repo / "examples/workloads/vision/broken.yaml"
    broken.write_text("apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata:\n  name: broken\nspec:\n"
                      "  image: 3\n")
    code, _, err = wlc(repo, "new", "training", "fine", "-p", "nlp", "-i", IMAGE)
    assert code == 0, err
    assert (repo / "examples/workloads/nlp/fine.yaml").exists()


def test_s3_without_the_targets_csi_driver_is_refused_naming_the_setting(repo: Path) -> None:
    before = tree(repo)
    code, out, _ = wlc(repo, "new", "training", "s3-job", "-p", "nlp", "-i", IMAGE,
                       "--s3", "name=corpus,bucket=corpus-v2,path=/corpus,accesskey=s3-keys")
    assert code == 1 and tree(repo) == before
    assert "error[lower.s3-unsupported]" in out and "target s3: {csiDriver:" in out and "[set by --s3]" in out


def test_from_runai_v1alpha1_writes_the_native_workload(repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "ws.yaml"
    source.write_text("apiVersion: run.ai/v1alpha1\nkind: InteractiveWorkload\nmetadata:\n  name: old-ws\n"
                      "  namespace: runai-vision\nspec:\n  image:\n    value: quay.io/jupyter/base-notebook\n"
                      "  active:\n    value: false\n")
    code, _, err = wlc(repo, "new", "--from-runai", str(source))
    assert code == 0, err
    data = yaml.safe_load((repo / "examples/workloads/vision/old-ws.yaml").read_text())
    assert (data["kind"], data["spec"]["image"], data["spec"]["active"]) == \
        ("InteractiveWorkload", "quay.io/jupyter/base-notebook", False)


def test_the_file_goes_to_the_workload_root_that_has_the_projects_folder(repo: Path) -> None:
    config = repo / "wlc.yaml"
    config.write_text(config.read_text().replace("workloadRoots: [examples/workloads]",
                                                 "workloadRoots: [teams, examples/workloads]"))
    (repo / "teams" / "vision").mkdir(parents=True)
    for project, root in (("nlp", "examples/workloads"), ("vision", "teams"), ("recsys", "examples/workloads")):
        code, _, err = wlc(repo, "new", "training", f"r-{project}", "-p", project, "-i", IMAGE, "--dry-run")
        assert code == 0 and f"(dry run: {root}/{project}/r-{project}.yaml checked, not written)" in err, err
    (repo / "examples/workloads/recsys").rename(repo / "recsys-away")
    code, _, err = wlc(repo, "new", "training", "r-first", "-p", "recsys", "-i", IMAGE, "--dry-run")
    assert "teams/recsys/r-first.yaml" in err  # no root has the folder: the first root


def test_a_name_another_file_of_the_project_defines_is_refused(repo: Path) -> None:
    assert wlc(repo, "new", "training", "eval-sweep-2", "-p", "nlp", "-i", IMAGE)[0] == 0
    (repo / "examples/workloads/nlp/eval-sweep-2.yaml").rename(repo / "examples/workloads/nlp/other.yaml")
    before = tree(repo)
    code, out, _ = wlc(repo, "new", "training", "eval-sweep-2", "-p", "nlp", "-i", IMAGE)
    assert code == 1 and tree(repo) == before and "error[repo.duplicate-name]" in out
    code, out, _ = wlc(repo, "copy", "llama-finetune", "eval-sweep-2")
    assert code == 1 and tree(repo) == before and "error[repo.duplicate-name]" in out


def test_words_after_the_separator_are_args_or_with_command_the_command(repo: Path) -> None:
    assert wlc(repo, "new", "training", "as-args", "-p", "nlp", "-i", IMAGE, "--", "python", "t.py", "--lr", "0.1")[0] == 0
    assert wlc(repo, "new", "training", "as-cmd", "-p", "nlp", "-i", IMAGE, "-c", "--", "torchrun", "t.py")[0] == 0
    (args,) = _containers(_objects(repo, "as-args"))
    (cmd,) = _containers(_objects(repo, "as-cmd"))
    assert (args.get("command"), args["args"]) == (None, ["python", "t.py", "--lr", "0.1"])
    assert (cmd["command"], cmd.get("args")) == (["torchrun", "t.py"], None)


def test_from_runai_p_names_the_project_instead_of_the_namespace(repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "train.yaml"
    source.write_text("apiVersion: run.ai/v2alpha1\nkind: TrainingWorkload\nmetadata:\n  name: moved\n"
                      f"  namespace: runai-nlp\nspec:\n  image:\n    value: {IMAGE}\n")
    code, _, err = wlc(repo, "new", "--from-runai", str(source), "-p", "recsys", "--dry-run")
    assert code == 0 and "(dry run: examples/workloads/recsys/moved.yaml checked, not written)" in err, err
    assert wlc(repo, "new", "--from-runai", str(source), "-p", "recsys")[0] == 0
    assert yaml.safe_load((repo / "examples/workloads/recsys/moved.yaml").read_text())["spec"]["project"] == "recsys"


def test_the_warnings_a_new_file_brings_are_printed_and_it_is_written(repo: Path) -> None:
    code, out, err = wlc(repo, "new", "training", "home", "-p", "nlp", "-i", IMAGE, "--create-home-dir",
                         "--run-as-user")
    assert code == 0 and "created examples/workloads/nlp/home.yaml" in err
    assert "warning[lower.create-home-dir]" in out and "[set by --create-home-dir]" in out
    assert "warning[lower.uid-gid-source]" in out and "[set by --run-as-user]" in out


def test_an_edit_prints_no_warning_the_file_had_already(repo: Path) -> None:
    assert wlc(repo, "new", "training", "home", "-p", "nlp", "-i", IMAGE, "--create-home-dir")[0] == 0
    code, out, _ = wlc(repo, "stop", "home")
    assert code == 0 and "warning" not in out
