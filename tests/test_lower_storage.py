"""storage: PVCs (existing, new, ephemeral), NFS, hostPath, git, S3, ConfigMaps, Secrets."""
from __future__ import annotations

import json
from pathlib import Path

from compiler.model import S3Target
from tests.lowerkit import codes, container, find, kinds, lower, only, pod_spec, target, workload
from tests.overlaykit import build, errors, make_repo, obj

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


S3_ITEM = {"name": "bucket", "bucket": "b", "path": "/b", "url": "https://s3.example.com",
           "accessKeySecret": "s3-keys"}
CSI = S3Target("ru.yandex.s3.csi")


def test_s3_without_the_target_setting_is_refused_and_names_it() -> None:
    _, problems = lower(workload(storage={"s3": [S3_ITEM]}))
    p = only(problems, "lower.s3-unsupported")
    assert p.severity == "error" and "S3 CSI driver" in p.message and p.field == "spec.storage.s3[0]"
    assert "set target s3: {csiDriver: <the driver's name>} in wlc.yaml or the overlay" in p.message
    # the other way out, spelled out with the item's own values
    assert "PersistentVolume of bucket 'b' at https://s3.example.com" in p.message
    assert "{claimName: <the PVC>, path: /b}" in p.message and "Secret 's3-keys'" in p.message


def test_s3_with_a_csi_driver_is_an_inline_volume_with_the_items_secret() -> None:
    objs, problems = lower(workload(storage={"s3": [S3_ITEM]}), target(s3=CSI))
    assert problems == [] and kinds(objs) == [("Job", "w1")]  # no PersistentVolume, no claim
    assert pod_spec(objs)["volumes"] == [{"name": "s3-bucket", "csi": {
        "driver": "ru.yandex.s3.csi", "nodePublishSecretRef": {"name": "s3-keys"},
        "volumeAttributes": {"bucket": "b", "url": "https://s3.example.com"}}}]
    assert container(objs)["volumeMounts"] == [{"name": "s3-bucket", "mountPath": "/b"}]


def test_s3_without_credentials_has_no_secret_ref() -> None:
    item = {"bucket": "open-data", "path": "/data"}  # Run:ai's policy instances have no name
    objs, problems = lower(workload(storage={"s3": [item]}), target(s3=CSI))
    assert problems == []
    assert pod_spec(objs)["volumes"] == [{"name": "s3-0", "csi": {
        "driver": "ru.yandex.s3.csi", "volumeAttributes": {"bucket": "open-data"}}}]


def test_s3_attribute_keys_are_renamed_dropped_and_extended_by_the_setting() -> None:
    item = {**S3_ITEM, "secretKeyOfAccessKeyId": "id", "secretKeyOfSecretKey": "key"}
    csi = S3Target("s3.csi.example.com", keys=(("accessKeyIdKey", ""), ("url", "endpoint")),
                   attributes=(("bucket", "overridden"), ("mounter", "geesefs")))
    objs, _ = lower(workload(storage={"s3": [item]}), target(s3=csi))
    assert pod_spec(objs)["volumes"][0]["csi"]["volumeAttributes"] == {
        "bucket": "b", "endpoint": "https://s3.example.com", "mounter": "geesefs", "secretKeyKey": "key"}


def test_s3_without_bucket_is_a_problem() -> None:
    objs, problems = lower(workload(storage={"s3": [{"name": "x", "path": "/x"}]}), target(s3=CSI))
    assert only(problems, "lower.s3").field == "spec.storage.s3[0].bucket"
    assert "volumes" not in pod_spec(objs)


def test_s3_is_mounted_on_every_replica_of_a_distributed_workload() -> None:
    rw = workload("distributed", name="job", framework="PyTorch", workers=2, storage={"s3": [S3_ITEM]})
    for tgt in (target(s3=CSI), target(s3=CSI, distributed="native")):
        objs, problems = lower(rw, tgt)
        assert problems == []
        pods = [o["spec"]["template"]["spec"] for o in objs if o["kind"] == "Job"] or [
            r["template"]["spec"] for o in objs if o["kind"] == "PyTorchJob"
            for r in o["spec"]["pytorchReplicaSpecs"].values()]
        assert len(pods) == (1 if tgt.distributed == "native" else 2)
        for pod in pods:
            assert [v["csi"]["driver"] for v in pod["volumes"]] == ["ru.yandex.s3.csi"]
            assert {"name": "s3-bucket", "mountPath": "/b"} in pod["containers"][0]["volumeMounts"]


def test_s3_on_knative_is_refused_because_knative_has_no_csi_volumes() -> None:
    rw = workload("inference", servingPort={"container": 8000}, storage={"s3": [S3_ITEM]})
    _, problems = lower(rw, target(s3=CSI, inference="knative"), check=False)
    assert "knative does not accept csi volume s3-bucket" in only(problems, "lower.knative-feature").message


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


def test_s3_setting_of_an_overlay_mounts_the_bucket_and_is_listed_in_index_json(tmp_path: Path) -> None:
    s3 = ("      s3:\n        - {name: data, bucket: b, path: /b, accessKeySecret: s3-keys}\n")
    train = ("apiVersion: wlc.dev/v1alpha1\nkind: TrainingWorkload\nmetadata: {name: s3-train}\n"
             "spec:\n  image: busybox:1.36\n  storage:\n" + s3.replace("      ", "    ", 1))
    root = make_repo(tmp_path, {"csi": "target:\n  s3: {csiDriver: ru.yandex.s3.csi, "
                                       "keys: {url: endpoint}, attributes: {mounter: geesefs}}"},
                     {"workloads/nlp/s3-train.yaml": train})
    base = build(root, None)
    assert [p.code for p in base.problems] == ["lower.s3-unsupported"]
    res = build(root, "csi")
    assert errors(res) == []
    volume = obj(res, "s3-train", "Job")["spec"]["template"]["spec"]["volumes"][0]
    assert volume == {"name": "s3-data", "csi": {"driver": "ru.yandex.s3.csi",
                      "nodePublishSecretRef": {"name": "s3-keys"},
                      "volumeAttributes": {"bucket": "b", "mounter": "geesefs"}}}
    index = json.loads(res.files["index.json"])
    assert index["target"]["s3"] == {"csiDriver": "ru.yandex.s3.csi", "keys": {"url": "endpoint"},
                                     "attributes": {"mounter": "geesefs"}}
