"""The `wlc` command. Parses options, calls the pipeline, prints, exits:
0 clean, 1 problems found, 2 usage or configuration error, 3 cluster or sync failure."""
from __future__ import annotations

import copy
import os
import sys
from collections.abc import Callable
from pathlib import Path as FsPath
from typing import Any

import click

from . import __version__, emit, explain, parallel, pipeline, report
from .problems import ConfigError, WlcError, sort_problems

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_CLUSTER = 0, 1, 2, 3

repo_option = click.option("--repo", "repo", type=click.Path(file_okay=False, path_type=FsPath),
                           default=".", show_default=True, help="The GitOps repository's root folder.")
format_option = click.option("--format", "fmt", type=click.Choice(report.FORMATS), default="text",
                             show_default=True, help="How problems are printed (github = workflow annotations).")


def guarded(fn: Callable[..., int]) -> Callable[..., None]:
    """Run a verb: configuration errors exit 2 with one line, never a traceback."""
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            code = fn(*args, **kwargs)
        except ConfigError as err:
            click.echo(f"wlc: error: {err}", err=True)
            code = EXIT_USAGE
        except WlcError as err:
            click.echo(f"wlc: error: {err}", err=True)
            code = EXIT_USAGE
        except Exception as err:  # a bug: one line unless WLC_DEBUG asks for the traceback
            if os.environ.get("WLC_DEBUG"):
                raise
            click.echo(f"wlc: internal error (a bug in wlc, please report it): "
                       f"{type(err).__name__}: {err}", err=True)
            code = EXIT_USAGE
        sys.exit(code)
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="wlc")
def main() -> None:
    """wlc compiles Run:ai-style GPU workload specs in a git repository into
    deterministic Kubernetes bundles.

    \b
    Start here, at the root of a wlc repository:
      wlc validate            check every spec, print every problem
      wlc build               compile into build/base/<namespace>/<workload>.yaml
      wlc explain my-train    show each field of a workload and where it came from
    """


def _print_problems(res: pipeline.Result, fmt: str) -> None:
    text = report.render(res.problems, fmt)
    if text:
        click.echo(text, nl=False)
    if fmt == "text":
        click.echo(f"{report.summary(res.problems)} in {res.counted} workload(s)", err=True)


@main.command()
@repo_option
@click.option("--overlay", default=None, help="Validate as this overlay (overlays/<name>) would build.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for large repositories (default: WLC_JOBS or the CPU count).")
@format_option
@guarded
def validate(repo: FsPath, overlay: str | None, fmt: str, jobs: int | None) -> int:
    """Check everything a build would, without writing: load, schema-check, resolve, apply
    policies and the overlay, lower and verify every workload; print every problem.

    \b
    Exit status: 0 clean, 1 problems found, 2 usage or configuration error.
    Example (in CI, with annotations on the pull request):
      wlc validate --repo . --format github
    """
    res = pipeline.run(repo, overlay=overlay, until="verify", jobs=jobs or parallel.default_jobs())
    _print_problems(res, fmt)
    return EXIT_OK if res.ok else EXIT_PROBLEMS


@main.command()
@repo_option
@click.option("--overlay", default=None, help="Build for overlays/<NAME> (its target and patches).")
@click.option("--out", type=click.Path(file_okay=False, path_type=FsPath), default=None,
              help="Output folder (default: build/ under the repository).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for large repositories (default: WLC_JOBS or the CPU count).")
@click.option("--all-overlays", is_flag=True, help="Build the base and every overlay, each into OUT/<name>/.")
@format_option
@guarded
def build(repo: FsPath, overlay: str | None, out: FsPath | None, jobs: int | None, all_overlays: bool,
          fmt: str) -> int:
    """Validate, then lower every workload to Kubernetes objects and write the bundle.

    \b
    Writes OUT/<overlay>/<namespace>/<workload>.yaml and OUT/<overlay>/index.json
    (the folder is "base" without --overlay). Nothing is written when there are errors.
    Example:
      wlc build --repo . --out build
      wlc build --all-overlays     build/base, build/dev, build/prod, ...
    """
    if all_overlays:
        if overlay is not None:
            raise ConfigError("--overlay and --all-overlays cannot be used together")
        return _build_all(repo, out, jobs, fmt)
    res = pipeline.run(repo, overlay=overlay, until="emit", jobs=jobs or parallel.default_jobs())
    _print_problems(res, fmt)
    if not res.ok:
        return EXIT_PROBLEMS
    files = pipeline.build_files(res)
    folder = (out if out is not None else repo / "build") / res.overlay
    emit.write_tree(folder, files)
    objects = sum(len(b.entries) for b in res.bundles)
    click.echo(f"built {len(res.bundles)} workload(s), {objects} object(s) into {folder}", err=True)
    return EXIT_OK


