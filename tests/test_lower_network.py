"""ports → Services (one per service type), exposedUrls → Ingress."""
from __future__ import annotations

from tests.lowerkit import find, kinds, lower, only, target, workload


def test_one_service_per_type_with_deterministic_names() -> None:
    ports = [{"container": 8888, "serviceType": "ClusterIP"}, {"container": 22, "serviceType": "NodePort"},
             {"container": 80, "serviceType": "LoadBalancer"}, {"container": 6006}]
    objs, _ = lower(workload("interactive", name="nb", ports=ports))
    assert [k for k in kinds(objs) if k[0] == "Service"] == [("Service", "nb"), ("Service", "nb-lb"),
                                                             ("Service", "nb-nodeport")]
    assert [p["targetPort"] for p in find(objs, "Service", "nb")["spec"]["ports"]] == [8888, 6006]


def test_service_selects_pod_labels() -> None:
    objs, _ = lower(workload("interactive", name="nb", project="p", ports=[{"container": 80}]))
    svc = find(objs, "Service", "nb")
    assert svc["spec"]["selector"] == {"wlc.dev/workload": "nb", "wlc.dev/project": "p"}
    assert svc["spec"]["type"] == "ClusterIP"


def test_external_port_is_the_service_port() -> None:
    objs, _ = lower(workload("interactive", ports=[{"container": 8080, "external": 80}]))
    assert find(objs, "Service")["spec"]["ports"] == [{"name": "port-8080", "port": 80, "targetPort": 8080,
                                                       "protocol": "TCP"}]


def test_node_port_external_is_the_node_port() -> None:
    objs, _ = lower(workload("interactive", ports=[{"container": 22, "serviceType": "NodePort", "external": 30022}]))
    assert find(objs, "Service")["spec"]["ports"] == [{"name": "port-22", "port": 22, "targetPort": 22,
                                                       "protocol": "TCP", "nodePort": 30022}]


def test_node_port_outside_range_is_a_problem() -> None:
    _, problems = lower(workload("interactive", ports=[{"container": 22, "serviceType": "NodePort", "external": 2222}]))
    assert only(problems, "lower.node-port").field == "spec.ports[0].external"


def test_two_ports_on_one_service_port_is_a_problem() -> None:
    ports = [{"container": 8080, "external": 80}, {"container": 8081, "external": 80}]
    _, problems = lower(workload("interactive", ports=ports))
    assert only(problems, "lower.port").field == "spec.ports[1]"


def test_unknown_service_type_is_a_problem() -> None:
    _, problems = lower(workload("interactive", ports=[{"container": 80, "serviceType": "ExternalName"}]))
    assert only(problems, "lower.service-type").field == "spec.ports[0].serviceType"


def test_exposed_url_becomes_ingress_to_clusterip_service() -> None:
    urls = [{"container": 8888, "url": "https://nb.example.org/lab"}]
    objs, problems = lower(workload("interactive", name="nb", exposedUrls=urls), target(ingress_class="traefik"))
    assert problems == []
    ing = find(objs, "Ingress", "nb")
    assert ing["apiVersion"] == "networking.k8s.io/v1"
    assert ing["spec"] == {"ingressClassName": "traefik", "rules": [{"host": "nb.example.org", "http": {"paths": [
        {"path": "/lab", "pathType": "Prefix",
         "backend": {"service": {"name": "nb", "port": {"number": 8888}}}}]}}]}
    assert find(objs, "Service", "nb")["spec"]["ports"][0]["targetPort"] == 8888


def test_exposed_url_without_host_uses_target_host_pattern() -> None:
    tgt = target(host_pattern="{workload}-{project}.apps.example.com")
    objs, _ = lower(workload("interactive", name="nb", project="p1", exposedUrls=[{"container": 80}]), tgt)
    rule = find(objs, "Ingress")["spec"]["rules"][0]
    assert rule["host"] == "nb-p1.apps.example.com" and rule["http"]["paths"][0]["path"] == "/"


def test_exposed_url_reuses_existing_clusterip_port() -> None:
    objs, _ = lower(workload("interactive", name="nb", ports=[{"container": 8080, "external": 80}],
                             exposedUrls=[{"container": 8080, "url": "nb.example.com"}]))
    backend = find(objs, "Ingress")["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend == {"service": {"name": "nb", "port": {"number": 80}}}
    assert len(find(objs, "Service", "nb")["spec"]["ports"]) == 1


def test_urls_on_one_host_share_a_rule() -> None:
    urls = [{"container": 80, "url": "h.example.com/a"}, {"container": 81, "url": "h.example.com/b"}]
    objs, _ = lower(workload("interactive", exposedUrls=urls))
    rules = find(objs, "Ingress")["spec"]["rules"]
    assert len(rules) == 1 and [p["path"] for p in rules[0]["http"]["paths"]] == ["/a", "/b"]


def test_authorized_users_cannot_be_enforced_warning() -> None:
    urls = [{"container": 80, "url": "h.example.com", "authorizedUsers": ["alice"], "authorizedGroups": ["ml"]}]
    objs, problems = lower(workload("interactive", exposedUrls=urls))
    p = only(problems, "lower.url-auth")
    assert p.severity == "warning" and "cannot be enforced" in p.message
    assert ("Ingress", "w1") in kinds(objs)


def test_url_host_with_port_is_a_problem() -> None:
    _, problems = lower(workload("interactive", exposedUrls=[{"container": 80, "url": "h.example.com:8443/x"}]))
    assert only(problems, "lower.url").field == "spec.exposedUrls[0].url"


def test_training_ports_get_services_too() -> None:
    objs, _ = lower(workload("training", name="t", ports=[{"container": 6006}]))
    assert ("Service", "t") in kinds(objs)


def test_service_name_must_start_with_a_letter() -> None:
    _, problems = lower(workload("interactive", name="1nb", ports=[{"container": 80}]))
    assert only(problems, "lower.service-name").severity == "error"
