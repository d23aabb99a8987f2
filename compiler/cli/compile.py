"""The verbs that read the repository and compile it: ``validate``, ``build``, ``explain``,
``import runai`` and ``policy effective`` (the pipeline's own verbs; the others live in modules
named after them)."""
from __future__ import annotations

from pathlib import Path as FsPath

import click

from .. import explain, explain_project, importer, outdir, pipeline, report
from ..model import WORKLOAD_KINDS
from ..overlay.specs import project_namespace
from ..policy import render as policy_render
from ..problems import ConfigError, Problem, sort_problems
from . import outcome
from .common import EXIT_OK, exit_code, format_option, guarded, jobs_option, repo_option
from .common import jobs_for as _jobs
from .common import overlay_for as _overlay


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
        org = sum(len(f.objects) for f in res.organisation)
        also = f" and the organisation's {org} object(s)" if org else ""
        click.echo(f"built {len(res.bundles)} workload(s), {objects} object(s){also} into {given / res.overlay}",
                   err=True)
    for name in removed:
        click.echo(f"removed {given / name} (overlay {name} no longer exists)", err=True)


def _print_problems(problems: list[Problem], results: list[pipeline.Result], fmt: str, quiet: bool = False) -> None:
    """Every problem, then (text) the summary line; ``quiet``: no summary when there is no problem
    (a successful build says what it wrote instead)."""
    text = report.render(problems, fmt)
    if text:
        click.echo(text, nl=False)
    if fmt == "text" and (problems or not quiet):
        click.echo(outcome.summary_line(report.summary(problems), results[0].counted, outcome.failed(results)),
                   err=True)


@click.command()
@repo_option
@click.option("--overlay", default=None, help="Validate as this overlay (overlays/<name>) would build.")
@jobs_option
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
    res = outcome.checked(repo, pipeline.check(repo, _overlay(repo, overlay), _jobs(jobs)))
    _print_problems(res.problems, [res], fmt)
    return exit_code(res.problems)


@click.command()
@repo_option
@click.option("--overlay", default=None, help="Build for overlays/<NAME> (its target and patches).")
@click.option("--out", type=click.Path(file_okay=False), default=None, callback=_out_path,
              help="Output folder (default: build/ under the repository).")
