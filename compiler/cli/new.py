"""``wlc new TYPE NAME -p PROJECT [flags] [-- ARGS...]``: a new workload file, checked with
everything ``wlc validate`` checks before it is written. One subcommand per workload type, its
options made from the flag table (compiler/edit/flags.py), with Run:ai CLI v2's names."""
from __future__ import annotations

from pathlib import Path as FsPath
from typing import Any

import click

from .. import importer, report
from ..edit import flags as table
from ..edit import new as newdoc
from ..edit.copy import copied
from ..edit.documents import find
from ..model import WORKLOAD_KINDS
from ..problems import ConfigError
from . import edits
from .common import EXIT_OK, EXIT_USAGE, guarded, repo_option
from .gitcommit import Git, commit_option, preflight, push_option

RUNAI = {"training": "runai training submit", "workspace": "runai workspace submit",
         "distributed": "runai pytorch|tensorflow|mpi submit", "inference": "runai inference submit"}


@click.group(name="new", invoke_without_command=True)
@click.option("--from-runai", "from_runai", type=click.Path(exists=True, dir_okay=False, path_type=FsPath),
              default=None, help="Make the workload from a Run:ai Cluster API document (run.ai/v2alpha1, v1alpha1).")
@click.option("-p", "--project", default=None, help="The project (with --from-runai: else the document's).")
@click.option("--dry-run", is_flag=True, help="Print the file instead of writing it.")
@click.option("--overlay", default=None, help="Check as this overlay would build (default: as wlc validate).")
@repo_option
@commit_option
@push_option
@click.pass_context
def new_group(ctx: click.Context, from_runai: FsPath | None, project: str | None, dry_run: bool,
              overlay: str | None, repo: FsPath, commit: bool, push: bool) -> None:
    """Write a new workload spec, <workload root>/<project>/<name>.yaml, with the flags of
    Run:ai's CLI v2; it is checked (schemas, policies, lowering) before it is written.

    \b
    Examples:
      wlc new training llama-ft -p nlp -i nvcr.io/nvidia/pytorch:24.10-py3 -g 2 -- python train.py
      wlc new --from-runai exported/train.yaml -p nlp
    """
    if ctx.invoked_subcommand is not None:
        return
    if from_runai is None:
        click.echo(ctx.get_help())
        ctx.exit(EXIT_USAGE)
    _from_runai(from_runai, project, dry_run, overlay, repo, Git(commit, push))


@guarded
def _from_runai(path: FsPath, project: str | None, dry_run: bool, overlay: str | None, repo: FsPath,
                git: Git) -> int:
    imported, problems = importer.convert_file(str(path))
    errors = [p for p in problems if p.severity == "error"]
    workloads = [i for i in imported if i.doc.kind in table.TYPES.values()]
    if errors or len(workloads) != 1:
        if problems:
            click.echo(report.render(problems, "text"), nl=False)
        if not errors:
            raise ConfigError(f"{path} holds {len(workloads)} workload document(s); wlc new takes exactly one")
        return 1
    item = workloads[0]
    named = item.relpath.split("/")[1]
    proj = project or named
    if proj == importer.NO_PROJECT:
        raise ConfigError(f"{path}: the document names no project (metadata.namespace): give -p PROJECT")
    text = item.text if proj == named else _moved(item.text, item.doc.name, edits.label(proj, "project"))
    return _create(repo, proj, item.doc.name, text, {}, dry_run, overlay, f"wlc new --from-runai {path.name}", git)


def _moved(text: str, name: str, project: str) -> str:
    """The converted document with its ``spec.project`` set to ``-p``'s project."""
    found = find(text, name, WORKLOAD_KINDS)
    return text if found is None else copied(found, name, project)


def _create(repo: FsPath, project: str, name: str, text: str, sources: dict[str, str], dry_run: bool,
            overlay: str | None, verb: str, git: Git) -> int:
    cfg = edits.config(repo)
    preflight(repo, [], git)
    rel = edits.new_path(repo, cfg, project, name)
    target = edits.inside(repo, rel)
    if target.exists() or target.is_symlink():
        raise ConfigError(f"{rel} exists already: wlc new never overwrites a file "
                          "(edit it, or wlc delete it first)")
    problems = edits.check(repo, overlay, {rel: text}, sources)
    if edits.errors(problems):
        return edits.refuse(problems)
    edits.warn(problems)
    if dry_run:
        click.echo(text, nl=False)
        click.echo(f"(dry run: {rel} checked, not written)", err=True)
        return EXIT_OK
    edits.publish(repo, {rel: text}, f"{verb}: {project}/{name}", git, [f"created {rel}"])
    return EXIT_OK


def _subcommand(wtype: str) -> click.Command:
    def run(name: str, project: str, words: tuple[str, ...], command: bool, dry_run: bool,
            overlay: str | None, repo: FsPath, commit: bool, push: bool, **given: Any) -> int:
        edits.label(name, "name")
        edits.label(project, "project")
        spec, sources = table.spec_from(wtype, given)
        text = newdoc.document(wtype, name, spec, words, command)
        return _create(repo, project, name, text, sources, dry_run, overlay, f"wlc new {wtype}", Git(commit, push))
    run.__doc__ = (f"A new {table.TYPES[wtype]} NAME in PROJECT (Run:ai: {RUNAI[wtype]}).\n\n"
                   "Words after -- are the container's arguments (with --command: its command).")
    params: list[click.Parameter] = [
        click.Argument(["name"]),
        click.Option(["-p", "--project"], required=True, help="The project (its folder)."),
        *(_option(flag) for flag in table.flags_for(wtype)),
        click.Option(["-c", "--command", "command"], is_flag=True,
                     help="The words after -- replace the image's entrypoint (Run:ai --command)."),
        click.Option(["--dry-run"], is_flag=True, help="Print the file instead of writing it."),
        click.Option(["--overlay"], default=None, help="Check as this overlay would build."),
        click.Option(["--repo", "repo"], type=click.Path(file_okay=False, path_type=FsPath), default=".",
                     show_default=True, help="The GitOps repository's root folder."),
        click.Option(["--commit"], is_flag=True, help="Commit the new file (only it) with git."),
        click.Option(["--push"], is_flag=True, help="With --commit: push the commit to the branch's upstream."),
        click.Argument(["words"], nargs=-1, metavar="[-- ARGS...]"),
    ]
    return click.Command(wtype, callback=guarded(run), params=params, help=run.__doc__,
                         context_settings={"max_content_width": 110})


def _option(flag: table.Flag) -> click.Option:
    """The click option of one table row; its help names the wlc field it sets."""
    text = f"{flag.help} [{flag.field}]"
    if flag.mode == "switch":
        return click.Option([*flag.names, flag.dest], is_flag=True, default=False, help=text)
    multiple = flag.mode == "append"
    return click.Option([*flag.names, flag.dest], multiple=multiple, metavar=flag.metavar,
                        help=text, required=flag.required)


for _wtype in table.TYPES:  # ``wlc new training`` ...: one subcommand per workload type
    new_group.add_command(_subcommand(_wtype))
