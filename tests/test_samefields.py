"""samefields.unchanged: the planner's no-request "unchanged" answers True only when a
server-side apply by wlc would change nothing, and never for a changed, added, dropped or
taken-over field. The live objects are shaped as the API server returns them (managedFields
fieldsV1 of manager wlc, defaults, canonical quantities)."""
from __future__ import annotations

import copy
from typing import Any

from compiler.cluster.samefields import unchanged

DESIRED: dict[str, Any] = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "chat", "namespace": "nlp", "labels": {"app": "chat"},
                 "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "chat-applyset", "uid": "u1",
                                      "blockOwnerDeletion": True}]},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "chat"}},
        "template": {"metadata": {"labels": {"app": "chat"}}, "spec": {
            "hostIPC": False,
            "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "containers": [{"name": "main", "image": "chat:1",
                            "ports": [{"containerPort": 8080, "name": "http"}],
                            "env": [{"name": "A", "value": "1"},
                                    {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
                            "resources": {"limits": {"nvidia.com/gpu": 1, "cpu": 0.5}}}]}},
    },
}

FIELDS: dict[str, Any] = {
    "f:metadata": {"f:labels": {".": {}, "f:app": {}},
                   "f:ownerReferences": {".": {}, 'k:{"uid":"u1"}': {
                       "f:apiVersion": {}, "f:blockOwnerDeletion": {}, "f:kind": {}, "f:name": {}, "f:uid": {}}}},
    "f:spec": {
        "f:replicas": {}, "f:selector": {},
        "f:template": {"f:metadata": {"f:labels": {"f:app": {}}}, "f:spec": {
            "f:hostIPC": {}, "f:tolerations": {},
            "f:containers": {'k:{"name":"main"}': {
                ".": {}, "f:name": {}, "f:image": {},
                "f:ports": {'k:{"containerPort":8080,"protocol":"TCP"}': {".": {}, "f:containerPort": {}, "f:name": {}}},
                "f:env": {'k:{"name":"A"}': {".": {}, "f:name": {}, "f:value": {}},
                          'k:{"name":"IP"}': {".": {}, "f:name": {}, "f:valueFrom": {"f:fieldRef": {}}}},
                "f:resources": {"f:limits": {"f:nvidia.com/gpu": {}, "f:cpu": {}}}}}}}},
}


def live_of(desired: dict[str, Any], fields: dict[str, Any] | None = None, manager: str = "wlc") -> dict[str, Any]:
    """What the server stores for ``desired``: defaults added, quantities canonical, false omitted."""
    live = copy.deepcopy(desired)
    live["metadata"] |= {"uid": "d1", "resourceVersion": "7", "generation": 1, "managedFields": [
        {"manager": manager, "operation": "Apply", "apiVersion": "apps/v1", "fieldsType": "FieldsV1",
         "fieldsV1": copy.deepcopy(FIELDS if fields is None else fields)},
        {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
         "subresource": "status", "fieldsV1": {"f:status": {}}}]}
    spec = live["spec"]
    spec |= {"strategy": {"type": "RollingUpdate"}, "revisionHistoryLimit": 10}
    pod = spec["template"]["spec"]
    del pod["hostIPC"]
    pod["restartPolicy"] = "Always"
    main = pod["containers"][0]
    main["ports"][0]["protocol"] = "TCP"
    main["terminationMessagePath"] = "/dev/termination-log"
    main["env"][1]["valueFrom"]["fieldRef"]["apiVersion"] = "v1"
    main["resources"]["limits"] = {"nvidia.com/gpu": "1", "cpu": "500m"}
    live["status"] = {"replicas": 2}
    return live


def changed(change: Any) -> dict[str, Any]:
    out = copy.deepcopy(DESIRED)
    change(out)
    return out


def main_container(obj: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = obj["spec"]["template"]["spec"]["containers"][0]
    return found


def test_the_object_as_the_server_stores_it_is_unchanged() -> None:
    assert unchanged(DESIRED, live_of(DESIRED))


def test_a_changed_value_is_a_change() -> None:
    live = live_of(DESIRED)
    assert not unchanged(changed(lambda d: main_container(d).update(image="chat:2")), live)
    assert not unchanged(changed(lambda d: d["spec"].update(replicas=3)), live)
    assert not unchanged(changed(lambda d: main_container(d)["resources"]["limits"].update(cpu="1")), live)
    assert not unchanged(changed(lambda d: d["spec"]["template"]["spec"].update(hostIPC=True)), live)


def test_a_field_added_or_dropped_is_a_change() -> None:
    live = live_of(DESIRED)
    assert not unchanged(changed(lambda d: main_container(d).update(workingDir="/w")), live)
    assert not unchanged(changed(lambda d: main_container(d).pop("ports")), live)
    assert not unchanged(changed(lambda d: main_container(d)["env"].pop()), live)
    assert not unchanged(changed(lambda d: main_container(d)["env"].append({"name": "B", "value": "2"})), live)


def test_inside_an_atomic_value_only_the_servers_own_defaults_are_extra() -> None:
    live = live_of(DESIRED)
    assert not unchanged(changed(lambda d: d["spec"]["template"]["spec"]["tolerations"][0].pop("effect")), live)
    assert not unchanged(changed(lambda d: d["spec"]["selector"]["matchLabels"].update(tier="web")), live)
    added = live_of(DESIRED)
    added["spec"]["selector"]["matchLabels"]["tier"] = "web"  # not a default: applying DESIRED removes it
    assert not unchanged(DESIRED, added)


def test_a_field_another_manager_took_is_drift() -> None:
    fields = copy.deepcopy(FIELDS)
    del fields["f:spec"]["f:replicas"]  # kubectl scale / edit moved it away from wlc
    live = live_of(DESIRED, fields)
    live["spec"]["replicas"] = 4
    assert not unchanged(DESIRED, live)
    assert not unchanged(DESIRED, live_of(DESIRED, manager="kubectl"))


def test_a_reordered_list_and_a_wrong_api_version_ask_the_server() -> None:
    env = list(reversed(main_container(DESIRED)["env"]))
    assert not unchanged(changed(lambda d: main_container(d).update(env=env)), live_of(DESIRED))
    assert not unchanged(changed(lambda d: d.update(apiVersion="apps/v1beta2")), live_of(DESIRED))


def test_a_new_parent_uid_is_a_change() -> None:
    def other_parent(d: dict[str, Any]) -> None:
        d["metadata"]["ownerReferences"][0]["uid"] = "u2"
    assert not unchanged(changed(other_parent), live_of(DESIRED))


def test_a_quantity_is_compared_as_a_quantity_only_where_quantities_are() -> None:
    live = live_of(DESIRED)
    assert unchanged(changed(lambda d: main_container(d)["resources"]["limits"].update(cpu="500m")), live)
    main_container(live)["env"][0]["value"] = "1000m"  # a string field the server never rewrites
    assert not unchanged(DESIRED, live)
