"""The `wlc` command. Parses options, calls the pipeline, prints, exits:
0 clean, 1 problems found, 2 usage or configuration error, 3 cluster or sync failure,
4 internal error (a bug in wlc)."""
from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path as FsPath
from typing import Any

import click

from .. import __version__, explain, outdir, parallel, pipeline, report
from ..problems import CompilerBug, ConfigError, Problem, WlcError, sort_problems

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_CLUSTER, EXIT_BUG = 0, 1, 2, 3, 4
BUG_NOTE = ("this is a bug in wlc, not a mistake in your input: please report it on the wlc issue "
            "tracker with the command you ran, the output of `wlc --version` and the smallest input "
            "that shows it (WLC_DEBUG=1 prints the traceback)")

repo_option = click.option("--repo", "repo", type=click.Path(file_okay=False, path_type=FsPath),
                           default=".", show_default=True, help="The GitOps repository's root folder.")
format_option = click.option("--format", "fmt", type=click.Choice(report.FORMATS), default="text",
                             show_default=True, help="How problems are printed (github = workflow annotations).")


def guarded(fn: Callable[..., int]) -> Callable[..., None]:
    """Run a verb: configuration errors exit 2 with one line, never a traceback; a bug in wlc
    (an unexpected exception) exits 4 and says so (WLC_DEBUG=1 adds the traceback)."""
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            code = fn(*args, **kwargs)
        except CompilerBug as err:
            code = _bug(err)
        except WlcError as err:  # ConfigError and the environment's failures
            click.echo(f"wlc: error: {report.one_line(str(err))}", err=True)
            code = EXIT_USAGE
        except Exception as err:  # noqa: BLE001 - a bug: reported as one, never as bad input
            code = _bug(err)
        sys.exit(code)
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _bug(err: Exception) -> int:
    if os.environ.get("WLC_DEBUG"):
        traceback.print_exc()
    click.echo(f"wlc: internal error: {report.one_line(f'{type(err).__name__}: {err}')}", err=True)
    click.echo(f"wlc: {BUG_NOTE}", err=True)
    return EXIT_BUG


def exit_code(problems: list[Problem]) -> int:
    """4 when a problem is a bug in wlc (code ``bug.*``), else 1 with errors, else 0."""
    if any(p.code.startswith("bug.") for p in problems):
        click.echo(f"wlc: {BUG_NOTE}", err=True)
        return EXIT_BUG
    errors = any(p.severity == "error" for p in problems)
    return EXIT_PROBLEMS if errors else EXIT_OK


def _jobs(jobs: int | None) -> int:
    """--jobs (default WLC_JOBS or the CPU count), at most the CPUs this process may run on."""
    return max(1, min(jobs or parallel.default_jobs(), _cpus()))


def _cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _overlay(repo: FsPath, overlay: str | None) -> str | None:
    """--overlay, else wlc.yaml's ``defaultOverlay`` (None: the base build)."""
    return overlay if overlay is not None else pipeline.default_overlay(repo)


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


def _out_path(ctx: click.Context, param: click.Parameter, value: str | None) -> FsPath | None:
    """``--out``: a folder; an empty string is a mistake, not the current folder."""
    if value is not None and not value.strip():
        raise click.BadParameter("must not be empty (use --out . for the current folder)")
    return None if value is None else FsPath(value)


def _publish(repo: FsPath, out: FsPath | None, results: list[pipeline.Result], prune: bool) -> None:
    """Write each successful result as OUT/<overlay> (compiler/outdir.py: checked, atomic, locked)."""
    given = out if out is not None else repo / "build"
    config = results[0].repo.config if results[0].repo is not None else None
    target = outdir.check_out(given, repo, config.exclude if config is not None else [])
    bundles = {res.overlay: res.files for res in results}
    removed = outdir.publish(target, bundles, prune=prune, on_wait=lambda: click.echo(
        f"wlc: waiting for another wlc build into {given} to finish", err=True))
    for res in results:
        objects = sum(len(b.entries) for b in res.bundles)
        click.echo(f"built {len(res.bundles)} workload(s), {objects} object(s) into {given / res.overlay}",
                   err=True)
    for name in removed:
        click.echo(f"removed {given / name} (overlay {name} no longer exists)", err=True)


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
              help="Worker processes for large repositories (default: WLC_JOBS or the CPU count; "
                   "never more than the CPUs wlc may use).")