def _build_all(repo: FsPath, out: FsPath | None, jobs: int | None, fmt: str) -> int:
    """Every build of ``wlc build --all-overlays``; nothing is written unless all succeed."""
    probe = pipeline.run(repo, until="validate")
    names = [None] + (probe.repo.names("Overlay") if probe.repo is not None else [])
    results = [pipeline.run(repo, overlay=name, until="emit", jobs=jobs or parallel.default_jobs())
               for name in names]
    merged = copy.copy(results[0])  # the base build's counts, every build's problems (once each)
    merged.problems = sort_problems([p for r in results for p in r.problems])
    _print_problems(merged, fmt)
    if not merged.ok:
        return EXIT_PROBLEMS
    for res in results:
        folder = (out if out is not None else repo / "build") / res.overlay
        emit.write_tree(folder, pipeline.build_files(res))
        objects = sum(len(b.entries) for b in res.bundles)
        click.echo(f"built {len(res.bundles)} workload(s), {objects} object(s) into {folder}", err=True)
    return EXIT_OK


@main.command(name="explain")
@click.argument("workload")
@repo_option
@click.option("--overlay", default=None, help="Explain as built for this overlay.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@guarded
def explain_cmd(workload: str, repo: FsPath, overlay: str | None, fmt: str) -> int:
    """Show the resolved spec of WORKLOAD: every field, its value and its source
    (submission, template, environment / compute / data-source asset, policy, overlay).

    \b
    Example:
      wlc explain llama-finetune --repo examples
    """
    res = pipeline.run(repo, overlay=overlay, until="resolve", only=workload)
    found = [rw for rw in res.workloads if rw.name == workload]
    if not found:
        if res.problems:
            click.echo(report.render(res.problems, "text"), nl=False, err=True)
        names = sorted(d.name for d, _ in (res.repo.workloads if res.repo else []))
        from .repo import suggest
        raise ConfigError(f'no valid workload named "{workload}"' + suggest(workload, names))
    for rw in found:
        click.echo(explain.render_json(rw) if fmt == "json" else explain.render_text(rw), nl=False)
    return EXIT_OK


@main.group(name="import")
def import_group() -> None:
    """Convert documents from other systems into native wlc specs."""


@import_group.command(name="runai")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=FsPath))
@click.option("--out", type=click.Path(file_okay=False, path_type=FsPath), default=None,
              help="Write into this repository folder (workloads/<project>/<name>.yaml); default: stdout.")
@format_option
@guarded
def import_runai(files: tuple[FsPath, ...], out: FsPath | None, fmt: str) -> int:
    """Convert Run:ai Cluster API documents (run.ai/v2alpha1, v1alpha1) into native specs.

    \b
    Handles {value: ...} wrappers, items: maps (deleted: true removes an inherited item),
    usage: Template, baseWorkload and the old per-kind policies.
    Example:
      wlc import runai exported/train.yaml --out .
    """
    from . import importer
    problems = importer.import_files([str(f) for f in files], str(out) if out else None)
    text = report.render(problems, fmt)
    if text:
        click.echo(text, nl=False, err=fmt == "text")
    return EXIT_PROBLEMS if any(p.severity == "error" for p in problems) else EXIT_OK


@main.group(name="policy")
def policy_group() -> None:
    """Inspect administrator policies (policies/)."""


@policy_group.command(name="effective")
@click.option("--project", required=True, help="The project whose chain (cluster, department, project) is merged.")
@click.option("--type", "kind", required=True, help="The workload type, e.g. TrainingWorkload (or training).")
@repo_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@guarded
def policy_effective(project: str, kind: str, repo: FsPath, fmt: str) -> int:
    """Print the effective policy of a project and workload type: every default, default
    instance, rule and imposed asset, with the policy file and line it came from.

    \b
    Exit status: 0, or 1 when a policy document has problems (printed on stderr).
    Example:
      wlc policy effective --project nlp --type TrainingWorkload
    """
    from .model import WORKLOAD_KINDS
    from .policy import render
    kinds = {k.lower(): k for k in WORKLOAD_KINDS} | {k[:-len("Workload")].lower(): k for k in WORKLOAD_KINDS}
    if kind.lower() not in kinds:
        raise ConfigError(f'unknown workload type "{kind}" (one of {", ".join(WORKLOAD_KINDS)})')
    res = pipeline.run(repo, until="validate")
    if res.repo is None:
        raise ConfigError(f"cannot read the repository at {repo}")
    eff, problems = render.effective_for(res.repo, project, kinds[kind.lower()])
    if problems:
        click.echo(report.render(problems, "text"), nl=False, err=True)
    department = res.repo.projects[project].department
    click.echo(render.render_json(eff, department) if fmt == "json" else render.render_text(eff, department),
               nl=False)
    return EXIT_PROBLEMS if any(p.severity == "error" for p in problems) else EXIT_OK


