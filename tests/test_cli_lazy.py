"""The `wlc` group imports a verb's module only when that verb runs: a cluster verb starts without
the compiler's pipeline, a compiler verb without the kubernetes client."""
from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from compiler.cli import VERBS, commands, main


def _loaded_after(args: list[str]) -> set[str]:
    code = ("import sys\nfrom click.testing import CliRunner\nfrom compiler.cli import main\n"
            f"result = CliRunner().invoke(main, {args!r})\n"
            "assert result.exit_code == 0, result.output\n"
            "print('\\n'.join(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


@pytest.mark.parametrize("verb", ["get", "describe", "logs", "connect", "sync", "plan"])
def test_a_cluster_verb_does_not_load_the_pipeline(verb: str) -> None:
    loaded = _loaded_after([verb, "--help"])
    assert f"compiler.cli.{VERBS[verb][0]}" in loaded  # the verb's own module did load
    assert "compiler.pipeline" not in loaded and "jsonschema" not in loaded


@pytest.mark.parametrize("verb", ["validate", "build", "explain", "diff", "stop", "new"])
def test_a_compiler_verb_does_not_load_the_kubernetes_client(verb: str) -> None:
    loaded = _loaded_after([verb, "--help"])
    assert f"compiler.cli.{VERBS[verb][0]}" in loaded
    assert "kubernetes" not in loaded and "compiler.cluster.kube" not in loaded


def test_importing_the_group_loads_no_verb() -> None:
    loaded = _loaded_after(["--version"])
    assert not {f"compiler.cli.{module}" for module, _ in VERBS.values()} & loaded


def test_every_verb_resolves_to_its_command() -> None:
    found = commands()
    assert set(found) == set(VERBS)
    for name, cmd in found.items():
        assert isinstance(cmd, click.Command)
        assert cmd.name == ("activate" if name == "run" else name)


def test_help_lists_every_verb_and_an_unknown_one_is_a_usage_error() -> None:
    shown = CliRunner().invoke(main, ["--help"])
    assert shown.exit_code == 0
    listed = {line.split()[0] for line in shown.output.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == set(VERBS)
    wrong = CliRunner().invoke(main, ["bulid"])
    assert wrong.exit_code == 2 and "No such command 'bulid'" in wrong.output
