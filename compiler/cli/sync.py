"""`wlc sync` and `wlc plan` (issue 17): the cluster side, imported only when these commands run,
so that `wlc build` never loads the kubernetes client."""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, TypedDict, TypeVar

import click

from .. import gitrev, report
from ..problems import ConfigError
from .common import EXIT_CLUSTER, EXIT_OK, EXIT_PROBLEMS, guarded, jobs_for, overlay_for

if TYPE_CHECKING:
    from ..cluster.source import Bundle

#: a command function being decorated with click options
Command = TypeVar("Command", bound=Callable[..., object])


class Limits(TypedDict):
    """The engine options the sync flags set (``engine.Options``' fields of the same names)."""

    allow_mass_delete: bool
    approve_delete: tuple[str, ...]
    max_delete: int
    max_delete_share: float
    concurrency: int
    namespaces: tuple[str, ...]
    create_namespaces: bool
    adopt: bool


def _cluster_options(fn: Command) -> Command:
    options = [
        click.option("--bundle", "bundle_dir", default=None, type=click.Path(file_okay=False, path_type=FsPath),
                     help="A bundle folder written by `wlc build --out DIR` (DIR or DIR/<overlay>)."),
        click.option("--repo", "repo_dir", default=None,
                     type=click.Path(exists=True, file_okay=False, path_type=FsPath),
                     help="Build this repository in memory and sync the result (instead of --bundle)."),
        click.option("--overlay", default=None, help="With --bundle: use DIR/<NAME> (default: DIR itself or "
                     "DIR/base); with --repo: build for overlays/<NAME>."),
        click.option("--kubeconfig", default=None, help="Kubeconfig file (default: $KUBECONFIG, "
                     "~/.kube/config, else the in-cluster service account)."),
        click.option("--context", default=None, help="Kubeconfig context (default: the current one)."),
        click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True),
        click.option("--allow-mass-delete", is_flag=True, help="Approve deleting more workloads than the limits."),
        click.option("--approve-delete", "approve_delete", multiple=True, metavar="ID",
                     help="Approve only the large delete with this id (the refusal names it; repeatable)."),
        click.option("--max-delete", type=click.IntRange(min=0), default=10, show_default=True,
                     help="Refuse to delete more workloads than this in one sync."),
        click.option("--max-delete-share", type=click.FloatRange(0, 1), default=0.5, show_default=True,
                     help="Refuse to delete more than this share of wlc's workloads in the cluster."),
        click.option("--concurrency", type=click.IntRange(min=1, max=32), default=4, show_default=True,
                     help="Workloads synced at the same time."),
        click.option("--namespace", "namespaces", multiple=True,
                     help="Only workloads in these namespaces are the bundle's to delete (repeatable; "
                     "default: every wlc workload in the cluster)."),
        click.option("--no-create-namespaces", is_flag=True,
                     help="Refuse workloads whose namespace does not exist instead of creating it."),
        click.option("--adopt", is_flag=True, help="Take over objects that existed before wlc and no other tool "
                     "owns: organisation objects (a project's Namespace; released, not deleted, when they leave git) "
                     "and workload members (a Service, a Deployment...; never a Job: from then on the workload's, "
                     "docs/sync.md)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def desired_bundle(repo_dir: FsPath | None, bundle_dir: FsPath | None, overlay: str | None) -> Bundle | None:
    """The bundle to sync: read from --bundle, or built in memory from --repo; None (with the
    problems printed) when it is refused or the build has errors."""
    from ..cluster import source
    if (repo_dir is None) == (bundle_dir is None):
        raise ConfigError("give exactly one of --repo DIR (build and sync) and --bundle DIR (a built bundle)")
    try:
        if bundle_dir is not None:
            return source.read_bundle(bundle_dir, overlay)
        assert repo_dir is not None
        return built_bundle(repo_dir, overlay)
    except source.BundleRefused as refused:
        click.echo(report.render(refused.problems, "text"), nl=False, err=True)
        click.echo("wlc: the bundle is refused: nothing applied, nothing pruned", err=True)
        return None


def built_bundle(repo_dir: FsPath, overlay: str | None) -> Bundle:
    """``pipeline.build`` in memory; a build with any error raises BundleRefused (nothing applied)."""
    from .. import pipeline  # the compiler loads only for --repo: a --bundle sync reads YAML
    from ..cluster import source
    from . import outcome
    res = outcome.checked(repo_dir, pipeline.build(repo_dir, overlay_for(repo_dir, overlay), jobs_for(None)))
    if not res.ok:
        raise source.BundleRefused(res.problems)
    return source.bundle_from_texts(res.files, label=f"{repo_dir} (built in memory)")


def _cluster_run(repo_dir: FsPath | None, bundle_dir: FsPath | None, overlay: str | None, kubeconfig: str | None,
                 context: str | None, fmt: str, dry_run: bool, verbose: bool, limits: Limits) -> int:
    from ..cluster import engine, kube, plan
    from ..cluster.errors import ClusterError
    if bundle_dir is not None:
        with engine.paused_gc():  # the build of --repo keeps it on: the compiler's cycles are its own
            desired = desired_bundle(repo_dir, bundle_dir, overlay)
    else:
        desired = desired_bundle(repo_dir, bundle_dir, overlay)
    if desired is None:
        return EXIT_PROBLEMS
    revision, why = gitrev.head_revision(repo_dir) if repo_dir is not None else ("", "")
    desired = dataclasses.replace(desired, revision=revision) if revision else desired
    try:
        client = kube.Kube(kube.load_configuration(kubeconfig, context))
        result = engine.Engine(client, engine.Options(**limits)).run(desired, dry_run=dry_run)
    except ClusterError as err:
        click.echo(f"wlc: cluster error: {err}", err=True)
        return EXIT_CLUSTER
    if fmt == "json":
        click.echo(json.dumps({**result.as_dict(), "revision": revision or None}, indent=2))
    else:
        click.echo(with_revision(plan.render_text(result, verbose), revision, why), nl=False)
    return EXIT_OK if result.ok else EXIT_CLUSTER


def with_revision(text: str, revision: str, why: str) -> str:
    """The rendered plan with the git revision (or why there is none) at the end of its summary line."""
    note = f"; git revision {revision}" if revision else f"; no git revision recorded ({why})" if why else ""
    return text.rstrip("\n") + note + "\n"


def _limits(allow_mass_delete: bool, approve_delete: tuple[str, ...], max_delete: int, max_delete_share: float,
            concurrency: int, namespaces: tuple[str, ...], no_create_namespaces: bool, adopt: bool) -> Limits:
    return {"allow_mass_delete": allow_mass_delete, "approve_delete": tuple(sorted(set(approve_delete))),
            "max_delete": max_delete, "max_delete_share": max_delete_share,
            "concurrency": concurrency, "namespaces": tuple(sorted(set(namespaces))),
            "create_namespaces": not no_create_namespaces, "adopt": adopt}


@click.command(name="sync")
@_cluster_options
@click.option("--dry-run", is_flag=True, help="Plan only (server-side dry run): write nothing.")
@guarded
def sync_cmd(bundle_dir: FsPath | None, repo_dir: FsPath | None, overlay: str | None, kubeconfig: str | None,
             context: str | None, fmt: str,
             allow_mass_delete: bool, approve_delete: tuple[str, ...], max_delete: int, max_delete_share: float,
             concurrency: int,
             namespaces: tuple[str, ...], no_create_namespaces: bool, adopt: bool, dry_run: bool) -> int:
    """Apply a bundle to the cluster: server-side apply (field manager wlc), parent first,
    prune what the bundle no longer has, delete workloads that left it. Only objects wlc
    owns are changed; unchanged objects are not written.

    \b
    Exit status: 0 synced, 1 bundle refused (nothing applied), 3 cluster or sync failure
    (conflicts, refusals, missing CRDs).
    Example:
      wlc sync --repo . --overlay prod
      wlc build --out build && wlc sync --bundle build --overlay base
    """
    return _cluster_run(repo_dir, bundle_dir, overlay, kubeconfig, context, fmt, dry_run, False,
                        _limits(allow_mass_delete, approve_delete, max_delete, max_delete_share, concurrency,
                                namespaces, no_create_namespaces, adopt))


@click.command(name="plan")
@_cluster_options
@click.option("--all", "verbose", is_flag=True, help="List unchanged workloads and objects too.")
@guarded
def plan_cmd(bundle_dir: FsPath | None, repo_dir: FsPath | None, overlay: str | None, kubeconfig: str | None,
             context: str | None, fmt: str,
             allow_mass_delete: bool, approve_delete: tuple[str, ...], max_delete: int, max_delete_share: float,
             concurrency: int,
             namespaces: tuple[str, ...], no_create_namespaces: bool, adopt: bool, verbose: bool) -> int:
    """Show what `wlc sync` would do, per workload and object: create, update, unchanged,
    prune, conflict, refused, failed (from a server-side dry run; nothing is written).

    \b
    Exit status: 0 a sync would succeed, 1 bundle refused, 3 a sync would fail or refuse.
    Example:
      wlc plan --repo .
      wlc plan --bundle build --format json
    """
    return _cluster_run(repo_dir, bundle_dir, overlay, kubeconfig, context, fmt, True, verbose,
                        _limits(allow_mass_delete, approve_delete, max_delete, max_delete_share, concurrency,
                                namespaces, no_create_namespaces, adopt))


