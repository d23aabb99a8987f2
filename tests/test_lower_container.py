"""Container fields: image, command/args, env (plain, SECRET:, secret, podField), injection."""
from __future__ import annotations

from tests.lowerkit import codes, container, lower, only, workload


def test_command_and_args_are_shell_split() -> None:
    objs, _ = lower(workload(command="python -m train", args="--name 'my run' --lr=0.1"))
    c = container(objs)
    assert c["command"] == ["python", "-m", "train"]
    assert c["args"] == ["--name", "my run", "--lr=0.1"]


def test_unbalanced_quote_in_command_is_a_problem() -> None:
    objs, problems = lower(workload(command="echo 'oops"))
    p = only(problems, "lower.command-parse")
    assert p.field == "spec.command" and p.severity == "error"
    assert "command" not in container(objs)


def test_image_pull_policy_and_working_dir() -> None:
    objs, _ = lower(workload(imagePullPolicy="ifNotPresent", workingDir="/work"))
    c = container(objs)
    assert c["imagePullPolicy"] == "IfNotPresent" and c["workingDir"] == "/work"


def test_missing_image_is_a_problem() -> None:
    rw = workload()
    del rw.spec["image"]
    _, problems = lower(rw, check=False)
    assert codes(problems) == ["lower.no-image"]


def test_plain_env_keeps_user_order_and_stringifies() -> None:
    env = [{"name": "Z", "value": 1}, {"name": "A", "value": True}, {"name": "M", "value": "x"}]
    objs, _ = lower(workload(environmentVariables=env))
    assert container(objs)["env"][:3] == [{"name": "Z", "value": "1"}, {"name": "A", "value": "true"},
                                          {"name": "M", "value": "x"}]


def test_runai_secret_value_becomes_secret_key_ref() -> None:
    objs, _ = lower(workload(environmentVariables=[{"name": "TOKEN", "value": "SECRET:hf-token,token"}]))
    assert container(objs)["env"][0] == {
        "name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token"}}}


def test_malformed_runai_secret_value_is_a_problem() -> None:
    _, problems = lower(workload(environmentVariables=[{"name": "T", "value": "SECRET:only-name"}]))
    assert only(problems, "lower.env-secret").field == "spec.environmentVariables[0].value"


def test_secret_reference_becomes_secret_key_ref() -> None:
    env = [{"name": "PW", "secret": {"name": "db", "key": "password"}}]
    objs, _ = lower(workload(environmentVariables=env))
    assert container(objs)["env"][0]["valueFrom"] == {"secretKeyRef": {"name": "db", "key": "password"}}


def test_pod_field_becomes_field_ref() -> None:
    objs, _ = lower(workload(environmentVariables=[{"name": "NODE", "podField": "spec.nodeName"}]))
    assert container(objs)["env"][0] == {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}


def test_runai_variables_are_injected_last() -> None:
    objs, _ = lower(workload(name="job-a", project="p1", environmentVariables=[{"name": "X", "value": "1"}]))
    assert container(objs)["env"] == [{"name": "X", "value": "1"},
                                      {"name": "RUNAI_PROJECT", "value": "p1"},
                                      {"name": "RUNAI_JOB_NAME", "value": "job-a"}]


def test_user_set_runai_variable_is_not_overridden() -> None:
    objs, _ = lower(workload(environmentVariables=[{"name": "RUNAI_JOB_NAME", "value": "mine"}]))
    env = container(objs)["env"]
    assert [e for e in env if e["name"] == "RUNAI_JOB_NAME"] == [{"name": "RUNAI_JOB_NAME", "value": "mine"}]


def test_container_is_named_main_and_declares_exposed_ports() -> None:
    objs, _ = lower(workload("interactive", ports=[{"container": 8888}], exposedUrls=[{"container": 6006}]))
    c = container(objs)
    assert c["name"] == "main"
    assert c["ports"] == [{"containerPort": 8888, "protocol": "TCP"}, {"containerPort": 6006, "protocol": "TCP"}]


def test_security_fields_go_to_pod_and_container() -> None:
    sec = {"runAsUid": 1000, "runAsGid": 100, "supplementalGroups": [5, 6], "runAsNonRoot": True,
           "seccompProfileType": "RuntimeDefault", "allowPrivilegeEscalation": False,
           "capabilities": ["NET_ADMIN"], "readOnlyRootFilesystem": True, "hostIpc": True, "hostNetwork": False}
    objs, _ = lower(workload(security=sec))
    pod = objs[0]["spec"]["template"]["spec"]
    assert pod["securityContext"] == {"runAsUser": 1000, "runAsGroup": 100, "supplementalGroups": [5, 6],
                                      "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert pod["hostIPC"] is True and pod["hostNetwork"] is False
    assert container(objs)["securityContext"] == {"allowPrivilegeEscalation": False,
                                                  "capabilities": {"add": ["NET_ADMIN"]},
                                                  "readOnlyRootFilesystem": True}


def test_localhost_seccomp_without_profile_is_a_problem() -> None:
    _, problems = lower(workload(security={"seccompProfileType": "Localhost"}))
    assert only(problems, "lower.seccomp").field == "spec.security.seccompProfileType"


def test_uid_from_the_image_ignores_run_as_uid_with_a_warning() -> None:
    objs, problems = lower(workload(security={"uidGidSource": "fromTheImage", "runAsUid": 7}))
    assert "securityContext" not in objs[0]["spec"]["template"]["spec"]
    assert only(problems, "lower.uid-gid-source").severity == "warning"


def test_non_integer_supplemental_groups_is_a_problem() -> None:
    _, problems = lower(workload(security={"supplementalGroups": ["wheel"]}))
    assert only(problems, "lower.security").field == "spec.security.supplementalGroups"
