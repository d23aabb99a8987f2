"""What the serverless-style inference backends (``knative``, ``kserve``) share: the checks of
what they cannot express, and the pod with one container port (the serving port)."""
from __future__ import annotations

from compiler.lower.common import Ctx, int_or_none
from compiler.lower.inference.model import Inference, probe_ports
from compiler.lower.pod import PodResult, build_pod


def serverless_checks(ctx: Ctx, inf: Inference, backend: str) -> None:
    """What the knative and kserve targets cannot express: extra ports, URLs, stop, Kueue."""
    where = f"target inference: {backend}"
    for i, item in ctx.items("ports"):
        if int_or_none(item.get("container")) != inf.serving.port:
            ctx.problem(("ports", i), "lower.target",
                        f"{where} serves one port (servingPort {inf.serving.port}); other ports need "
                        "target inference: deployment")
    if ctx.items("exposedUrls"):
        ctx.problem(("exposedUrls",), "lower.target",
                    f"{where} gives the service its own URL (configure its domain in {backend}); "
                    "exposedUrls need target inference: deployment")
    if not ctx.rw.active:
        ctx.problem(("active",), "lower.target",
                    f"{where} has no stopped state: remove the workload, or use target inference: "
                    "deployment (stopped = 0 replicas)")
    if ctx.target.scheduler == "kueue":
        ctx.problem(("servingPort",), "lower.target",
                    f"scheduler kueue cannot admit {backend} services (Kueue has no integration for "
                    "them); use target inference: deployment")
    for key, port in probe_ports(inf):
        if port != inf.serving.port:
            ctx.problem(("probes",), "lower.probe",
                        f"{where}: the {key} must probe the serving port {inf.serving.port} "
                        f"(not {port!r})")


def serving_pod(ctx: Ctx, inf: Inference, name: str) -> PodResult:
    """The pod template with one container port (the serving port) and the probes, without
    ``restartPolicy`` (serverless pod specs do not have one)."""
    spec = {k: v for k, v in ctx.rw.spec.items() if k not in ("ports", "exposedUrls")}
    pod = build_pod(ctx, spec, container_name=name, restart_policy="Always")
    pod.template["spec"].pop("restartPolicy", None)
    container = pod.template["spec"]["containers"][0]
    container["ports"] = [{"containerPort": inf.serving.port, "protocol": "TCP",
                           "name": "h2c" if inf.serving.protocol == "grpc" else "http1"}]
    container.update(inf.probes)
    return pod
