"""Replacing a bundle is atomic: a reader, a SIGKILL at any moment and concurrent builds only
ever see the previous bundle whole or the new one whole (compiler/outdir.py)."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.outdirkit import ROOT, make_repo, run, tree, whole_bundle

IMAGES = ("python:3.11", "python:3.12")


def _command(repo: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "compiler.cli", "build", "--repo", str(repo), "--out", str(out)]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _state(out: Path) -> str:
    """Which image the whole bundle at OUT/base was built with (asserting it is whole)."""
    problem = whole_bundle(out / "base")
    assert problem is None, problem
    text = (out / "base" / "runai-vision" / "t0.yaml").read_text()
    return next(line.split()[-1] for line in text.splitlines() if line.strip().startswith("image: "))


def test_a_build_killed_at_random_moments_leaves_the_old_or_the_new_bundle_whole(tmp_path: Path) -> None:
    repo, out = make_repo(tmp_path / "repo", 300, "python:2.0"), tmp_path / "out"
    t0 = time.monotonic()
    subprocess.run(_command(repo, out), env=_env(), check=True, capture_output=True)
    full = time.monotonic() - t0
    rng, outcomes = random.Random(9), {"old": 0, "new": 0, "mid-write": 0}
    for seed in range(12):
        before, generations = _state(out), set((out / ".wlc").glob("base.*"))
        image = f"python:3.{seed}"  # a new bundle each time (generations are named by content)
        make_repo(repo, 300, image)
        proc = subprocess.Popen(_command(repo, out), env=_env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        if seed % 2:  # aim at the write: kill as soon as the new generation folder appears
            _wait_for_new_generation(out, time.monotonic() + 3 * full, rng.uniform(0, 0.002))
        else:  # anywhere in the run
            time.sleep(rng.uniform(0, 1.1) * full)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = _state(out)  # asserts the bundle is whole
        assert after in (before, image)
        outcomes["new" if after == image else "old"] += 1
        # a new generation that is not linked: this kill landed while the bundle was written
        live = out / ".wlc" / os.readlink(out / "base").split("/")[1]
        outcomes["mid-write"] += bool(set((out / ".wlc").glob("base.*")) - generations - {live})
    print(f"kills: {outcomes}")
    assert outcomes["mid-write"] >= 1
    make_repo(repo, 300, "python:4.0")
    subprocess.run(_command(repo, out), env=_env(), check=True, capture_output=True)
    assert len(list((out / ".wlc").glob("base.*"))) == 2  # the next build cleans up what kills left


def _wait_for_new_generation(out: Path, until: float, poll: float) -> None:
    old = set((out / ".wlc").glob("base.*"))
    while time.monotonic() < until and not set((out / ".wlc").glob("base.*")) - old:
        time.sleep(poll)


class SimulatedKill(BaseException):
    """Raised where a SIGKILL could land; BaseException, so nothing in wlc catches it."""


@pytest.mark.parametrize("step", range(12))
def test_a_crash_at_each_step_of_publishing_keeps_the_old_bundle_whole(tmp_path: Path, step: int,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from compiler import outdir
    out = tmp_path / "out"
    old = {"index.json": json.dumps({"kind": "BundleIndex", "workloads": []})}
    outdir.publish(out, {"base": old})
    before = tree(out / "base")
    calls = {"n": 0}
    real = {name: getattr(os, name) for name in ("replace", "symlink", "rename", "makedirs", "mkdir", "open")}

    def crashing(name: str) -> object:
        def call(*args: object, **kwargs: object) -> object:
            calls["n"] += 1
            if calls["n"] == step + 1:
                raise SimulatedKill(name)
            return real[name](*args, **kwargs)
        return call

    for name in real:
        monkeypatch.setattr(os, name, crashing(name))  # the calls outdir makes
    real["file"] = open
    monkeypatch.setattr(outdir, "open", crashing("file"), raising=False)  # each file written
    new = {"index.json": json.dumps({"kind": "BundleIndex", "workloads": [{"file": "ns/w.yaml"}]}),
           "ns/w.yaml": "---\n"}
    try:
        outdir.publish(out, {"base": new})
        crashed = False
    except SimulatedKill:
        crashed = True
    monkeypatch.undo()
    assert tree(out / "base") == (before if crashed else {k: v.encode() for k, v in new.items()})
    outdir.publish(out, {"base": new})
    assert tree(out / "base") == {k: v.encode() for k, v in new.items()}
    assert len(list((out / ".wlc").glob("base.*"))) == (2 if crashed else 1)  # leftovers are gone


def test_four_concurrent_builds_into_one_out_all_succeed_and_leave_one_whole_bundle(tmp_path: Path) -> None:
    repo, out, waited = make_repo(tmp_path / "repo", 200), tmp_path / "out", 0
    for _ in range(2):
        procs = [subprocess.Popen(_command(repo, out), env=_env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
        results = [(p.wait(), p.communicate()[1]) for p in procs]
        waited += sum("waiting for another wlc build" in err for _, err in results)
        assert [code for code, _ in results] == [0, 0, 0, 0], results
        _state(out)
        assert len(list((out / ".wlc").glob("base.*"))) <= 2
    print(f"builds that waited for the lock: {waited} of 8")


def _read_repeatedly(out: Path, stop: threading.Event, seen: list[str], reads: list[int]) -> None:
    while not stop.is_set():
        problem = whole_bundle(out / "base")
        reads[0] += 1
        if problem is not None:
            seen.append(problem)


def test_a_reader_during_rebuilds_never_sees_a_missing_or_partial_bundle(tmp_path: Path) -> None:
    repo, out = make_repo(tmp_path / "repo", 60, IMAGES[0]), tmp_path / "out"
    assert run("build", "--repo", str(repo), "--out", str(out))[0] == 0
    stop, seen, reads = threading.Event(), list[str](), [0]
    reader = threading.Thread(target=_read_repeatedly, args=(out, stop, seen, reads))
    reader.start()
    try:
        for i in range(8):
            make_repo(repo, 60 + i % 2, IMAGES[i % 2])  # each rebuild changes files and their number
            assert run("build", "--repo", str(repo), "--out", str(out))[0] == 0
    finally:
        stop.set()
        reader.join()
    print(f"reads: {reads[0]}")
    assert seen == [] and reads[0] > 8
