"""`wlc get`, `wlc describe`, `wlc logs` (issue 14): read-only views of the cluster's workloads,
kubeconfig like kubectl. The cluster package is imported only when these commands run."""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, TypeVar

import click

from .common import EXIT_CLUSTER, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, guarded
from .view_columns import COLUMN_KEYS, check_columns, columns_of, gpu_util_of, with_namespace

if TYPE_CHECKING:  # the cluster package is imported only when a command runs
    from http.server import ThreadingHTTPServer

    from ..cluster.fetch import Workload
    from ..cluster.kube import Kube
    from ..cluster.source import Bundle
    from ..cluster.view.actions import Actor
    from ..cluster.view.gpumetrics import GpuUsage
    from ..cluster.view.table import Row

#: seconds the page keeps the cluster's discovery (a kind installed since shows up after at most this)
DISCOVERY_SECONDS = 60.0
#: a command function being decorated with click options
Command = TypeVar("Command", bound=Callable[..., object])


def _connection(fn: Command) -> Command:
    for option in reversed([
        click.option("--kubeconfig", default=None, help="Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, "
                     "else the in-cluster service account)."),
        click.option("--context", default=None, help="Kubeconfig context (default: the current one)."),
        click.option("-n", "--namespace", "namespaces", multiple=True,
                     help="Only these namespaces (repeatable; default: every namespace)."),
        click.option("-p", "--project", default=None, help="Only this project's workloads."),
    ]):
        fn = option(fn)
    return fn


def _snapshot(kubeconfig: str | None, context: str | None, namespaces: tuple[str, ...],
              project: str | None, client: Kube | None = None) -> tuple[Kube, list[Workload], dict[str, str]]:
    from ..cluster import errors, fetch, kube
    from ..cluster.view import table
    client = client or kube.Kube(kube.load_configuration(kubeconfig, context))
    workloads = fetch.fetch(client, namespaces, project)
    try:
        pools = table.node_pools(client.list(client.resource("", "v1", "Node"), "", ""))
    except errors.ClusterError:  # nodes are often not readable by a researcher: no node pools then
        pools = {}
    return client, workloads, pools


def _prometheus(fn: Command) -> Command:
    return click.option("--prometheus", "prometheus", default=None, envvar="WLC_PROMETHEUS", show_envvar=True,
                        help="Prometheus URL for GPU utilization and memory (the DCGM exporter's series).")(fn)


@click.command("get")
@_connection
@click.option("--type", "type_", default=None, help="Only this workload type (e.g. TrainingWorkload).")
@click.option("--status", "status_", default=None, help="Only this status (Running, Pending, ...).")
@click.option("--search", default=None, help="Only rows containing this text in any column.")
@click.option("--columns", default=None, callback=check_columns, help=f"Comma-separated columns: {', '.join(COLUMN_KEYS)}.")
@click.option("--sort-by", default="workload", show_default=True, type=click.Choice(COLUMN_KEYS))
@click.option("-o", "--output", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "wide", "json", "yaml", "csv"]))
@click.option("--watch", is_flag=True, help="Print the table again every 2 seconds (Ctrl-C stops).")
@click.option("--stats", is_flag=True, help="Print requests and time on stderr.")
@click.option("--bundle", "bundle_dir", default=None, type=click.Path(file_okay=False, path_type=FsPath),
              help="Compare with this bundle (`wlc build --out DIR`): the SYNC column then shows Missing too.")
@click.option("--repo", "repo_dir", default=None, type=click.Path(exists=True, file_okay=False, path_type=FsPath),
              help="Compare with this repository, built in memory (instead of --bundle).")
@click.option("--overlay", default=None, help="With --bundle: DIR/<NAME>; with --repo: build for overlays/<NAME>.")
@click.option("--sync", "sync_", default=None, help="Only this sync state (Synced, OutOfSync, Missing, Refused, Unknown).")
@_prometheus
@guarded
def get(kubeconfig: str | None, context: str | None, namespaces: tuple[str, ...], project: str | None,
        type_: str | None, status_: str | None, search: str | None, columns: list[str] | None, sort_by: str,
        fmt: str, watch: bool, stats: bool, bundle_dir: FsPath | None, repo_dir: FsPath | None,
        overlay: str | None, sync_: str | None, prometheus: str | None) -> int:
    """The workloads table of Run:ai's Workloads view: status, pods, GPUs, sync state, from the cluster."""
    from ..cluster.errors import ClusterError
    from ..cluster.view import table
    cols = columns_of(columns, fmt == "wide", prometheus)
    desired = None
    if bundle_dir is not None or repo_dir is not None:
        from .sync import desired_bundle
        desired = desired_bundle(repo_dir, bundle_dir, overlay)
        if desired is None:
            return EXIT_PROBLEMS
    while True:
        started = time.monotonic()
        try:
            client, workloads, pools = _snapshot(kubeconfig, context, namespaces, project)
        except ClusterError as err:
            click.echo(f"wlc: cluster error: {err}", err=True)
            return EXIT_CLUSTER
        util = gpu_util_of(prometheus, cols, workloads)
        rows = table.sort(table.select(_rows(workloads, pools, desired, namespaces, project, util), type_, status_,
                                       search, sync_), sort_by)
        if watch:
            click.clear()
        shown = with_namespace(cols, columns, workloads) if fmt in ("table", "wide") else cols
        click.echo(table.render(rows, shown, "table" if fmt == "wide" else fmt), nl=False)
        if stats:
            click.echo(f"wlc get: {len(workloads)} workload(s), {client.metrics['requests']} request(s), "
                       f"{time.monotonic() - started:.3f}s", err=True)
        client.close()
        if not watch:
            return EXIT_OK
        time.sleep(2)


