"""`wlc agent` (issue 17): the sync loop from a git branch, and `wlc agent manifests`."""
from __future__ import annotations

import os
import re
import signal
import socket
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path as FsPath

import click

from ..problems import ConfigError
from ..yamlout import dump_documents
from .common import EXIT_CLUSTER, guarded
from .sync import built_bundle

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str) -> float:
    """``60s``, ``5m``, ``1h``, ``500ms`` or plain seconds."""
    found = _DURATION.match(text.strip())
    if not found:
        raise ConfigError(f"--interval {text!r} is not a duration (60s, 5m, 1h)")
    return float(found.group(1)) * _UNITS[found.group(2)]


def parse_listen(text: str, option: str = "--listen") -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(f"{option} {text!r} is not HOST:PORT (e.g. 0.0.0.0:8080, 127.0.0.1:0)")
    return host.strip("[]") or "0.0.0.0", int(port)


@click.group(name="agent", invoke_without_command=True)
@click.option("--git", "url", default=None, help="The repository to pull (file://, https:// or ssh URL).")
@click.option("--branch", default="main", show_default=True, help="The branch to follow.")
@click.option("--path", "subpath", default="", help="The wlc repository's folder inside the git repository.")
@click.option("--overlay", default=None, help="Build for overlays/<NAME> (default: wlc.yaml's defaultOverlay, "
              "else the base).")
@click.option("--interval", default="60s", show_default=True, help="Time between two syncs (60s, 5m, 1h).")
@click.option("--once", is_flag=True, help="Fetch, build and sync once, then exit (0 synced, 1 build errors, "
              "3 fetch or cluster failure).")
@click.option("--cache", "cache_dir", default=None, type=click.Path(file_okay=False, path_type=FsPath),
              help="Folder for the git checkout (default: ~/.cache/wlc/agent/<hash of the URL>).")
@click.option("--listen", default=None, help="Serve /metrics, /healthz and /readyz on HOST:PORT "
              "(port 0: any free port, logged).")
@click.option("--view-listen", default=None, help="Also serve the read-only workloads page of `wlc view` on "
              "HOST:PORT, with the agent's credentials (port 0: any free port, logged; docs/view.md).")
@click.option("--prometheus", default=None, envvar="WLC_PROMETHEUS", show_envvar=True,
              help="With --view-listen: the Prometheus (http(s)://HOST:PORT) whose DCGM exporter series give "
              "the page's GPU utilization and memory.")
@click.option("--lease", default=None, help="Leader election with the Lease NAMESPACE/NAME: of several "
              "agents only the holder syncs; another takes over when it dies.")
@click.option("--lease-duration", default="15s", show_default=True,
              help="How long a lease not renewed stays the holder's (renewed every third of it).")
@click.option("--kubeconfig", default=None, help="Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else "
              "the in-cluster service account).")
@click.option("--context", default=None, help="Kubeconfig context (default: the current one).")
@click.option("--namespace", "namespaces", multiple=True, help="Only workloads in these namespaces are the "
              "repository's to delete (repeatable; default: every wlc workload in the cluster).")
@click.option("--max-delete", type=click.IntRange(min=0), default=10, show_default=True,
              help="Refuse to delete more workloads than this in one sync.")
@click.option("--approval-namespace", default="wlc-system", show_default=True,
              help="A large delete is approved by the annotation wlc.dev/approve-delete: ID on this Namespace "
              "(the refusal says the ID).")
