"""docs/verbs.md and docs/cli.md are true to the code: the console examples of docs/verbs.md run,
in order, in a git repository with an upstream, and print what the page shows; the YAML the page
shows is the file ``wlc new`` wrote; every ``wlc`` verb the pages name exists with the options
they give; ``--help`` of every verb shows a Run:ai user the name they know."""
from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from compiler.cli import commands, main
from compiler.edit import flags as table
from tests.test_first_hour_readme import matches
from tests.verbskit import example_repo, wlc

DOCS = Path(__file__).resolve().parent.parent / "docs"
VERBS = (DOCS / "verbs.md").read_text(encoding="utf-8")
CLI = (DOCS / "cli.md").read_text(encoding="utf-8")


def _console(text: str) -> list[tuple[str, list[str]]]:
    """(command, shown lines) of each ``$ wlc`` line of the ```console blocks; a line ending in
    ``\\`` continues on the next."""
    out: list[tuple[str, list[str]]] = []
    for block in re.findall(r"^```console\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        lines = iter(block.splitlines())
        for line in lines:
            while line.endswith("\\"):
                line = line[:-1] + next(lines).lstrip()
            if line.startswith("$ "):
                out.append((line[2:], []))
            elif out:
                out[-1][1].append(line)
    return [(cmd, shown) for cmd, shown in out if cmd.startswith("wlc ")]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_the_console_examples_of_verbs_md_print_what_they_show(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    repo = example_repo(tmp_path)
    monkeypatch.chdir(repo)
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    for args in (("init", "-q", "-b", "main"), ("config", "user.email", "t@example.com"), ("config", "user.name", "t"),
                 ("add", "-A"), ("commit", "-q", "-m", "init"), ("remote", "add", "origin", str(bare)),
                 ("push", "-q", "-u", "origin", "main")):
        _git(repo, *args)
    examples = _console(VERBS)
    assert len(examples) >= 7
    for command, shown in examples:
        words = shlex.split(command)
        result = CliRunner().invoke(main, words[1:])
        assert matches(shown, result.output.splitlines()), f"$ {command}\n{result.output}"


def test_the_yaml_verbs_md_shows_is_the_file_wlc_new_writes(tmp_path: Path) -> None:
    repo = example_repo(tmp_path)
    command, _ = _console(VERBS)[0]
    words = shlex.split(command)
    assert words[:3] == ["wlc", "new", "training"]
    assert wlc(repo, *words[1:])[0] == 0
    shown = re.search(r"^```yaml\n(.*?)^```", VERBS, re.MULTILINE | re.DOTALL)
    assert shown is not None
    written = (repo / "examples/workloads/nlp" / f"{words[3]}.yaml").read_text()
    assert written == shown.group(1)
    assert yaml.safe_load(written)["metadata"]["name"] == words[3]


def _verbs() -> set[str]:
    out = set()
    for name, cmd in commands().items():
        out.add(name)
        if isinstance(cmd, click.Group):
            out |= {f"{name} {sub}" for sub in cmd.commands}
    return out


@pytest.mark.parametrize("page", ["cli.md", "verbs.md"])
def test_every_wlc_verb_the_page_names_exists(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    named = {m.group(1) for m in re.finditer(r"`wlc ([a-z]+(?: [a-z]+)?)", text)}
    verbs = _verbs()
    assert named and [n for n in sorted(named) if n not in verbs and n.split()[0] not in verbs] == []


def test_cli_md_maps_every_runai_command_the_verbs_replace() -> None:
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in CLI.splitlines()
            if line.startswith(("| `runai", "| the "))}
    for runai, wlc_verb in [("runai training submit", "wlc new training"), ("runai workspace submit", "wlc new workspace"),
                            ("runai pytorch submit", "wlc new distributed"), ("runai inference submit", "wlc new inference"),
                            ("runai training suspend", "wlc stop"), ("runai training resume", "wlc activate"),
                            ("runai training delete", "wlc delete")]:
        assert any(runai in key and wlc_verb in value for key, value in rows.items()), runai
    assert "wlc copy" in CLI


def _help(*args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--help"], terminal_width=200)
    assert result.exit_code == 0
    return " ".join(result.output.split())


@pytest.mark.parametrize(("verb", "runai"), [("stop", "runai training suspend"), ("activate", "runai training resume"),
                                             ("run", "runai training resume"), ("delete", "runai training delete"),
                                             ("copy", "Copy & edit")])
def test_help_of_each_verb_names_what_a_runai_user_knows(verb: str, runai: str) -> None:
    text = _help(verb)
    assert f"Run:ai: {runai}" in text or runai in text
    assert "-p, --project" in text and "--commit" in text and "--dry-run" in text


@pytest.mark.parametrize("wtype", table.TYPES)
def test_help_of_new_names_the_runai_submit_command(wtype: str) -> None:
    text = _help("new", wtype)
    command = {"training": "runai training submit", "workspace": "runai workspace submit",
               "distributed": "runai pytorch|tensorflow|mpi submit", "inference": "runai inference submit"}[wtype]
    assert f"(Run:ai: {command})" in text and "-p, --project" in text and "--dry-run" in text