def _rows(workloads: list[Workload], pools: dict[str, str], desired: Bundle | None, namespaces: tuple[str, ...],
          project: str | None, util: dict[tuple[str, str], str]) -> list[Row]:
    from ..cluster.view import syncstate, table
    if desired is None:
        return [table.row(w, pools, None, util.get((w.namespace, w.name), "")) for w in workloads]
    every, states = syncstate.compare(workloads, desired, namespaces, project)
    return [table.row(w, pools, states[(w.namespace, w.name)], util.get((w.namespace, w.name), "")) for w in every]


def _one(kubeconfig: str | None, context: str | None, namespaces: tuple[str, ...], project: str | None,
         name: str) -> tuple[Kube, Workload, dict[str, str]] | None:
    client, workloads, pools = _snapshot(kubeconfig, context, namespaces, project)
    found = [w for w in workloads if w.name == name]
    if len(found) != 1:
        where = ", ".join(f"{w.namespace}/{w.name}" for w in found)
        click.echo(f"wlc: no workload {name} in the cluster (see `wlc get`)" if not found else
                   f"wlc: {name} is in several namespaces ({where}): add -n NAMESPACE", err=True)
        return None
    return client, found[0], pools


@click.command("describe")
@click.argument("workload")
@_connection
@click.option("--events-filter", default=None, help="Only events containing this text.")
@_prometheus
@guarded
def describe(workload: str, kubeconfig: str | None, context: str | None, namespaces: tuple[str, ...],
             project: str | None, events_filter: str | None, prometheus: str | None) -> int:
    """A workload's objects, pods (node, node pool, image, GPUs), metrics, conditions and events."""
    from ..cluster import fetch
    from ..cluster.errors import ClusterError
    from ..cluster.view import details, gpumetrics
    from ..cluster.view import metrics as wmetrics
    try:
        found = _one(kubeconfig, context, namespaces, project, workload)
        if found is None:
            return EXIT_USAGE
        client, w, pools = found
        events = fetch.events(client, w)
        usage = wmetrics.lines(wmetrics.read(client, w))
        usage += gpumetrics.lines(gpumetrics.read(prometheus, w) if prometheus else None)
    except ClusterError as err:
        click.echo(f"wlc: cluster error: {err}", err=True)
        return EXIT_CLUSTER
    click.echo(details.describe(w, pools, events, events_filter, usage), nl=False)
    return EXIT_OK


@click.command("logs")
@click.argument("workload")
@_connection
@click.option("--pod", default=None, help="This pod (default: the first one).")
@click.option("--replica", default=None, help="The pod whose name ends with -REPLICA (e.g. worker-1).")
@click.option("--container", default=None, help="This container (default: the pod's only one).")
@click.option("--previous", is_flag=True, help="The previous instance of the container.")
@click.option("--tail", type=click.IntRange(min=0), default=None, help="Only the last N lines.")
@click.option("-f", "--follow", is_flag=True, help="Keep streaming the log as it grows (Ctrl-C stops).")
@click.option("--output", "out", type=click.Path(dir_okay=False, path_type=FsPath), default=None,
              help="Write the log to this file instead of stdout.")
@guarded
def logs(workload: str, kubeconfig: str | None, context: str | None, namespaces: tuple[str, ...],
         project: str | None, pod: str | None, replica: str | None, container: str | None, previous: bool,
         tail: int | None, follow: bool, out: FsPath | None) -> int:
    """The container log of one of a workload's pods."""
    from ..cluster.errors import ClusterError
    from ..cluster.view import logs as wlogs
    if follow and previous:
        click.echo("wlc: --follow and --previous cannot be combined (a previous container does not grow)", err=True)
        return EXIT_USAGE
    try:
        found = _one(kubeconfig, context, namespaces, project, workload)
        if found is None:
            return EXIT_USAGE
        client, w, _pools = found
        name = wlogs.pick_pod(w, pod, replica)
        if follow:
            return _follow(lambda write: wlogs.follow(client, w.namespace, name, container, tail, write), out)
        text = wlogs.read(client, w.namespace, name, container, previous, tail)
    except ClusterError as err:
        click.echo(f"wlc: cluster error: {err}", err=True)
        return EXIT_CLUSTER
    if out is not None:
        out.write_text(text)
    else:
        click.echo(text, nl=False)
    return EXIT_OK


