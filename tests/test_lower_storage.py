"""storage: PVCs (existing, new, ephemeral), NFS, hostPath, git, S3, ConfigMaps, Secrets."""
from __future__ import annotations

from tests.lowerkit import codes, container, find, kinds, lower, only, pod_spec, target, workload

NEW_PVC = {"claimName": "scratch", "path": "/scratch",
           "claimInfo": {"size": "50Gi", "storageClass": "fast", "accessModes": {"readWriteMany": True},
                         "volumeMode": "Filesystem"}}


def test_existing_pvc_is_mounted_without_creating_a_claim() -> None:
    objs, _ = lower(workload(storage={"pvc": [{"claimName": "data", "path": "/data", "existingPvc": True}]}))
    assert kinds(objs) == [("Job", "w1")]
    assert pod_spec(objs)["volumes"] == [{"name": "pvc-data", "persistentVolumeClaim": {"claimName": "data"}}]
    assert container(objs)["volumeMounts"] == [{"name": "pvc-data", "mountPath": "/data"}]


def test_read_only_pvc_mount() -> None:
    objs, _ = lower(workload(storage={"pvc": [{"claimName": "d", "path": "/d", "existingPvc": True,
                                               "readOnly": True}]}))
    assert pod_spec(objs)["volumes"][0]["persistentVolumeClaim"] == {"claimName": "d", "readOnly": True}
    assert container(objs)["volumeMounts"][0]["readOnly"] is True


def test_new_pvc_becomes_a_claim_object() -> None:
    objs, _ = lower(workload(storage={"pvc": [NEW_PVC]}))
    pvc = find(objs, "PersistentVolumeClaim", "scratch")
    assert pvc["metadata"]["namespace"] == "runai-team-a"
    assert pvc["spec"] == {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "50Gi"}},
                           "storageClassName": "fast", "volumeMode": "Filesystem"}


def test_new_pvc_defaults_to_read_write_once() -> None:
    objs, _ = lower(workload(storage={"pvc": [{"claimName": "c", "path": "/c", "claimInfo": {"size": "1Gi"}}]}))
    assert find(objs, "PersistentVolumeClaim")["spec"]["accessModes"] == ["ReadWriteOnce"]


def test_new_pvc_without_size_is_a_problem() -> None:
    objs, problems = lower(workload(storage={"pvc": [{"claimName": "c", "path": "/c"}]}))
    assert only(problems, "lower.pvc-size").field == "spec.storage.pvc[0].claimInfo.size"
    assert ("PersistentVolumeClaim", "c") not in kinds(objs)


def test_ephemeral_pvc_leaves_bundle_when_stopped() -> None:
    pvc = {**NEW_PVC, "ephemeral": True}
    objs, _ = lower(workload(active=False, storage={"pvc": [pvc]}))
    assert kinds(objs) == [("Job", "w1")]


def test_ephemeral_pvc_is_in_bundle_while_active() -> None:
    objs, _ = lower(workload(storage={"pvc": [{**NEW_PVC, "ephemeral": True}]}))
    assert ("PersistentVolumeClaim", "scratch") in kinds(objs)


def test_persistent_pvc_stays_when_stopped() -> None:
    objs, _ = lower(workload("interactive", active=False, storage={"pvc": [NEW_PVC]}))
    assert ("PersistentVolumeClaim", "scratch") in kinds(objs)


def test_nfs_volume() -> None:
    nfs = [{"name": "datasets", "server": "10.0.0.5", "path": "/exports/ds", "mountPath": "/ds", "readOnly": True}]
    objs, _ = lower(workload(storage={"nfs": nfs}))
    assert pod_spec(objs)["volumes"] == [{"name": "nfs-datasets",
                                          "nfs": {"server": "10.0.0.5", "path": "/exports/ds", "readOnly": True}}]
    assert container(objs)["volumeMounts"] == [{"name": "nfs-datasets", "mountPath": "/ds", "readOnly": True}]


def test_host_path_with_mount_propagation() -> None:
    hp = [{"name": "models", "path": "/mnt/models", "mountPath": "/models", "mountPropagation": "HostToContainer"}]
    objs, _ = lower(workload(storage={"hostPath": hp}))
    assert pod_spec(objs)["volumes"] == [{"name": "host-models", "hostPath": {"path": "/mnt/models"}}]
    assert container(objs)["volumeMounts"] == [{"name": "host-models", "mountPath": "/models",
                                                "mountPropagation": "HostToContainer"}]


def test_bidirectional_propagation_is_a_problem() -> None:
    hp = [{"name": "m", "path": "/mnt", "mountPath": "/m", "mountPropagation": "Bidirectional"}]
    _, problems = lower(workload(storage={"hostPath": hp}))
    assert only(problems, "lower.mount-propagation").field == "spec.storage.hostPath[0].mountPropagation"


