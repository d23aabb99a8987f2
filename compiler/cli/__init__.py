"""The `wlc` command. Parses options, calls the pipeline, prints, exits:
0 clean, 1 problems found, 2 usage or configuration error, 3 cluster or sync failure,
4 internal error (a bug in wlc).

Each verb lives in a module of its own (``compiler/cli/<module>.py``, built on
``compiler/cli/common.py``), imported only when that verb runs (or ``--help`` lists them): a
cluster verb never loads the compiler's pipeline, a build never loads the ``kubernetes`` client.
"""
from __future__ import annotations

import importlib

import click

from .. import __version__
from .common import (
    BUG_NOTE,
    EXIT_BUG,
    EXIT_CLUSTER,
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    exit_code,
    format_option,
    guarded,
    jobs_option,
    repo_option,
)

__all__ = ["BUG_NOTE", "EXIT_BUG", "EXIT_CLUSTER", "EXIT_OK", "EXIT_PROBLEMS", "EXIT_USAGE", "VERBS", "commands", "exit_code",
           "format_option", "guarded", "jobs_option", "main", "repo_option"]

#: verb -> (module of compiler.cli, attribute): the command object, imported on first use
VERBS: dict[str, tuple[str, str]] = {
    "validate": ("compile", "validate"), "build": ("compile", "build"), "explain": ("compile", "explain_cmd"),
    "import": ("compile", "import_group"), "policy": ("compile", "policy_group"),
    "new": ("new", "new_group"),
    "stop": ("workloads", "stop"), "activate": ("workloads", "activate"), "run": ("workloads", "activate"),
    "copy": ("workloads", "copy"), "delete": ("workloads", "delete"),
    "diff": ("diff", "diff"),
    "plan": ("sync", "plan_cmd"), "sync": ("sync", "sync_cmd"), "agent": ("agent", "agent_group"),
    "get": ("view", "get"), "describe": ("view", "describe"), "logs": ("view", "logs"), "view": ("view", "view"),
    "connect": ("connect", "connect"),
    "quota": ("quota", "quota_cmd"),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported when they are asked for (``VERBS``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *VERBS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in VERBS:
            return self.commands.get(cmd_name)
        module, attr = VERBS[cmd_name]
        found = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
        if not isinstance(found, click.Command):
            raise TypeError(f"compiler.cli.{module}.{attr} is not a click command")
        return found


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="wlc")
def main() -> None:
    """wlc compiles Run:ai-style GPU workload specs in a git repository into
    deterministic Kubernetes bundles.

    \b
    Start here, at the root of a wlc repository:
      wlc validate              check every spec, print every problem
      wlc build                 compile into build/base/<namespace>/<workload>.yaml
      wlc explain resnet-train  show each field of a workload and where it came from
    """


def commands() -> dict[str, click.Command]:
    """Every verb of ``wlc`` by name, each imported (for tests and docs that walk them all)."""
    ctx = click.Context(main)
    found = {name: main.get_command(ctx, name) for name in main.list_commands(ctx)}
    return {name: cmd for name, cmd in found.items() if cmd is not None}


if __name__ == "__main__":  # pragma: no cover
    main()
