"""`wlc connect W`: Run:ai's Connect, the ways to reach a workload (issue 14): Ingress and
Knative/KServe URLs, LoadBalancer and NodePort addresses, else the `kubectl port-forward` command."""
from __future__ import annotations

import json

import click

from .common import EXIT_CLUSTER, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, guarded
from .view import _connection, _one


@click.command("connect")
@click.argument("workload")
@_connection
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Only this port (a Service port or the container port it targets).")
@click.option("-o", "--output", "fmt", default="table", show_default=True, type=click.Choice(["table", "json"]))
@guarded
def connect(workload: str, kubeconfig: str | None, context: str | None, namespaces: tuple[str, ...],
            project: str | None, port: int | None, fmt: str) -> int:
    """How to reach a workload: its URLs, NodePort address, or the port-forward command."""
    from ..cluster.errors import ClusterError
    from ..cluster.view import connect as wconnect
    try:
        found = _one(kubeconfig, context, namespaces, project, workload)
        if found is None:
            return EXIT_USAGE
        client, w, _pools = found
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