def _follow(stream: Callable[[Callable[[str], None]], None], out: FsPath | None) -> int:
    """Run the stream into stdout or the file, flushed per chunk; Ctrl-C ends it cleanly."""
    sink = open(out, "w") if out is not None else None  # noqa: SIM115 -- closed below, written as it streams

    def write(text: str) -> None:
        if sink is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            sink.write(text)
            sink.flush()
    try:
        stream(write)
    except KeyboardInterrupt:
        pass
    finally:
        if sink is not None:
            sink.close()
    return EXIT_OK


@click.command("view")
@_connection
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (keep it local unless you mean it).")
@click.option("--repo", "repo_dir", default=None, type=click.Path(exists=True, file_okay=False, path_type=FsPath),
              help="The git repository the page's actions edit and commit (needs a token).")
@click.option("--token-file", default=None, type=click.Path(dir_okay=False, path_type=FsPath),
              help="With --repo: the actions' token, first line of FILE (else $WLC_VIEW_TOKEN); "
              "without a token the page is read-only.")
@_prometheus
@guarded
def view(kubeconfig: str | None, context: str | None, namespaces: tuple[str, ...], project: str | None,
         port: int, host: str, repo_dir: FsPath | None, token_file: FsPath | None, prometheus: str | None) -> int:
    """Serve the workloads page (table, search, filters, CSV, details) with your kubeconfig."""
    from .view_actions import make_actor, read_token
    token = read_token(token_file) if repo_dir is not None or token_file is not None else None
    if token_file is not None and repo_dir is None:
        click.echo("wlc: error: --token-file needs --repo DIR (the repository the actions commit to)", err=True)
        return EXIT_USAGE
    actor = make_actor(repo_dir) if repo_dir is not None and token else None
    if repo_dir is not None and not token:
        click.echo("wlc view: --repo without a token (--token-file or $WLC_VIEW_TOKEN): the page stays read-only",
                   err=True)
    server = serve_page(kubeconfig, context, namespaces, project, host, port, actor, token, prometheus)
    mode = f"actions commit to {repo_dir}" if actor else "read-only"
    click.echo(f"wlc view: http://{host}:{server.server_address[1]}/ ({mode}; Ctrl-C stops)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


def serve_page(kubeconfig: str | None, context: str | None, namespaces: tuple[str, ...], project: str | None,
               host: str, port: int, actor: Actor | None = None, token: str | None = None,
               prometheus: str | None = None) -> ThreadingHTTPServer:
    """The workloads page's server, bound, not yet serving; every request reads the cluster with
    these credentials. `wlc view` serves it in the foreground, `wlc agent --view-listen` in a thread."""
    from ..cluster import fetch
    from ..cluster.view import gpumetrics, web
    from ..cluster.view import logs as wlogs
    from ..cluster.view import metrics as wmetrics

    kept: dict[str, tuple[Kube, float]] = {}
    lock = threading.Lock()

    def connected() -> Kube:
        """One client for the page's life (its connections kept), its discovery kept for
        DISCOVERY_SECONDS: a page refreshes every 10 seconds and as the search is typed."""
        from ..cluster import kube
        with lock:
            if "client" not in kept:
                kept["client"] = (kube.Kube(kube.load_configuration(kubeconfig, context)), time.monotonic())
            client, since = kept["client"]
            if time.monotonic() - since > DISCOVERY_SECONDS:
                client.forget_all()
                kept["client"] = (client, time.monotonic())
            return client

    def source() -> tuple[list[Workload], dict[str, str]]:
        _client, workloads, pools = _snapshot(kubeconfig, context, namespaces, project, connected())
        return workloads, pools

    def events(w: Workload) -> list[dict[str, object]]:
        return list(fetch.events(connected(), w))

    def logs(w: Workload) -> str:
        return wlogs.first_pod_log(connected(), w)

    def metrics(w: Workload) -> str:
        return wmetrics.summary(wmetrics.read(connected(), w))

    def gpus(w: Workload) -> GpuUsage | None:
        return gpumetrics.read(prometheus, w) if prometheus else None

    def gpu_table(workloads: Sequence[Workload]) -> dict[tuple[str, str], str]:
        return gpumetrics.utilization_of(prometheus, workloads)[0] if prometheus else {}

    return web.serve(source, events, logs, host, port, metrics, actor, token, gpus, gpu_table)
