"""Issue 16: Run:ai's documented examples behave as Run:ai documents them (one test per defect,
each built from the documentation example it comes from; the doc path is cited)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from compiler.cli import main
from tests.lowerkit import find, lower, target, workload

RUNAI_KNATIVE = ("kubernetes.podspec-schedulername", "kubernetes.podspec-affinity",
                 "kubernetes.podspec-tolerations", "kubernetes.podspec-volumes-emptydir",
                 "kubernetes.podspec-securitycontext", "kubernetes.podspec-persistent-volume-claim",
                 "kubernetes.podspec-persistent-volume-write")


def inference(**spec: Any) -> Any:
    spec.setdefault("name", "inference1")
    spec.setdefault("servingPort", {"container": 8000})
    return workload("inference", **spec)


def test_d1_knative_default_priority_class_is_no_error() -> None:
    """docs/developer/cluster-api/submit-yaml.md (inference1) on the Knative features of
    docs/admin/runai-setup/cluster-setup/cluster-prerequisites.md: wlc's own default priority
    class is left out, never refused."""
    objs, problems = lower(inference(), target(inference="knative", scheduler="runai",
                                               knative_features=RUNAI_KNATIVE))
    assert problems == []
    pod = find(objs, "Service")["spec"]["template"]["spec"]
    assert pod["schedulerName"] == "runai-scheduler" and "priorityClassName" not in pod


def test_d1_knative_priority_class_kept_when_enabled_or_refused_when_set() -> None:
    enabled = target(inference="knative", scheduler="runai",
                     knative_features=(*RUNAI_KNATIVE, "kubernetes.podspec-priorityclassname"))
    objs, problems = lower(inference(), enabled)
    assert problems == []
    assert find(objs, "Service")["spec"]["template"]["spec"]["priorityClassName"] == "inference"
    _, problems = lower(inference(priorityClass="high"),
                        target(inference="knative", scheduler="runai", knative_features=RUNAI_KNATIVE))
    assert [p.code for p in problems] == ["lower.knative-feature"]  # what the user set still needs it


# --- the defects below run wlc on the documentation cases of tests/data/runai-docs/cases/<case>
# (each case's expect.yaml names the doc page it is copied from; INDEX.md gives the commit)

CASES = Path(__file__).resolve().parent / "data" / "runai-docs" / "cases"


def case_repo(name: str, tmp_path: Path) -> Path:
    repo = tmp_path / name
    shutil.copytree(CASES / name, repo, ignore=shutil.ignore_patterns("expect.yaml"))
    return repo


def wlc(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--repo", str(repo)])
    return result.exit_code, result.stdout + result.stderr


def built(repo: Path, tmp_path: Path) -> list[dict[str, Any]]:
    code, text = wlc(repo, "build", "--out", str(tmp_path / "out"))
    assert code == 0, text
    return [o for f in sorted((tmp_path / "out").glob("*/*/*.yaml")) for o in yaml.safe_load_all(f.read_text()) if o]


def test_d2_deleting_an_inherited_port_by_label(tmp_path: Path) -> None:
    """docs/developer/cluster-api/submit-yaml.md (itemized merge): my-ports deletes admin-port-b
    (container 30101, from the policy) by its label."""
    objs = built(case_repo("itemized-merge-repaired", tmp_path), tmp_path)
    svc = next(o for o in objs if o["kind"] == "Service" and o["metadata"]["name"] == "my-ports")
    assert sorted(p["targetPort"] for p in svc["spec"]["ports"]) == [30100, 30111, 30222]


def test_d2_deletion_by_label_is_judged_by_can_remove(tmp_path: Path) -> None:
    """docs/admin/workloads/policies/policies.md: admin-port-a has canRemove: false."""
    code, text = wlc(case_repo("v1policy-ports-canremove", tmp_path), "validate")
    assert code == 1 and "error[policy.locked]" in text and "30100" in text


def test_d3_per_item_can_edit_false_fixes_the_item(tmp_path: Path) -> None:
    """docs/admin/workloads/policies/policies.md: admin-port-a "cannot be changed"."""
    code, text = wlc(case_repo("v1policy-ports-canedit", tmp_path), "validate")
    assert code == 1 and "error[policy.fixed]" in text and "9090 differs from 8080" in text
    assert "runai.dropped" not in text


@pytest.mark.parametrize("case, value", [("v1policy-terminate-after-preemption-team-a", False),
                                         ("v1policy-terminate-after-preemption-team-b", True)])
def test_d5_cluster_and_project_policy_share_a_name(case: str, value: bool, tmp_path: Path) -> None:
    """docs/admin/workloads/policies.md: training-policy in namespaces runai and runai-team-a."""
    repo = case_repo(case, tmp_path)
    code, text = wlc(repo, "validate")
    assert code == 0, text
    code, text = wlc(repo, "explain", "train", "--format", "json")
    assert code == 0 and json.loads(text)["spec"]["terminateAfterPreemption"] is value


def test_d6_submitted_pod_level_env_wins_over_section_default(tmp_path: Path) -> None:
    """docs/platform-admin/workloads/policies/policy-reference.md (distributed master/worker)."""
    objs = built(case_repo("v2policy-distributed-master-worker", tmp_path), tmp_path)
    job = next(o for o in objs if o["kind"] == "PyTorchJob")
    for role, spec in job["spec"]["pytorchReplicaSpecs"].items():
        env = {e["name"]: e.get("value") for e in spec["template"]["spec"]["containers"][0]["env"]}
        assert env["LOG_DIR"] == "/logs", role
        assert env["ADDED_VAR"] == f"policy-{role.lower()}-added"


@pytest.mark.parametrize("case", ["v2policy-full-unwrapped", "v2policy-draft-meta"])
def test_d7_policy_body_without_envelope_is_an_error(case: str, tmp_path: Path) -> None:
    """docs/platform-admin/workloads/policies/policy-examples.md (full policy) pasted as is."""
    code, text = wlc(case_repo(case, tmp_path), "validate")
    assert code == 1 and "error[runai.policy-body]" in text


def test_d8_null_defaults_and_rules(tmp_path: Path) -> None:
    """docs/platform-admin/workloads/policies/policy-reference.md: imposedAssets with
    defaults: null and rules: null."""
    code, text = wlc(case_repo("v2policy-imposed-asset", tmp_path), "validate")
    assert code == 0, text


def test_d4_run_as_user_policy_keeps_the_pod_off_root(tmp_path: Path) -> None:
    """docs/admin/workloads/policies.md (runAsUser required, canEdit false): the pod may not run
    as root."""
    objs = built(case_repo("v1policy-runasuser-default", tmp_path), tmp_path)
    job = next(o for o in objs if o["kind"] == "Job")
    assert job["spec"]["template"]["spec"]["securityContext"] == {"runAsNonRoot": True}


def test_d4_run_as_uid_stands_in_for_the_identity_provider() -> None:
    security = {"uidGidSource": "fromIdpToken", "runAsUid": 1000, "runAsGid": 100}
    objs, problems = lower(workload("training", name="train", security=security))
    psc = find(objs, "Job")["spec"]["template"]["spec"]["securityContext"]
    assert psc == {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 100} and problems == []
    _, problems = lower(workload("training", name="train", security={"uidGidSource": "fromIdpToken"}))
    assert [(p.code, p.severity) for p in problems] == [("lower.uid-gid-source", "warning")]


@pytest.mark.parametrize("case", ["v2policy-s3-defaults", "v2policy-s3-defaults-named"])
def test_d9_s3_policy_fields_accepted_and_lowering_says_what_to_do(case: str, tmp_path: Path) -> None:
    """docs/platform-admin/workloads/policies/policy-reference.md (s3 defaults: an instance without
    a name, accessKeySecret with secretKeyOfAccessKeyId / secretKeyOfSecretKey)."""
    code, text = wlc(case_repo(case, tmp_path), "validate")
    assert "policy.bad-default" not in text and "policy.unknown-field" not in text
    assert code == 1 and "error[lower.s3-unsupported]" in text and "bucket-opt-1" in text
    assert "storage.pvc (existingPvc: true)" in text


def test_d10_data_volume_is_a_policy_field(tmp_path: Path) -> None:
    """docs/platform-admin/workloads/policies/policy-examples.md ('Allow only single selection out
    of many'): storage.dataVolume.instances.canAdd: false."""
    code, text = wlc(case_repo("v2policy-single-datasource-git-ok", tmp_path), "validate")
    assert code == 0, text


def test_d10_a_data_volume_in_a_workload_is_refused_with_what_to_do() -> None:
    _, problems = lower(workload("training", name="train", storage={"dataVolume": [{"name": "imagenet"}]}))
    assert [p.code for p in problems] == ["lower.data-volume"] and "storage.pvc" in problems[0].message


def test_d2_import_resolves_a_deletion_by_label_across_files(tmp_path: Path) -> None:
    """docs/developer/cluster-api/submit-yaml.md (itemized merge), imported the way the doc's
    three documents are written: policy, template, workload."""
    repo = case_repo("itemized-merge-repaired", tmp_path)
    files = [str(repo / f) for f in ("policies/interactive-policy.yaml", "workloads/team-a/team-a.yaml",
                                     "workloads/team-a/my-ports.yaml")]
    result = CliRunner().invoke(main, ["import", "runai", *files])
    assert result.exit_code == 0, result.output
    assert "- container: 30101\n      exclude: true" in result.stdout
    alone = CliRunner().invoke(main, ["import", "runai", files[-1]])
    assert alone.exit_code == 1 and "deleted by label" in alone.output


def test_runai_variables_in_arguments_are_expanded_by_kubernetes(tmp_path: Path) -> None:
    """docs/developer/cluster-api/reference/yaml-reference.md (args): Jupyter's base URL is
    /${RUNAI_PROJECT}/${RUNAI_JOB_NAME}; Kubernetes expands $(VAR) in args, from the env wlc injects."""
    objs = built(case_repo("capi-yaml-reference-args", tmp_path), tmp_path)
    container = next(o for o in objs if o["kind"] == "StatefulSet")["spec"]["template"]["spec"]["containers"][0]
    assert "--NotebookApp.base_url=/$(RUNAI_PROJECT)/$(RUNAI_JOB_NAME)" in container["args"]
    assert {"RUNAI_PROJECT", "RUNAI_JOB_NAME"} <= {e["name"] for e in container["env"]}


def test_create_home_dir_is_flagged_on_the_runai_scheduler_too() -> None:
    """policy-reference.md's createHomeDir default: nothing in the bundle asks for a home
    directory, so no scheduler can create one; wlc says so on every target."""
    _, problems = lower(workload("training", name="train", createHomeDir=True), target(scheduler="runai"))
    assert [(p.code, p.severity) for p in problems] == [("lower.create-home-dir", "warning")]


TUNING = {"minReplicas": 0, "maxReplicas": 3, "metric": "concurrency", "threshold": 10,
          "metricThresholdPercentage": 70, "initialReplicas": 2, "activationReplicas": 2,
          "concurrencyHardLimit": 20, "scaleDownDelaySeconds": 30,
          "scaleToZeroRetentionSeconds": 60, "initializationTimeoutSeconds": 600}


def test_inference_flags_on_knative() -> None:
    """runai inference submit (CLI v2) autoscaling flags become Knative's own settings."""
    rw = inference(autoscaling=TUNING, servingPort={"container": 8000, "clusterLocalAccessOnly": True})
    objs, problems = lower(rw, target(inference="knative"))
    assert problems == []
    svc = find(objs, "Service")
    template = svc["spec"]["template"]
    notes = template["metadata"]["annotations"]
    assert {k: notes[k] for k in notes if not k.endswith(("min-scale", "max-scale", "metric", "/target"))} == {
        "autoscaling.knative.dev/target-utilization-percentage": "70",
        "autoscaling.knative.dev/initial-scale": "2", "autoscaling.knative.dev/activation-scale": "2",
        "autoscaling.knative.dev/scale-down-delay": "30s",
        "autoscaling.knative.dev/scale-to-zero-pod-retention-period": "60s",
        "serving.knative.dev/progress-deadline": "600s"}
    assert template["spec"]["containerConcurrency"] == 20
    assert svc["metadata"]["labels"]["networking.knative.dev/visibility"] == "cluster-local"


def test_inference_flags_on_deployment_and_kserve() -> None:
    given = {"minReplicas": 1, "maxReplicas": 3, "metric": "cpu-utilization", "threshold": 60,
             "scaleDownDelaySeconds": 30, "initializationTimeoutSeconds": 600}
    objs, problems = lower(inference(autoscaling=given, compute={"cpuCoreRequest": 1}))
    assert problems == []
    assert find(objs, "Deployment")["spec"]["progressDeadlineSeconds"] == 600
    hpa = find(objs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["behavior"] == {"scaleDown": {"stabilizationWindowSeconds": 30}}
    _, problems = lower(inference(autoscaling={**given, "concurrencyHardLimit": 5}, compute={"cpuCoreRequest": 1}))
    assert [p.field for p in problems] == ["spec.autoscaling.concurrencyHardLimit"]
    _, problems = lower(inference(autoscaling=given, compute={"cpuCoreRequest": 1}), target(inference="kserve"))
    assert sorted(p.field for p in problems) == ["spec.autoscaling.initializationTimeoutSeconds",
                                                 "spec.autoscaling.scaleDownDelaySeconds"]
    assert all("use target inference: knative" in p.message for p in problems)


def test_termination_grace_period() -> None:
    """runai training submit --termination-grace-period (CLI v2)."""
    objs, problems = lower(workload("training", name="train", terminationGracePeriodSeconds=45))
    assert problems == [] and find(objs, "Job")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 45
    objs, problems = lower(inference(terminationGracePeriodSeconds=45))
    assert problems == [] and find(objs, "Deployment")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 45
    _, problems = lower(inference(terminationGracePeriodSeconds=45), target(inference="knative"))
    assert [p.field for p in problems] == ["spec.terminationGracePeriodSeconds"]


def test_seccomp_localhost_with_its_profile() -> None:
    """runai workspace submit --seccomp-profile Localhost (CLI v2): the profile file is named."""
    security = {"seccompProfileType": "Localhost", "seccompLocalhostProfile": "profiles/audit.json"}
    objs, problems = lower(workload("training", name="train", security=security))
    psc = find(objs, "Job")["spec"]["template"]["spec"]["securityContext"]
    assert problems == [] and psc["seccompProfile"] == {"type": "Localhost", "localhostProfile": "profiles/audit.json"}
    _, problems = lower(workload("training", name="train", security={"seccompProfileType": "Localhost"}))
    assert [p.code for p in problems] == ["lower.seccomp"]


def test_stdin_and_tty() -> None:
    """runai submit --stdin / -t --tty (CLI v1 and v2): the container keeps stdin and a terminal."""
    objs, problems = lower(workload("interactive", name="ws", image="ubuntu", stdin=True, tty=True))
    container = find(objs, "StatefulSet")["spec"]["template"]["spec"]["containers"][0]
    assert problems == [] and container["stdin"] is True and container["tty"] is True
    _, problems = lower(inference(tty=True), target(inference="knative"))
    assert [p.field for p in problems] == ["spec.tty"]
