"""`wlc agent manifests` against the real control plane: the server accepts them (server-side
dry run, then applied), and the ClusterRole is enough for a sync and an agent step with the
ServiceAccount's own token (create, prune, events, namespaces), and no more than that."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from controlplane import Cluster

from compiler.cluster import install
from tests.integration.sync_support import commit_repo, service_account_kubeconfig, wlc, write_repo

pytestmark = pytest.mark.cluster

SYSTEM = "s17b-system"
NS = "s17b-install"
SA = f"system:serviceaccount:{SYSTEM}:{install.NAME}"


def manifests(origin: Path) -> str:
    done = wlc("agent", "manifests", "--namespace", SYSTEM, "--git", origin.as_uri(), "--overlay", "base",
               "--git-secret", "git-creds")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_manifests_install_and_their_role_is_enough_for_a_sync(cluster: Cluster, tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    commit_repo(origin, NS, {"i1": "python:3.12", "i2": "python:3.12"}, "two")
    text = manifests(origin)
    kinds = [d["kind"] for d in yaml.safe_load_all(text)]
    assert kinds == ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
                     "Deployment", "Service"]
    cluster.ensure_namespace(SYSTEM)  # a server-side dry run cannot place objects in a namespace to come
    dry = cluster.kubectl("apply", "--server-side", "--dry-run=server", "-f", "-", input=text)
    assert dry.returncode == 0
    cluster.kubectl("apply", "--server-side", "-f", "-", input=text)

    config = str(service_account_kubeconfig(cluster, tmp_path, SYSTEM, install.NAME))
    synced = wlc("sync", "--repo", str(origin), "--kubeconfig", config, "--namespace", NS)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    names = {j["metadata"]["name"] for j in cluster.kubectl_json("get", "jobs", "-n", NS)["items"]}
    assert names == {"i1", "i2"}

    commit_repo(origin, NS, {"i1": "python:3.12"}, "remove i2")
    step = wlc("agent", "--git", origin.as_uri(), "--once", "--cache", str(tmp_path / "cache"),
               "--kubeconfig", config, "--namespace", NS)
    assert step.returncode == 0, step.stderr
    names = {j["metadata"]["name"] for j in cluster.kubectl_json("get", "jobs", "-n", NS)["items"]}
    assert names == {"i1"}
    events = cluster.kubectl_json("get", "events", "-n", NS)["items"]
    assert {"Created", "Deleted"} <= {e["reason"] for e in events}


@pytest.mark.parametrize("verb,resource", [("get", "secrets"), ("update", "deployments"), ("watch", "jobs"),
                                           ("delete", "namespaces"), ("create", "clusterroles"),
                                           ("deletecollection", "configmaps")])
def test_the_role_allows_nothing_else(cluster: Cluster, tmp_path: Path, verb: str, resource: str) -> None:
    cluster.kubectl("apply", "--server-side", "-f", "-", input=manifests(tmp_path))
    answer = cluster.kubectl("auth", "can-i", verb, resource, "--all-namespaces", f"--as={SA}", check=False)
    assert answer.stdout.strip() == "no"


def test_a_repository_without_the_role_is_refused_cleanly(cluster: Cluster, tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", NS, {"i9": "python:3.12"})
    cluster.kubectl("apply", "--server-side", "-f", "-", input=manifests(tmp_path))
    cluster.kubectl("create", "serviceaccount", "nobody", "-n", SYSTEM, check=False)
    token = cluster.kubectl("create", "token", "nobody", "-n", SYSTEM).stdout.strip()
    config = yaml.safe_load(cluster.kubeconfig.read_text())
    config["users"] = [{"name": "nobody", "user": {"token": token}}]
    for ctx in config["contexts"]:
        ctx["context"]["user"] = "nobody"
    path = tmp_path / "nobody.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    done = wlc("sync", "--repo", str(repo), "--kubeconfig", str(path), "--namespace", NS)
    assert done.returncode == 3 and "Traceback" not in done.stderr


def test_the_lease_is_allowed_in_the_agents_namespace_only(cluster: Cluster, tmp_path: Path) -> None:
    cluster.kubectl("apply", "--server-side", "-f", "-", input=manifests(tmp_path))
    def can(*args: str) -> str:
        return cluster.kubectl("auth", "can-i", *args, f"--as={SA}", check=False).stdout.strip()
    assert can("update", "leases", "-n", SYSTEM) == "yes"
    assert can("update", "leases", "-n", NS) == "no" and can("delete", "leases", "-n", SYSTEM) == "no"