@format_option
@guarded
def validate(repo: FsPath, overlay: str | None, fmt: str, jobs: int | None) -> int:
    """Check everything a build would, without writing: load, schema-check, resolve, apply
    policies and the overlay, lower and verify every workload; print every problem.

    \b
    Exit status: 0 clean, 1 problems found, 2 usage or configuration error, 4 a bug in wlc.
    Without --overlay, wlc.yaml's defaultOverlay is used when it sets one.
    Example (in CI, with annotations on the pull request):
      wlc validate --repo . --format github
    """
    res = pipeline.check(repo, _overlay(repo, overlay), _jobs(jobs))
    _print_problems(res, fmt)
    return exit_code(res.problems)


@main.command()
@repo_option
@click.option("--overlay", default=None, help="Build for overlays/<NAME> (its target and patches).")
@click.option("--out", type=click.Path(file_okay=False), default=None, callback=_out_path,
              help="Output folder (default: build/ under the repository).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for large repositories (default: WLC_JOBS or the CPU count; "
                   "never more than the CPUs wlc may use).")
@click.option("--all-overlays", is_flag=True, help="Build the base and every overlay, each into OUT/<name>/.")
@format_option
@guarded
def build(repo: FsPath, overlay: str | None, out: FsPath | None, jobs: int | None, all_overlays: bool,
          fmt: str) -> int:
    """Validate, then lower every workload to Kubernetes objects and write the bundle.

    \b
    Writes OUT/<overlay>/<namespace>/<workload>.yaml and OUT/<overlay>/index.json
    (the folder is "base" without --overlay and without wlc.yaml's defaultOverlay).
    Nothing is written when there are errors. Exit status as for validate.
    Example:
      wlc build --repo . --out build
      wlc build --all-overlays     build/base, build/dev, build/prod, ...
    """
    if all_overlays:
        if overlay is not None:
            raise ConfigError("--overlay and --all-overlays cannot be used together")
        return _build_all(repo, out, jobs, fmt)
    res = pipeline.build(repo, _overlay(repo, overlay), _jobs(jobs))
    _print_problems(res, fmt)
    if not res.ok:
        return exit_code(res.problems)
    _publish(repo, out, [res], prune=False)
    return EXIT_OK


def _build_all(repo: FsPath, out: FsPath | None, jobs: int | None, fmt: str) -> int:
    """Every build of ``wlc build --all-overlays``; nothing is written unless all succeed."""
    probe = pipeline.repository(repo).repo
    names = [None] + (probe.names("Overlay") if probe is not None else [])
    results = [pipeline.build(repo, name, _jobs(jobs)) for name in names]
    # the base build's counts, every build's problems (once each)
    merged = replace(results[0], problems=sort_problems([p for r in results for p in r.problems]))
    _print_problems(merged, fmt)
    if not merged.ok:
        return exit_code(merged.problems)
    _publish(repo, out, results, prune=True)
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
    res = pipeline.specs(repo, _overlay(repo, overlay), only=workload)
    found = [rw for rw in res.workloads if rw.name == workload]
    if not found:
        if res.problems:
            click.echo(report.render(res.problems, "text"), nl=False, err=True)
        names = sorted(d.name for d, _ in (res.repo.workloads if res.repo else []))
        from ..repo import suggest
        raise ConfigError(f'no valid workload named "{workload}"' + suggest(workload, names))
    for rw in found:
        click.echo(explain.render_json(rw) if fmt == "json" else explain.render_text(rw), nl=False)
    return EXIT_OK


@main.group(name="import")
def import_group() -> None:
    """Convert documents from other systems into native wlc specs."""


@import_group.command(name="runai")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=FsPath))
@click.option("--out", type=click.Path(file_okay=False), default=None, callback=_out_path,
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
    from .. import importer
    problems = importer.import_files([str(f) for f in files], str(out) if out else None)
    text = report.render(problems, fmt)
    if text:
        click.echo(text, nl=False, err=fmt == "text")
    return exit_code(problems)


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
    from ..model import WORKLOAD_KINDS
    from ..policy import render
    kinds = {k.lower(): k for k in WORKLOAD_KINDS} | {k[:-len("Workload")].lower(): k for k in WORKLOAD_KINDS}
    if kind.lower() not in kinds:
        raise ConfigError(f'unknown workload type "{kind}" (one of {", ".join(WORKLOAD_KINDS)})')
    loaded = pipeline.repository(repo).repo
    if loaded is None:
        raise ConfigError(f"cannot read the repository at {repo}")
    eff, problems = render.effective_for(loaded, project, kinds[kind.lower()])
    if problems:
        click.echo(report.render(problems, "text"), nl=False, err=True)
    department = loaded.projects[project].department
    click.echo(render.render_json(eff, department) if fmt == "json" else render.render_text(eff, department),
               nl=False)
    return exit_code(problems)


from . import diff as _diff  # verb modules come last: they import this package's helpers

_diff.register(main)

if __name__ == "__main__":  # pragma: no cover
    main()
