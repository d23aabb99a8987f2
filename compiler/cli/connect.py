"""`wlc connect W`: Run:ai's Connect, the ways to reach a workload (issue 14): Ingress and
Knative/KServe URLs, LoadBalancer and NodePort addresses, else the `kubectl port-forward` command."""
from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING

import click

from .common import EXIT_CLUSTER, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, guarded
from .view import _connection, _one

if TYPE_CHECKING:  # the cluster package is imported only when a command runs
    from ..cluster.fetch import Workload
    from ..cluster.kube import Kube


@click.command("connect")
@click.argument("workload")
@_connection
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Only this port (a Service port or the container port it targets).")
@click.option("-o", "--output", "fmt", default="table", show_default=True, type=click.Choice(["table", "json"]))
@click.option("--forward", is_flag=True, help="Forward a local port to a running pod (like kubectl port-forward) "
              "until Ctrl-C, instead of printing the ways in.")
@click.option("--local-port", type=click.IntRange(0, 65535), default=None,
              help="With --forward: the local port (default: the pod's port; 0: any free port).")
@guarded
def connect(workload: str, kubeconfig: str | None, context: str | None, namespaces: tuple[str, ...],
            project: str | None, port: int | None, fmt: str, forward: bool, local_port: int | None) -> int:
    """How to reach a workload: its URLs, NodePort address, or the port-forward command."""
    from ..cluster.errors import ClusterError
    from ..cluster.view import connect as wconnect
    try:
        found = _one(kubeconfig, context, namespaces, project, workload)
        if found is None:
            return EXIT_USAGE
        client, w, _pools = found
        if forward:
            return _forward(client, w, port, local_port)
        try:
            nodes = wconnect.node_addresses(client.list(client.resource("", "v1", "Node"), "", ""))
        except ClusterError:  # a researcher often may not list nodes: NodePorts then say <node>
            nodes = {}
    except ClusterError as err:
        click.echo(f"wlc: cluster error: {err}", err=True)
        return EXIT_CLUSTER
    ways = wconnect.connections(w, nodes, port)
    if not ways:
        what = f"no port {port}" if port else "no Service, Ingress or serving URL"
        click.echo(f"wlc: workload {w.name} has {what}: nothing to connect to (ports come from the spec's "
                   "`ports` and `exposedUrls`)", err=True)
        return EXIT_PROBLEMS
    state = w.status().status
    if state not in ("Running", "Degraded"):
        click.echo(f"wlc: note: {w.name} is {state}: these answer only while it runs", err=True)
    click.echo(json.dumps([c.as_dict() for c in ways], indent=2) if fmt == "json" else wconnect.render(ways),
               nl=fmt == "json")
    return EXIT_OK


def _forward(client: Kube, w: Workload, port: int | None, local_port: int | None) -> int:
    """Serve the forward until Ctrl-C; the listening address goes to stderr once bound."""
    from ..cluster.view import forward
    pod, target = forward.target(w, port)
    stop = threading.Event()

    def ready(bound: int) -> None:
        click.echo(f"wlc connect: forwarding 127.0.0.1:{bound} -> {w.namespace}/{pod}:{target} (Ctrl-C stops)",
                   err=True)
    try:
        forward.serve(client, w.namespace, pod, target, target if local_port is None else local_port, ready, stop)
    except KeyboardInterrupt:
        stop.set()
    except OSError as err:
        click.echo(f"wlc: cannot listen on 127.0.0.1:{local_port if local_port is not None else target}: {err}",
                   err=True)
        return EXIT_USAGE
    return EXIT_OK