# --- sync and plan (issue 17): the cluster side, imported only when these commands run -----------

def _cluster_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--bundle", "bundle_dir", required=True, type=click.Path(file_okay=False, path_type=FsPath),
                     help="A bundle folder written by `wlc build --out DIR` (DIR or DIR/<overlay>)."),
        click.option("--overlay", default=None, help="Use DIR/<NAME> (default: DIR itself or DIR/base)."),
        click.option("--kubeconfig", default=None, help="Kubeconfig file (default: $KUBECONFIG, "
                     "~/.kube/config, else the in-cluster service account)."),
        click.option("--context", default=None, help="Kubeconfig context (default: the current one)."),
        click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True),
        click.option("--allow-mass-delete", is_flag=True, help="Approve deleting more workloads than the limits."),
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
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _cluster_run(bundle_dir: FsPath, overlay: str | None, kubeconfig: str | None, context: str | None,
                 fmt: str, dry_run: bool, verbose: bool, limits: dict[str, Any]) -> int:
    from .cluster import engine, kube, plan, source
    from .cluster.errors import ClusterError
    try:
        desired = source.read_bundle(bundle_dir, overlay)
    except source.BundleRefused as refused:
        click.echo(report.render(refused.problems, "text"), nl=False, err=True)
        click.echo("wlc: the bundle is refused: nothing applied, nothing pruned", err=True)
        return EXIT_PROBLEMS
    try:
        client = kube.Kube(kube.load_configuration(kubeconfig, context))
        result = engine.Engine(client, engine.Options(**limits)).run(desired, dry_run=dry_run)
    except ClusterError as err:
        click.echo(f"wlc: cluster error: {err}", err=True)
        return EXIT_CLUSTER
    click.echo(plan.render_json(result) if fmt == "json" else plan.render_text(result, verbose), nl=False)
    return EXIT_OK if result.ok else EXIT_CLUSTER


def _limits(allow_mass_delete: bool, max_delete: int, max_delete_share: float, concurrency: int,
            namespaces: tuple[str, ...], no_create_namespaces: bool) -> dict[str, Any]:
    return {"allow_mass_delete": allow_mass_delete, "max_delete": max_delete, "max_delete_share": max_delete_share,
            "concurrency": concurrency, "namespaces": tuple(sorted(set(namespaces))),
            "create_namespaces": not no_create_namespaces}


@main.command(name="sync")
@_cluster_options
@click.option("--dry-run", is_flag=True, help="Plan only (server-side dry run): write nothing.")
@guarded
def sync_cmd(bundle_dir: FsPath, overlay: str | None, kubeconfig: str | None, context: str | None, fmt: str,
             allow_mass_delete: bool, max_delete: int, max_delete_share: float, concurrency: int,
             namespaces: tuple[str, ...], no_create_namespaces: bool, dry_run: bool) -> int:
    """Apply a bundle to the cluster: server-side apply (field manager wlc), parent first,
    prune what the bundle no longer has, delete workloads that left it. Only objects wlc
    owns are changed; unchanged objects are not written.

    \b
    Exit status: 0 synced, 1 bundle refused (nothing applied), 3 cluster or sync failure
    (conflicts, refusals, missing CRDs).
    Example:
      wlc build --out build && wlc sync --bundle build --overlay base
    """
    return _cluster_run(bundle_dir, overlay, kubeconfig, context, fmt, dry_run, False,
                        _limits(allow_mass_delete, max_delete, max_delete_share, concurrency, namespaces,
                                no_create_namespaces))


@main.command(name="plan")
@_cluster_options
@click.option("--all", "verbose", is_flag=True, help="List unchanged workloads and objects too.")
@guarded
def plan_cmd(bundle_dir: FsPath, overlay: str | None, kubeconfig: str | None, context: str | None, fmt: str,
             allow_mass_delete: bool, max_delete: int, max_delete_share: float, concurrency: int,
             namespaces: tuple[str, ...], no_create_namespaces: bool, verbose: bool) -> int:
    """Show what `wlc sync` would do, per workload and object: create, update, unchanged,
    prune, conflict, refused, failed (from a server-side dry run; nothing is written).

    \b
    Exit status: 0 a sync would succeed, 1 bundle refused, 3 a sync would fail or refuse.
    Example:
      wlc plan --bundle build --format json
    """
    return _cluster_run(bundle_dir, overlay, kubeconfig, context, fmt, True, verbose,
                        _limits(allow_mass_delete, max_delete, max_delete_share, concurrency, namespaces,
                                no_create_namespaces))


if __name__ == "__main__":  # pragma: no cover
    main()
