"""The README shows what the commands really print, and every option of every verb.

Each ```console block of README.md holds ``$ wlc ...`` lines, each followed by the lines the
terminal shows (stdout and stderr as they interleave); a line ``...`` stands for any number of
lines. The commands run in a copy of this repository, so ``wlc build`` writes there.
"""
from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from compiler.cli import commands, main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
COPIED = ["wlc.yaml", "examples", "policies", "overlays", "tests/data/policy-violations"]


def console_examples(text: str) -> list[tuple[str, list[str]]]:
    """(command, expected lines) of every ``$ `` line in the ```console blocks of ``text``."""
    out: list[tuple[str, list[str]]] = []
    for block in re.findall(r"^```console\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        for line in block.splitlines():
            if line.startswith("$ "):
                out.append((line[2:], []))
            elif out:
                out[-1][1].append(line)
    return out


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` is ``expected`` with each ``...`` line standing for any lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and actual[0] == expected[0] and matches(expected[1:], actual[1:])


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    copy = tmp_path_factory.mktemp("readme") / "repo"
    for rel in COPIED:
        if (ROOT / rel).is_dir():
            shutil.copytree(ROOT / rel, copy / rel)
        else:
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / rel, copy / rel)
    yield copy


EXAMPLES = console_examples(README)


def test_the_readme_has_output_examples() -> None:
    assert [cmd for cmd, _ in EXAMPLES][:1] == ["wlc build"] and len(EXAMPLES) >= 3


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[cmd for cmd, _ in EXAMPLES])
def test_readme_output_is_what_the_command_prints(repo_copy: Path, command: str, expected: list[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    words = shlex.split(command)
    assert words[0] == "wlc"
    monkeypatch.chdir(repo_copy)
    result = CliRunner().invoke(main, words[1:])
    actual = result.output.splitlines()
    assert matches(expected, actual), "\n".join(actual)


def test_the_matcher_needs_every_line_but_the_elided_ones() -> None:
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"]) and matches(["a", "...", "b"], ["a", "b"])
    assert not matches(["a", "d"], ["a", "b", "d"]) and not matches(["a", "...", "d"], ["a", "b"])


def _commands(group: click.Group, prefix: str) -> Iterator[tuple[str, click.Command]]:
    found = commands() if group is main else dict(group.commands)
    for name, command in sorted(found.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}", command


def test_the_verb_table_lists_every_option_of_every_verb() -> None:
    """Every verb has a row listing its options; `wlc new TYPE` has Run:ai's many flags, so its
    row points at docs/verbs.md, whose generated flag table must list them instead."""
    rows = [line for line in README.splitlines() if line.startswith("| `wlc ")]
    verbs_doc = (ROOT / "docs" / "verbs.md").read_text(encoding="utf-8")
    missing = []
    for name, command in _commands(main, "wlc"):
        row = next((r for r in rows if r.startswith((f"| `{name} ", f"| `{name}`"))), "")
        if name.startswith("wlc new "):
            new_row = next((r for r in rows if r.startswith("| `wlc new ") and "docs/verbs.md" in r), "")
            row = new_row + verbs_doc if new_row else ""
        options = [o for p in command.params if isinstance(p, click.Option) for o in p.opts if o.startswith("--")]
        missing += [f"{name}: {o}" for o in options if o != "--help" and o not in row] + ([name] if not row else [])
    assert missing == []
