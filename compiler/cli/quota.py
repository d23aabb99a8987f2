"""`wlc quota`: per project and node pool, the quota and what the workloads in git ask of it."""
from __future__ import annotations

import json
from pathlib import Path as FsPath

import click

from .. import pipeline, quota, report
from ..problems import ConfigError
from .common import EXIT_OK, exit_code, guarded, overlay_for, repo_option


@click.command(name="quota")
@repo_option
@click.option("--project", default=None, help="Only this project.")
@click.option("--overlay", default=None, help="As built for this overlay (its target scheduler and patches).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@guarded
def quota_cmd(repo: FsPath, project: str | None, overlay: str | None, fmt: str) -> int:
    """Per project and node pool: the deserved GPU quota, the most one workload can get there
    (with what it may borrow), the GPUs the workloads in git ask for (non-preemptible and
    preemptible, counted in each workload's first node pool) and what is left of the deserved quota.

    \b
    Exit status: 0, or 1 when the repository has errors (printed on stderr; the table shows the
    workloads that resolved), 2 for an unknown project.
    Example:
      wlc quota --project vision
    """
    res = pipeline.specs(repo, overlay_for(repo, overlay))
    if res.repo is None:
        raise ConfigError(f"cannot read the repository at {repo}")
    if project is not None and project not in res.repo.projects:
        raise ConfigError(f'unknown project "{project}" (projects: {", ".join(sorted(res.repo.projects))})')
    if res.problems:
        click.echo(report.render(res.problems, "text"), nl=False, err=True)
    rows = quota.table(res.repo, res.target, quota.demands(res.workloads), project)
    click.echo(json.dumps(quota.render_json(rows), indent=2) if fmt == "json" else quota.render_text(rows), nl=False)
    return exit_code(res.problems) if res.problems else EXIT_OK
