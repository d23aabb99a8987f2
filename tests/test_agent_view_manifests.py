"""`wlc agent manifests --view` (docs/view.md "In the cluster"): the agent's flag, a container and a
Service port for the workloads page, and only then the reads the page needs in the ClusterRole;
the default manifests stay least-privilege. The page itself against the real control plane:
tests/integration/test_agent_view.py."""
from __future__ import annotations

from typing import Any

import yaml
from click.testing import CliRunner

from compiler.cli import main

PAGE_READS = {("", "pods"), ("", "pods/log"), ("", "events"), ("", "nodes"), ("metrics.k8s.io", "pods")}


def manifests(*extra: str) -> dict[str, dict[str, Any]]:
    done = CliRunner().invoke(main, ["agent", "manifests", "--git", "https://git.example.com/r.git", *extra])
    assert done.exit_code == 0, done.output
    return {d["kind"]: d for d in yaml.safe_load_all(done.output)}


def readable(role: dict[str, Any]) -> set[tuple[str, str]]:
    """(group, resource) the ClusterRole may get or list (without a resourceNames restriction)."""
    return {(g, r) for rule in role["rules"] if not rule.get("resourceNames")
            and {"get", "list"} & set(rule["verbs"]) for g in rule["apiGroups"] for r in rule["resources"]}


def container(docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    spec = docs["Deployment"]["spec"]["template"]["spec"]
    return dict(spec["containers"][0])


def test_the_default_manifests_cannot_read_pods_logs_events_or_nodes() -> None:
    docs = manifests()
    assert readable(docs["ClusterRole"]) & PAGE_READS == set()
    assert not any("pods/log" in rule["resources"] for rule in docs["ClusterRole"]["rules"])
    assert "--view-listen" not in container(docs)["args"]
    assert [p["name"] for p in container(docs)["ports"]] == ["metrics"]
    assert [p["name"] for p in docs["Service"]["spec"]["ports"]] == ["metrics"]


def test_view_adds_the_flag_the_ports_and_only_the_pages_reads() -> None:
    plain, docs = manifests(), manifests("--view")
    assert readable(docs["ClusterRole"]) - readable(plain["ClusterRole"]) == PAGE_READS
    added = [r for r in docs["ClusterRole"]["rules"] if r not in plain["ClusterRole"]["rules"]]
    assert {v for r in added for v in r["verbs"]} == {"get", "list"}  # reads only, no watch, no write
    args = container(docs)["args"]
    assert args[args.index("--view-listen") + 1] == "0.0.0.0:8081"
    assert {"name": "view", "containerPort": 8081} in container(docs)["ports"]
    assert {"name": "view", "port": 8081, "targetPort": "view"} in docs["Service"]["spec"]["ports"]
    assert container(docs)["livenessProbe"] == container(plain)["livenessProbe"]  # probes stay on /healthz


def test_view_with_prometheus_passes_the_url_to_the_agent() -> None:
    args = container(manifests("--view", "--prometheus", "http://prometheus.monitoring:9090"))["args"]
    assert args[args.index("--prometheus") + 1] == "http://prometheus.monitoring:9090"
    assert "--prometheus" not in container(manifests("--view"))["args"]


def test_prometheus_without_view_or_not_http_is_a_usage_error() -> None:
    for args, said in ((["--prometheus", "http://p:9090"], "it needs --view"),
                       (["--view", "--prometheus", "file:///etc/passwd"], "is not an http(s) URL")):
        result = CliRunner().invoke(main, ["agent", "manifests", *args])
        assert result.exit_code == 2 and said in result.output, (result.exit_code, result.output)


def test_the_agents_prometheus_needs_the_page_and_an_http_url() -> None:
    for args, said in ((["--prometheus", "http://p:9090"], "it needs --view-listen"),
                       (["--view-listen", "127.0.0.1:0", "--prometheus", "p:9090"], "is not an http(s) URL")):
        result = CliRunner().invoke(main, ["agent", "--git", "file:///nowhere", "--once", *args])
        assert result.exit_code == 2 and said in result.output, (result.exit_code, result.output)
