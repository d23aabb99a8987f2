"""Bounded input: no file can make wlc hang, exhaust memory or crash, and every refusal is a
located one-line problem (docs/trust.md, "What wlc reads, and the limits").

Cases that hang or eat memory on an unbounded loader run in a subprocess with a timeout and an
address-space limit, so a regression fails fast instead of taking the machine down.
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import load, pipeline
from compiler.load import find_yaml_files, parse_documents, read_file

BASE = Path(__file__).resolve().parent / "invalid" / "_base"
ROOT = Path(__file__).resolve().parent.parent
WORKLOAD = """apiVersion: wlc.dev/v1alpha1
kind: TrainingWorkload
metadata:
  name: {name}
spec:
  image: nvcr.io/nvidia/pytorch:24.09-py3
"""
#: the classic "billion laughs" (issue 9 had a 285-byte one): 9 levels of 9 aliases, 9^9 strings
BOMB = "a: &a [l,l,l,l,l,l,l,l,l]\n" + "".join(
    f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))


def make_repo(tmp_path: Path, files: dict[str, str | bytes] | None = None) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo)
    (repo / "workloads" / "vision").mkdir(parents=True)
    (repo / "workloads" / "vision" / "ok.yaml").write_text(WORKLOAD.format(name="ok"))
    for rel, content in (files or {}).items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return repo


def problems(repo: Path) -> list[str]:
    return [p.text() for p in pipeline.check(repo).problems]


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def wlc(repo: Path, *args: str, timeout: float = 20, stdin: int | None = subprocess.DEVNULL,
        prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """`wlc validate --repo REPO` in a subprocess under a 1 GiB address-space limit."""
    cmd = [*prefix, sys.executable, "-c", "from compiler.cli import main; main()",
           "validate", "--repo", str(repo), *args]
    try:
        return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout, stdin=stdin,
                              preexec_fn=_limit_memory, cwd=ROOT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"wlc validate did not finish within {timeout} s")


def output_lines(run: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in run.stdout.splitlines() if ": error[" in line or ": warning[" in line]


# --- YAML aliases, nesting, numbers, keys ------------------------------------------------------

def test_bomb_is_about_300_bytes() -> None:
    assert len(BOMB) == 306


def test_alias_bomb_outside_the_workload_roots_is_answered_quickly_with_a_located_problem(
        tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"notes/laughs.yaml": BOMB})
    start = time.monotonic()
    run = wlc(repo, timeout=10)
    assert time.monotonic() - start < 10
    assert run.returncode == 1, run.stderr
    lines = output_lines(run)
    assert len(lines) == 1 and lines[0].startswith("notes/laughs.yaml:"), run.stdout
    assert "error[yaml.aliases]" in lines[0]


def test_alias_bomb_parse_takes_well_under_a_second() -> None:
    code = ("import sys, time; from compiler.load import parse_documents; t = time.perf_counter(); "
            "docs, found = parse_documents(sys.stdin.read(), 'b.yaml'); "
            "print(time.perf_counter() - t, len(docs), *[(p.line, p.col, p.code) for p in found])")
    try:
        run = subprocess.run([sys.executable, "-c", code], check=False, input=BOMB, capture_output=True, text=True,
                             timeout=10, preexec_fn=_limit_memory, cwd=ROOT)
    except subprocess.TimeoutExpired:
        pytest.fail("parsing the alias bomb did not end within 10 s")
    seconds, ndocs, where = run.stdout.split(" ", 2)
    assert float(seconds) < 0.5 and ndocs == "0", run.stderr
    assert where.strip() == "(5, 4, 'yaml.aliases')"  # e: &e [*d, ...] crosses 10,000 values


def test_modest_aliases_still_work() -> None:
    text = "env: &e [{name: A, value: '1'}, {name: B, value: '2'}]\nx: *e\ny: *e\n"
    docs, found = parse_documents(text, "a.yaml")
    assert found == []
    assert docs[0].data["y"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert docs[0].locs[("y", 1, "value")] == (1, 50)  # where it is written


def test_aliases_may_expand_as_much_as_the_file_writes_out() -> None:
    items = ", ".join(f"k{i}: {i}" for i in range(12_000))
    text = f"a: &a {{{items}}}\nb: *a\n"
    docs, found = parse_documents(text, "a.yaml")
    assert found == [] and len(docs[0].data["b"]) == 12_000
    _, found = parse_documents(text + "c: *a\n", "a.yaml")
    assert [(p.line, p.col, p.code) for p in found] == [(3, 1, "yaml.aliases")]


def test_many_documents_without_aliases_never_count_as_aliases() -> None:
    # a freed document's node ids are reused by the next one's: not an alias
    _, found = parse_documents("[[[[[[[[[[]]]]]]]]]]\n---\n" * 2_000, "m.yaml")
    assert found == []


def test_recursive_alias_is_a_problem_not_a_crash() -> None:
    _, found = parse_documents("a: &a [1, *a]\n", "r.yaml")
    assert [(p.line, p.code) for p in found] == [(1, "yaml.aliases")]
    assert "itself" in found[0].message


def test_nesting_deeper_than_the_limit_is_a_located_problem() -> None:
    def flow(depth: int) -> str:  # the mapping, then depth - 1 lists
        return "x: " + "[" * (depth - 1) + "]" * (depth - 1) + "\n"
    assert parse_documents(flow(load.MAX_DEPTH), "d.yaml")[1] == []
    text = "ok: 1\n---\n" + flow(load.MAX_DEPTH + 1) + "---\nlater: 2\n"
    docs, found = parse_documents(text, "d.yaml")
    assert [d.data for d in docs] == [{"ok": 1}, {"later": 2}]
    assert [(p.line, p.col, p.code) for p in found] == [(3, 3 + load.MAX_DEPTH, "yaml.depth")]
    assert f"deeper than {load.MAX_DEPTH} levels" in found[0].message


def test_block_nesting_at_the_limit_is_fine_and_one_deeper_is_not() -> None:
    def nested(n: int) -> str:
        return "".join(" " * i + "k:\n" for i in range(n - 1)) + " " * (n - 1) + "k: v\n"
    assert parse_documents(nested(load.MAX_DEPTH), "a.yaml")[1] == []
    _, found = parse_documents(nested(load.MAX_DEPTH + 1), "a.yaml")
    assert [(p.line, p.code) for p in found] == [(load.MAX_DEPTH + 1, "yaml.depth")]


def test_libyaml_nesting_limit_is_one_line_at_its_position() -> None:
    _, found = parse_documents("x: " + "[" * 1500 + "]" * 1500 + "\n", "d.yaml")
    assert len(found) == 1 and "\n" not in found[0].message and found[0].line == 1


def test_integer_of_more_than_4300_digits_is_a_located_problem() -> None:
    _, found = parse_documents("a: 1\nn: " + "9" * 5000 + "\n", "i.yaml")
    assert [(p.line, p.col, p.code) for p in found] == [(2, 4, "yaml.int-range")]
    assert len(found[0].message) < 200


@pytest.mark.parametrize("text", ["9223372036854775808", "-9223372036854775809", "0x" + "f" * 20000,
                                  "1:" + ":".join(["59"] * 3000)])
def test_integers_beyond_64_bits_are_problems(text: str) -> None:
    _, found = parse_documents(f"n: {text}\n", "i.yaml")
    assert [(p.line, p.col, p.code) for p in found] == [(1, 4, "yaml.int-range")]


def test_base_60_float_that_overflows_is_a_problem_not_a_crash() -> None:
    _, found = parse_documents("a: 190:20:30.15\nb: " + "1:" * 300_000 + "1.5\nc: " + "59:" * 200 + "1.5\n", "f.yaml")
    assert [(p.line, p.col, p.code) for p in found] == [(2, 4, "yaml.number-range"), (3, 4, "yaml.number-range")]


def test_64_bit_integers_and_inf_nan_parse() -> None:
    docs, found = parse_documents("a: 9223372036854775807\nb: -9223372036854775808\nc: .inf\nd: .nan\n",
                                  "i.yaml")
    assert found == []
    data = docs[0].data
    assert data["a"] == 2**63 - 1 and data["b"] == -2**63 and data["c"] == float("inf")
    assert data["d"] != data["d"]


def test_nul_byte_is_reported_at_its_line_and_column_on_one_line() -> None:
    _, found = parse_documents('a: 1\nb: "x\x00"\n', "n.yaml")
    assert len(found) == 1 and "\n" not in found[0].message
    assert (found[0].line, found[0].col) == (2, 6)


def test_bad_utf8_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "u.yaml").write_bytes(b"a: \xc3\xa9\nb: caf\xe9\n")
    _, found = read_file(tmp_path, "u.yaml")
    assert [(p.line, p.col, p.code) for p in found] == [(2, 7, "file.encoding")]


@pytest.mark.parametrize(("key", "kind"), [("on", "a boolean"), ("no", "a boolean"), ("010", "an integer"),
                                           ("0x1F", "an integer"), ("1_000", "an integer"),
                                           ("1.5", "a number"), ("~", "null"), ("2024-01-01", "a date")])
def test_keys_yaml_1_1_reads_as_non_strings_are_located_problems(key: str, kind: str) -> None:
    docs, found = parse_documents(f"metadata:\n  labels:\n    a: b\n    {key}: x\n", "k.yaml")
    assert [(p.line, p.col, p.code) for p in found] == [(4, 5, "yaml.key-type")]
    assert f"key {key} " in found[0].message and kind in found[0].message
    assert f'quote it ("{key}")' in found[0].message
    assert docs[0].data["metadata"]["labels"] == {"a": "b", key: "x"}  # kept as written


def test_quoted_keys_are_strings() -> None:
    docs, found = parse_documents("'on': 1\n\"010\": 2\n", "k.yaml")
    assert found == [] and docs[0].data == {"on": 1, "010": 2}


def test_non_string_keys_in_a_workload_are_reported_by_the_pipeline(tmp_path: Path) -> None:
    text = WORKLOAD.format(name="keys").replace("  name: keys\n", "  name: keys\n  labels:\n    on: x\n")
    repo = make_repo(tmp_path, {"workloads/vision/keys.yaml": text})
    lines = problems(repo)
    assert len(lines) == 1 and lines[0].startswith("workloads/vision/keys.yaml:6:5: error[yaml.key-type]")


# --- what is read: regular files only, bounded ----------------------------------------------

def test_symlink_to_dev_zero_is_not_read(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / "workloads" / "vision" / "zero.yaml").symlink_to("/dev/zero")
    run = wlc(repo, timeout=10)
    assert output_lines(run) == [
        ("workloads/vision/zero.yaml:0:0: error[file.symlink-outside]: a symbolic link to /dev/zero, "
         "outside the repository: not followed")], run.stdout + run.stderr
    assert run.returncode == 1


def test_fifo_named_yaml_does_not_hang(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    os.mkfifo(repo / "workloads" / "vision" / "x.yaml")
    run = wlc(repo, timeout=10)
    assert output_lines(run) == [
        ("workloads/vision/x.yaml:0:0: error[file.not-regular]: a named pipe (FIFO), not a regular file:"
         " wlc reads only regular files")], run.stdout + run.stderr


def test_symlink_to_dev_stdin_does_not_hang(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / "policies").mkdir()
    (repo / "policies" / "in.yaml").symlink_to("/dev/stdin")
    run = wlc(repo, timeout=10, stdin=subprocess.PIPE)
    assert [line.split(": ", 1)[0] for line in output_lines(run)] == ["policies/in.yaml:0:0"]
    assert "error[file.symlink-outside]" in run.stdout


def test_read_file_never_follows_a_symlink_itself(tmp_path: Path) -> None:
    (tmp_path / "real.yaml").write_text("a: 1\n")
    (tmp_path / "link.yaml").symlink_to("real.yaml")
    docs, found = read_file(tmp_path, "link.yaml")
    assert docs == [] and [p.code for p in found] == ["file.symlink"]


def test_symlink_inside_the_repo_is_a_warning_and_not_followed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / "workloads" / "nlp").mkdir()
    (repo / "workloads" / "nlp" / "ok.yaml").symlink_to("../vision/ok.yaml")
    assert problems(repo) == [
        ("workloads/nlp/ok.yaml:0:0: warning[file.symlink]: a symbolic link to ../vision/ok.yaml:"
         " not followed (wlc reads every file where it lives)")]


def test_symlinked_folder_outside_the_repo_is_an_error(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "w.yaml").write_text(WORKLOAD.format(name="w"))
    repo = make_repo(tmp_path)
    (repo / "workloads" / "nlp").symlink_to(outside)
    lines = problems(repo)
    assert len(lines) == 1 and lines[0].startswith("workloads/nlp:0:0: error[file.symlink-outside]")


def test_symlinked_folder_inside_the_repo_is_a_warning_and_not_followed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / "workloads" / "nlp").symlink_to("vision")
    assert problems(repo) == [
        ("workloads/nlp:0:0: warning[file.symlink]: a symbolic link to vision: not followed (wlc reads every file"
         " where it lives)")]


def test_dangling_symlink_is_an_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / "workloads" / "vision" / "gone.yaml").symlink_to("/nonexistent/gone.yaml")
    assert [p.split(": ")[1] for p in problems(repo)] == ["error[file.symlink-outside]"]


def test_symlinks_not_named_yaml_and_hidden_ones_are_ignored(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / "README.md").symlink_to("/etc/hostname")
    (repo / ".cache").symlink_to("/tmp")
    assert problems(repo) == []


def test_repository_reached_through_a_symlink_is_read(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (tmp_path / "alias").symlink_to(repo)
    assert problems(tmp_path / "alias") == []


def test_wlc_yaml_that_is_not_a_regular_file_is_an_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    os.mkfifo(repo / "wlc.yaml")
    assert [p.split(": ")[1] for p in problems(repo)] == ["error[file.not-regular]"]


def test_file_over_the_default_limit_is_refused_without_reading_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    big = repo / "notes" / "big.yaml"
    big.parent.mkdir()
    with big.open("wb") as fh:  # 200 MB, sparse: quick to make, costly to read
        fh.write(b"a: 1\n")
        fh.truncate(200_000_000)
    code = ("import resource, sys; from pathlib import Path; from compiler import pipeline; "
            "r = pipeline.check(Path(sys.argv[1])); "
            "print(*[p.text() for p in r.problems], sep='\\n'); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    run = subprocess.run([sys.executable, "-c", code, str(repo)], check=False, capture_output=True, text=True,
                         timeout=20, preexec_fn=_limit_memory, cwd=ROOT)
    *lines, rss = run.stdout.splitlines()
    assert lines == [("notes/big.yaml:0:0: error[file.too-large]: 200,000,000 bytes, over the limit of "
                      "1,048,576 (spec.limits.maxFileBytes in wlc.yaml)")], run.stderr
    assert int(rss) < 200_000  # KiB: the file was never read


def test_max_file_bytes_is_configurable_in_wlc_yaml(tmp_path: Path) -> None:
    config = ("apiVersion: wlc.dev/v1alpha1\nkind: Repository\nmetadata:\n  name: r\n"
              "spec:\n  workloadRoots: [workloads]\n  limits:\n    maxFileBytes: 900\n")  # the _base files are smaller
    padded = WORKLOAD.format(name="big") + "# " + "x" * 900 + "\n"
    repo = make_repo(tmp_path, {"wlc.yaml": config, "workloads/vision/big.yaml": padded})
    lines = problems(repo)
    assert len(lines) == 1 and lines[0].startswith("workloads/vision/big.yaml:0:0: error[file.too-large]")
    assert "over the limit of 900 " in lines[0]


def test_read_file_takes_the_limit_as_an_argument(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("a: 1\n" * 100)
    docs, found = read_file(tmp_path, "a.yaml", max_bytes=10)
    assert docs == [] and [p.code for p in found] == ["file.too-large"]


# --- folders ------------------------------------------------------------------------------------

def test_folder_that_cannot_be_listed_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path)
    locked = str(repo / "workloads" / "vision")
    real = os.scandir

    def scandir(path: str) -> object:
        if os.path.abspath(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real(path)
    monkeypatch.setattr(os, "scandir", scandir)
    assert problems(repo) == [
        ("workloads/vision:0:0: error[file.unreadable-folder]: cannot list this folder (Permission denied):"
         " its files would be missing")]


def test_find_yaml_files_reports_what_it_could_not_list(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b.yaml").write_text("x: 1\n")
    real = os.scandir

    def scandir(path: str) -> object:
        if os.path.basename(path) == "a":
            raise OSError(5, "Input/output error", path)
        return real(path)
    monkeypatch.setattr(os, "scandir", scandir)
    files, found = load.discover(tmp_path, [])
    assert files == ["b.yaml"] and [p.text() for p in found] == [
        ("a:0:0: error[file.unreadable-folder]: cannot list this folder (Input/output error):"
         " its files would be missing")]
    assert find_yaml_files(tmp_path, []) == ["b.yaml"]


@pytest.mark.skipif(shutil.which("setpriv") is None or os.geteuid() != 0,
                    reason="needs root and setpriv to drop the permission-override capabilities")
def test_chmod_000_folder_is_an_error_for_real(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    locked = repo / "workloads" / "vision"
    locked.chmod(0)
    try:  # root ignores chmod; without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH it cannot
        run = wlc(repo, prefix=("setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"))
    finally:
        locked.chmod(0o755)
    assert output_lines(run) == [
        ("workloads/vision:0:0: error[file.unreadable-folder]: cannot list this folder (Permission denied):"
         " its files would be missing")], run.stdout + run.stderr


# --- memory proportional to the input -----------------------------------------------------------

MEMORY_PROBE = """
import gc, resource, sys
from collections.abc import Callable
from pathlib import Path
from compiler import load
gc.disable()  # as in a build (compiler.pipeline): the worst case
root, rel = Path(sys.argv[1]), sys.argv[2]
load.read_file(root, "warm.yaml")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
docs, found = load.read_file(root, rel)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(len(found), (after - before) * 1024)
"""


SHAPES: dict[str, tuple[Callable[[int], str], int]] = {  # name: (text of about `size` bytes, problems)
    "flow-list": (lambda size: "a: [" + "0," * (size // 2) + "]\n", 0),  # densest: a value per 2 bytes
    "block-map": (lambda size: "".join(f"k{i}: {i}\n" for i in range(size // 14)), 0),
    "aliases": (lambda size: "a: &a [" + "0," * (size // 4) + "]\nb: *a\nc: *a\n", 1),  # c: over budget
    "deep": (lambda size: ("[" * load.MAX_DEPTH + "]" * load.MAX_DEPTH + "\n---\n") * (size // 134), 0),
    "duplicate-keys": (lambda size: "{" + "a," * (size // 2) + "}\n", load.MAX_PROBLEMS + 1),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_parsing_memory_stays_within_the_documented_bound(tmp_path: Path, shape: str) -> None:
    make, expected = SHAPES[shape]
    text = make(512 << 10)
    assert len(text) <= load.DEFAULT_MAX_FILE_BYTES
    (tmp_path / "in.yaml").write_text(text)
    (tmp_path / "warm.yaml").write_text("a: [1, {b: c}]\n")
    run = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(tmp_path), "in.yaml"], check=False,
                         capture_output=True, text=True, timeout=60, preexec_fn=_limit_memory, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    found, grown = map(int, run.stdout.split())
    assert found == expected
    assert grown <= load.MEMORY_PER_BYTE * len(text.encode()), f"{grown / len(text):.0f} bytes per input byte"


REPO_MEMORY_PROBE = """
import gc, resource, sys
from pathlib import Path
from compiler import config, inputs
gc.disable()
root = Path(sys.argv[1])
cfg = config.RepoConfig(root)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
docs, found = inputs.load_docs(root, cfg, None)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(len(docs), len(found), (after - before) * 1024)
"""


def test_loading_a_repository_stays_within_the_bound_of_its_total_input(tmp_path: Path) -> None:
    """Documents kept after parsing cost less than their parse: the peak of loading many of the
    densest files (each kept, since each is a wlc document) is within MEMORY_PER_BYTE of their sum."""
    (tmp_path / "warm.yaml").write_text("a: [1, {b: c}]\n")
    for i in range(8):
        body = f"apiVersion: wlc.dev/v1alpha1\nkind: Template\nmetadata: {{name: t{i}}}\nspec: ["
        (tmp_path / f"t{i}.yaml").write_text(body + "0," * (128 << 10) + "]\n")
    total = sum(p.stat().st_size for p in tmp_path.glob("t*.yaml"))
    run = subprocess.run([sys.executable, "-c", REPO_MEMORY_PROBE, str(tmp_path)], check=False,
                         capture_output=True, text=True, timeout=120, preexec_fn=_limit_memory, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    kept, found, grown = map(int, run.stdout.split())
    assert (kept, found) == (8, 0)  # warm.yaml is read too, and dropped (not a wlc document)
    assert grown <= load.MEMORY_PER_BYTE * total, f"{grown / total:.0f} bytes per input byte"


def test_problems_of_one_file_are_capped_with_a_count_of_the_rest() -> None:
    _, found = parse_documents("{" + "a," * 500 + "}\n", "f.yaml")
    assert len(found) == load.MAX_PROBLEMS + 1
    assert found[-1].text() == "f.yaml:1:202: error[yaml.more-problems]: 399 more problems in this file are not shown"