def test_git_becomes_git_sync_init_container_into_emptydir() -> None:
    git = [{"name": "code", "repository": "https://example.com/org/repo.git", "branch": "main", "path": "/src"}]
    objs, _ = lower(workload(storage={"git": git}), target(git_sync_image="example.com/git-sync:v4.4.0"))
    spec = pod_spec(objs)
    assert spec["volumes"] == [{"name": "git-code", "emptyDir": {}}]
    assert container(objs)["volumeMounts"] == [{"name": "git-code", "mountPath": "/src"}]
    init = spec["initContainers"][0]
    assert init["image"] == "example.com/git-sync:v4.4.0"
    assert init["args"] == ["--repo=https://example.com/org/repo.git", "--ref=main", "--root=/tmp/git",
                            "--link=repo", "--one-time"]
    assert init["volumeMounts"] == [{"name": "git-code", "mountPath": "/tmp/git"}]


def test_git_revision_wins_over_branch() -> None:
    git = [{"name": "c", "repository": "https://e.com/r", "branch": "main", "revision": "abc123", "path": "/s"}]
    objs, _ = lower(workload(storage={"git": git}))
    assert "--ref=abc123" in pod_spec(objs)["initContainers"][0]["args"]


def test_git_secret_supplies_username_and_password() -> None:
    git = [{"name": "c", "repository": "https://e.com/r.git", "path": "/s", "secretName": "git-cred"}]
    objs, _ = lower(workload(storage={"git": git}))
    env = pod_spec(objs)["initContainers"][0]["env"]
    assert env == [
        {"name": "GITSYNC_USERNAME", "valueFrom": {"secretKeyRef": {"name": "git-cred", "key": "username"}}},
        {"name": "GITSYNC_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "git-cred", "key": "password"}}}]


def test_s3_is_unsupported() -> None:
    s3 = [{"name": "bucket", "bucket": "b", "path": "/b", "url": "https://s3.example.com",
           "accessKeySecret": "s3-keys"}]
    _, problems = lower(workload(storage={"s3": s3}))
    p = only(problems, "lower.s3-unsupported")
    assert p.severity == "error" and "S3 CSI driver" in p.message and p.field == "spec.storage.s3[0]"
    # the replacement, spelled out with the item's own values
    assert "PersistentVolume of bucket 'b' at https://s3.example.com" in p.message
    assert "{claimName: <the PVC>, path: /b}" in p.message and "Secret 's3-keys'" in p.message


def test_config_map_volume_with_sub_path() -> None:
    cms = [{"name": "cfg", "configMap": "app-config", "mountPath": "/etc/app/app.yaml", "subPath": "app.yaml"}]
    objs, _ = lower(workload(storage={"configMapVolumes": cms}))
    assert pod_spec(objs)["volumes"] == [{"name": "cm-cfg", "configMap": {"name": "app-config"}}]
    assert container(objs)["volumeMounts"] == [{"name": "cm-cfg", "mountPath": "/etc/app/app.yaml",
                                                "subPath": "app.yaml"}]


def test_secret_volume_with_octal_default_mode() -> None:
    sv = [{"name": "keys", "secret": "ssh-keys", "mountPath": "/keys", "defaultMode": "0400"}]
    objs, _ = lower(workload(storage={"secretVolume": sv}))
    assert pod_spec(objs)["volumes"] == [{"name": "secret-keys", "secret": {"secretName": "ssh-keys",
                                                                            "defaultMode": 0o400}}]
    assert container(objs)["volumeMounts"] == [{"name": "secret-keys", "mountPath": "/keys", "readOnly": True}]


def test_volume_names_are_valid_unique_and_deterministic() -> None:
    nfs = [{"name": "Data_Set", "server": "s", "path": "/a", "mountPath": "/a"},
           {"name": "data-set", "server": "s", "path": "/b", "mountPath": "/b"},
           {"name": "x" * 80, "server": "s", "path": "/c", "mountPath": "/c"}]
    first, _ = lower(workload(storage={"nfs": nfs}))
    second, _ = lower(workload(storage={"nfs": nfs}))
    names = [v["name"] for v in pod_spec(first)["volumes"]]
    assert names == [v["name"] for v in pod_spec(second)["volumes"]]
    assert len(set(names)) == 3 and all(len(n) <= 63 for n in names)
    assert names[1] == "nfs-data-set" and names[0] != names[1]


def test_two_volumes_at_one_path_is_a_problem() -> None:
    nfs = [{"name": "a", "server": "s", "path": "/a", "mountPath": "/data"}]
    pvc = [{"claimName": "d", "path": "/data/", "existingPvc": True}]
    _, problems = lower(workload(storage={"nfs": nfs, "pvc": pvc}))
    assert codes(problems) == ["lower.mount-path"]


def test_relative_mount_path_is_a_problem() -> None:
    _, problems = lower(workload(storage={"pvc": [{"claimName": "d", "path": "data", "existingPvc": True}]}))
    assert only(problems, "lower.mount-path").field == "spec.storage.pvc[0].path"