@jobs_option
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
    With --all-overlays, a problem only some builds find ends with [overlay NAME].
    Example:
      wlc build --repo . --out build
      wlc build --all-overlays     build/base, build/dev, build/prod, ...
    """
    if all_overlays:
        if overlay is not None:
            raise ConfigError("--overlay and --all-overlays cannot be used together")
        return _build_all(repo, out, jobs, fmt)
    res = outcome.checked(repo, pipeline.build(repo, _overlay(repo, overlay), _jobs(jobs)))
    _print_problems(res.problems, [res], fmt, quiet=True)
    if not res.ok:
        return exit_code(res.problems)
    _publish(repo, out, [res], prune=False)
    return EXIT_OK


def _build_all(repo: FsPath, out: FsPath | None, jobs: int | None, fmt: str) -> int:
    """Every build of ``wlc build --all-overlays``; nothing is written unless all succeed."""
    probe = pipeline.repository(repo).repo
    names = [None] + (probe.names("Overlay") if probe is not None else [])
    results = [outcome.checked(repo, pipeline.build(repo, name, _jobs(jobs))) for name in names]
    problems = sort_problems(outcome.merge_builds(results))
    _print_problems(problems, results, fmt, quiet=True)
    if not all(res.ok for res in results):
        return exit_code(problems)
    _publish(repo, out, results, prune=True)
    return EXIT_OK


@click.command(name="explain")
@click.argument("workload", required=False)
@click.option("--project", "-p", "project", default=None,
              help="Explain a project instead: namespace, department, quota per node pool, members.")
@repo_option
@click.option("--overlay", default=None, help="Explain as built for this overlay.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@guarded
def explain_cmd(workload: str | None, project: str | None, repo: FsPath, overlay: str | None, fmt: str) -> int:
    """Show the resolved spec of WORKLOAD: every field, its value and its source
    (submission, template, environment / compute / data-source asset, policy, overlay); or,
    with --project, the project as the cluster gets it, each value with its file and line.

    \b
    Exit status: 0, or 2 when no workload (or project) of that name resolves (the message says why).
    Example (at the repository's root, where wlc.yaml is):
      wlc explain llama-finetune
      wlc explain llama-finetune --overlay prod --format json
      wlc explain --project nlp
    """
    if (workload is None) == (project is None):
        raise ConfigError("give a WORKLOAD or --project PROJECT (one of them)")
    if project is not None:
        return _explain_project(project, repo, _overlay(repo, overlay), fmt)
    assert workload is not None
    res = pipeline.specs(repo, _overlay(repo, overlay), only=workload)
    found = [rw for rw in res.workloads if rw.name == workload]
    if not found:
        why = explain.why_missing(workload, res)
        if res.problems and why.shows_problems:
            click.echo(report.render(res.problems, "text"), nl=False, err=True)
        raise ConfigError(why.message)
    for rw in found:
        click.echo(explain.render_json(rw) if fmt == "json" else explain.render_text(rw), nl=False)
    return EXIT_OK


def _explain_project(name: str, repo: FsPath, overlay: str | None, fmt: str) -> int:
    res = pipeline.specs(repo, overlay, only="")
    loaded = res.repo
    if loaded is None or name not in loaded.projects:
        known = sorted(loaded.projects) if loaded is not None else []
        raise ConfigError(f'no project named "{name}" (projects: {", ".join(known) or "none"})')
    found = loaded.projects[name]
    namespace = project_namespace(res.chain, found, loaded)
    rows = explain_project.project_rows(loaded, found, namespace)
    click.echo(explain_project.render_json(found, rows) if fmt == "json"
               else explain_project.render_text(found, rows), nl=False)
    return EXIT_OK


@click.group(name="import")
def import_group() -> None:
    """Convert documents from other systems into native wlc specs."""


@import_group.command(name="runai")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=FsPath))
@click.option("--out", type=click.Path(file_okay=False), default=None, callback=_out_path,
              help="Write into this repository folder (workloads/<project>/<name>.yaml); default: stdout.")
@click.option("--force", is_flag=True, help="Replace files in --out that exist and differ.")
@format_option
@guarded
def import_runai(files: tuple[FsPath, ...], out: FsPath | None, force: bool, fmt: str) -> int:
    """Convert Run:ai Cluster API documents (run.ai/v2alpha1, v1alpha1) into native specs.

    \b
    Handles {value: ...} wrappers, items: maps (deleted: true removes an inherited item),
    usage: Template, baseWorkload and the old per-kind policies. With --out, nothing is written
    when there are errors, and no existing file is replaced without --force.
    Exit status: 0 converted (warnings allowed), 1 problems found, 2 usage error.
    Example:
      wlc import runai exported/train.yaml --out .
    """
    problems = importer.import_files([str(f) for f in files], str(out) if out else None, force=force)
    text = report.render(problems, fmt)
    if text:
        click.echo(text, nl=False, err=fmt == "text")
    if out is not None and any(p.severity == "error" for p in problems):
        click.echo(f"wlc: nothing was written into {out} (fix the errors above first)", err=True)
    return exit_code(problems)


@click.group(name="policy")
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
    kinds = {k.lower(): k for k in WORKLOAD_KINDS} | {k[:-len("Workload")].lower(): k for k in WORKLOAD_KINDS}
    if kind.lower() not in kinds:
        raise ConfigError(f'unknown workload type "{kind}" (one of {", ".join(WORKLOAD_KINDS)})')
    loaded = pipeline.repository(repo).repo
    if loaded is None:
        raise ConfigError(f"cannot read the repository at {repo}")
    eff, problems = policy_render.effective_for(loaded, project, kinds[kind.lower()])
    if problems:
        click.echo(report.render(problems, "text"), nl=False, err=True)
    department = loaded.projects[project].department
    click.echo(policy_render.render_json(eff, department) if fmt == "json"
               else policy_render.render_text(eff, department), nl=False)
    return exit_code(problems)
