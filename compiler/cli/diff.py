"""``wlc diff``: build two revisions of the repository and say what the change does to the
cluster (compiler/diff/ compares, compiler/gitrev.py checks the base out)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path as FsPath

import click

from .. import diff as diffs
from .. import gitrev, inputs, pipeline
from ..diff.builds import Revision, compare_builds, no_cycles, sharing
from ..problems import ConfigError
from .common import EXIT_OK, EXIT_PROBLEMS, guarded, repo_option
from .common import jobs_for as _jobs


@click.command(name="diff")
@repo_option
@click.option("--base", required=True, help="The revision to compare with (e.g. origin/main, HEAD~1, a commit).")
@click.option("--head", default=None, help="The revision that changes it (default: the working tree as it is).")
@click.option("--overlay", default=None, help="Compare the builds of overlays/<NAME> (default: wlc.yaml's "
                                              "defaultOverlay, else the base build).")
@click.option("--all-overlays", is_flag=True, help="Compare the base build and every overlay of either revision.")
@click.option("--format", "fmt", type=click.Choice(diffs.FORMATS), default="text", show_default=True,
              help="markdown: a pull-request comment or job summary (bounded in size).")
@click.option("--exit-code", is_flag=True, help="Exit 1 when anything differs (as git diff --exit-code).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="2 or more: build the base in a second process beside the head, and the head's "
                   "workloads in this many processes (default: WLC_JOBS or the CPU count; 1: one after the other).")
@guarded
def diff(repo: FsPath, base: str, head: str | None, overlay: str | None, all_overlays: bool, fmt: str,
         exit_code: bool, jobs: int | None) -> int:
    """Build the repository at two git revisions and report, per overlay and workload, what
    was added, removed or changed (objects, a unified diff of their YAML), why (the input files
    that changed the resolved spec) and what it does in the cluster (jobs recreated, workloads
    stopped or activated, PVCs deleted, GPUs per project and node pool). The checkout is never
    touched: each revision is built from a temporary copy.

    \b
    Exit status: 0, or 1 when the head does not build (or, with --exit-code, when anything
    differs); 2 for an unknown revision or a folder outside git; 4 a bug in wlc.
    Example (in a pull request's CI job):
      wlc diff --base origin/main --format markdown >> "$GITHUB_STEP_SUMMARY"
    """
    if overlay is not None and all_overlays:
        raise ConfigError("--overlay and --all-overlays cannot be used together")
    concurrent = _jobs(jobs) > 1
    with ExitStack() as stack, no_cycles():
        share = sharing()
        documents = inputs.Documents() if share else None  # every file read once for the whole diff
        stack.enter_context(inputs.sharing(documents))
        head_root = stack.enter_context(gitrev.checkout(repo, head)) if head is not None else repo
        base_root = _base_beside_head(stack, repo, base, head_root, share and concurrent)
        base_ref, head_ref = _ref(repo, base), _ref(repo, head) if head is not None else "working tree"
        name = overlay if overlay is not None or all_overlays else pipeline.default_overlay(head_root)
        # which overlays exist on each side: only read when an overlay is compared
        known = [_overlays(root) if all_overlays or name is not None else None for root in (base_root, head_root)]
        sides = Revision(base_root, known[0], base_ref), Revision(head_root, known[1], head_ref)
        names = [None, *sorted((known[0] or set()) | (known[1] or set()))] if all_overlays else [name]
        overlays = tuple(compare_builds(n, *sides, jobs=_jobs(jobs), documents=documents) for n in names)
    result = diffs.Diff(base_ref, head_ref, overlays)
    click.echo(diffs.render(result, fmt), nl=False)
    if not result.head_ok:
        return EXIT_PROBLEMS
    return EXIT_PROBLEMS if exit_code and result.differs else EXIT_OK


def _ref(repo: FsPath, rev: str) -> str:
    return f"{rev} ({gitrev.resolve(repo, rev)[:12]})"


def _base_beside_head(stack: ExitStack, repo: FsPath, base: str, head_root: FsPath, beside: bool) -> FsPath:
    """The base's checkout (entered on ``stack``); with ``beside``, made while the head's files
    are read into the shared documents (``compare_builds`` finds them): the thread only waits
    on ``git archive`` and ``tar``, which run on the other CPU."""
    if not beside:
        return stack.enter_context(gitrev.checkout(repo, base))
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(stack.enter_context, gitrev.checkout(repo, base))
        if head_root.is_dir():
            pipeline.repository(head_root)
        return future.result()


def _overlays(root: FsPath) -> set[str] | None:
    """The overlay names of a revision (None: it has no readable repository)."""
    loaded = pipeline.repository(root).repo if root.is_dir() else None
    return set(loaded.names("Overlay")) if loaded is not None else None