@click.option("--max-delete-share", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Refuse to delete more than this share of wlc's workloads in the cluster.")
@click.option("--concurrency", type=click.IntRange(min=1, max=32), default=4, show_default=True,
              help="Workloads synced at the same time.")
@click.option("--no-create-namespaces", is_flag=True,
              help="Refuse workloads whose namespace does not exist instead of creating it.")
@click.option("--adopt", is_flag=True, help="Take over objects that existed before wlc and no other tool owns: "
              "organisation objects (released, not deleted, when they leave git) and workload members (never a "
              "Job; from then on the workload's; docs/sync.md).")
@click.pass_context
def agent_group(ctx: click.Context, /, **kwargs: object) -> None:
    """Run the sync agent: fetch the branch with git, build the fetched revision in memory,
    sync it, record the revision on the parents, wait, repeat. A build with errors applies
    nothing (the last good revision keeps running; the parents say why). SIGTERM lets the
    current step finish, then exits 0. Logs are JSON, one object per line, on stderr.

    \b
    Example:
      wlc agent --git https://git.example.com/ml/workloads.git --branch main --overlay prod
      wlc agent --git file:///srv/repo --once
      wlc agent manifests --git URL --overlay prod | kubectl apply -f -
    """
    if ctx.invoked_subcommand is None:
        guarded(_run)(**kwargs)


def _run(url: str | None, branch: str, subpath: str, overlay: str | None, interval: str, once: bool,
         cache_dir: FsPath | None, listen: str | None, view_listen: str | None, prometheus: str | None,
         lease: str | None, lease_duration: str,
         kubeconfig: str | None, context: str | None,
         namespaces: tuple[str, ...], max_delete: int, approval_namespace: str, max_delete_share: float,
         concurrency: int, no_create_namespaces: bool, adopt: bool) -> int:
    from ..cluster import agent, engine, gitsource, kube, metrics
    from ..cluster.errors import ClusterError
    from ..cluster.lease import Elector
    if not url:
        raise ConfigError("wlc agent needs --git URL")
    if prometheus and view_listen is None:
        raise ConfigError("--prometheus is for the workloads page: it needs --view-listen HOST:PORT")
    _check_prometheus(prometheus)
    seconds = parse_duration(interval)
    source = gitsource.GitSource(url, branch, cache_dir or gitsource.GitSource.default_cache(url), subpath)
    options = engine.Options(allow_mass_delete=False, max_delete=max_delete, max_delete_share=max_delete_share,
                             approval_namespace=approval_namespace,
                             concurrency=concurrency, namespaces=tuple(sorted(set(namespaces))),
                             create_namespaces=not no_create_namespaces, adopt=adopt)
    try:
        client = kube.Kube(kube.load_configuration(kubeconfig, context))
    except ClusterError as err:
        agent.log("cluster-unreachable", "error", error=str(err))
        return EXIT_CLUSTER
    state = metrics.State(interval=seconds)
    if listen is not None:
        host, port = parse_listen(listen)
        server = metrics.serve(state, host, port)
        bound_host, bound_port = server.server_address[:2]
        agent.log("listening", address=f"{bound_host!s}:{bound_port}", port=bound_port)
    page = _serve_view(view_listen, kubeconfig, context, namespaces, prometheus) if view_listen is not None else None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    elector = None
    if lease is not None:
        lease_ns, sep, lease_name = lease.partition("/")
        if once or not sep or not lease_ns or not lease_name:
            raise ConfigError("--lease is NAMESPACE/NAME, for the loop (not with --once)")
        identity = f"{socket.gethostname()}-{os.getpid()}"
        elector = Elector(client, lease_ns, lease_name, identity, parse_duration(lease_duration))
    runner = agent.Agent(source, engine.Engine(client, options), built_bundle, overlay, state)
    try:
        result = runner.run(stop, seconds, once, elector)
    finally:
        if page is not None:
            page.shutdown()
            page.server_close()
    return agent.EXIT[result] if once else 0


def _check_prometheus(url: str | None) -> None:
    from ..cluster.view.gpumetrics import is_http_url
    if url and not is_http_url(url):
        raise ConfigError(f"--prometheus {url!r} is not an http(s) URL (e.g. http://prometheus.monitoring:9090)")


def _serve_view(listen: str, kubeconfig: str | None, context: str | None, namespaces: tuple[str, ...],
                prometheus: str | None = None) -> ThreadingHTTPServer:
    """`wlc view`'s page, read-only (no token, no actor: the actions show their commands), in a
    thread beside the loop; it shows the agent's namespaces (every one without --namespace), and
    GPU metrics from ``prometheus`` when given."""
    from ..cluster import agent
    from ..cluster.gitsource import redact
    from .view import serve_page
    host, port = parse_listen(listen, "--view-listen")
    try:
        server = serve_page(kubeconfig, context, tuple(sorted(set(namespaces))), None, host, port,
                            prometheus=prometheus)
    except OSError as err:
        raise ConfigError(f"--view-listen {listen}: {err.strerror or err}") from None
    threading.Thread(target=server.serve_forever, name="wlc-view", daemon=True).start()
    bound_host, bound_port = server.server_address[:2]
    agent.log("view-listening", address=f"{bound_host!s}:{bound_port}", port=bound_port, mode="read-only",
              prometheus=redact(prometheus or ""))
    return server


@agent_group.command(name="manifests")
@click.option("--namespace", default="wlc-system", show_default=True, help="The agent's namespace.")
@click.option("--image", default=None, help="The agent's container image (default: wlc:<version>).")
@click.option("--git", "url", default="https://git.example.com/ml/workloads.git", show_default=True,
              help="The repository the agent pulls.")
@click.option("--branch", default="main", show_default=True, help="The branch it follows.")
@click.option("--path", "subpath", default="", help="The wlc repository's folder inside the git repository.")
@click.option("--overlay", default=None, help="The overlay it builds (default: the base).")
@click.option("--interval", default="60s", show_default=True, help="Time between two syncs.")
@click.option("--git-secret", default=None, help="A Secret with git credentials, mounted at /etc/wlc-git "
              "(its gitconfig becomes GIT_CONFIG_GLOBAL; docs/sync.md).")
@click.option("--adopt", is_flag=True, help="The agent runs with --adopt: it takes over organisation objects "
              "and workload members that existed before wlc (docs/organisation.md, docs/sync.md).")
@click.option("--view", is_flag=True, help="The agent also serves the read-only workloads page (--view-listen, "
              "port 8081 in the Service), and the ClusterRole may read pods, their logs, events, nodes and "
              "pod metrics (docs/view.md).")
@click.option("--prometheus", default=None, help="With --view: the Prometheus URL the page reads GPU metrics "
              "from (e.g. http://prometheus.monitoring:9090).")
@guarded
def manifests_cmd(namespace: str, image: str | None, url: str, branch: str, subpath: str, overlay: str | None,
                  interval: str, git_secret: str | None, adopt: bool, view: bool, prometheus: str | None) -> int:
    """Print the agent's install manifests: Namespace, ServiceAccount, a ClusterRole with only
    the verbs and resources a sync needs, its ClusterRoleBinding, the Deployment (probes on
    /healthz and /readyz, resource requests) and a Service for /metrics.

    \b
    Example:
      wlc agent manifests --git https://git.example.com/ml/workloads.git --overlay prod | kubectl apply -f -
    """
    from ..cluster import install
    parse_duration(interval)
    if prometheus and not view:
        raise ConfigError("--prometheus is for the workloads page: it needs --view")
    _check_prometheus(prometheus)
    settings = install.Settings(namespace=namespace, image=image or install.Settings().image, git=url,
                                branch=branch, path=subpath, overlay=overlay, interval=interval,
                                git_secret=git_secret, adopt=adopt, view=view,
                                prometheus=prometheus)
    click.echo(dump_documents(install.manifests(settings)), nl=False)
    return 0
