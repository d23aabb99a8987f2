"""The page's actions (compiler/cluster/view/actions.py, compiler/cli/view_actions.py): POST
/action is refused without a configured token, with a missing or wrong token, cross-origin or
not JSON; with the right token the actor runs the authoring verb and commits in a real git
repository (git init of a copy of examples/)."""
from __future__ import annotations

import json
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from compiler.cli.view_actions import make_actor, read_token
from compiler.cluster.view import actions, web
from compiler.cluster.view.actions import Outcome
from compiler.problems import ConfigError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TOKEN = "s3cret-token-0123456789"
calls: list[tuple[str, str, str]] = []


def recording_actor(verb: str, project: str, name: str) -> Outcome:
    calls.append((verb, project, name))
    return Outcome(True, f"wlc {verb} {project}/{name}", commit="abc123")


def start(token: str | None) -> Iterator[str]:
    srv = web.serve(lambda: ([], {}), lambda w: [], lambda w: "", port=0, actor=recording_actor, token=token)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def armed() -> Iterator[str]:
    calls.clear()
    yield from start(TOKEN)


@pytest.fixture
def read_only() -> Iterator[str]:
    calls.clear()
    yield from start(None)


def post(host: str, headers: dict[str, str], body: object = None) -> tuple[int, dict[str, object]]:
    data = json.dumps(body if body is not None else {"verb": "stop", "project": "nlp", "name": "llama"}).encode()
    sent = {"Content-Type": "application/json", "Origin": f"http://{host}", **headers}
    req = urllib.request.Request(f"http://{host}/action", data=data, method="POST",
                                 headers={k: v for k, v in sent.items() if v})
    try:
        with urllib.request.urlopen(req) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_read_only_page_refuses_every_post(read_only: str) -> None:
    code, answer = post(read_only, {actions.TOKEN_HEADER: TOKEN})
    assert code == 403 and "read-only" in str(answer["error"]) and calls == []


def test_missing_and_wrong_token_refused(armed: str) -> None:
    assert post(armed, {})[0] == 401
    assert post(armed, {actions.TOKEN_HEADER: TOKEN + "x"})[0] == 401
    assert post(armed, {actions.TOKEN_HEADER: ""})[0] == 401
    assert calls == []


def test_right_token_acts(armed: str) -> None:
    code, answer = post(armed, {actions.TOKEN_HEADER: TOKEN})
    assert code == 200 and answer["commit"] == "abc123" and calls == [("stop", "nlp", "llama")]


def test_cross_origin_and_non_json_refused(armed: str) -> None:
    token = {actions.TOKEN_HEADER: TOKEN}
    assert post(armed, {**token, "Origin": "http://evil.example"})[0] == 403
    assert post(armed, {**token, "Origin": ""})[0] == 403  # a browser always sends Origin on POST
    assert post(armed, {**token, "Content-Type": "text/plain"})[0] == 415  # a form post cannot set JSON
    assert post(armed, token, {"verb": "rm -rf", "project": "nlp", "name": "x"})[0] == 400
    assert post(armed, token, ["stop"])[0] == 400
    assert calls == []


def test_token_compare() -> None:
    assert actions.token_ok(TOKEN, TOKEN)
    assert not actions.token_ok(TOKEN, TOKEN[:-1]) and not actions.token_ok(None, "") and not actions.token_ok("", "")


def test_read_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WLC_VIEW_TOKEN", raising=False)
    assert read_token(None) is None
    monkeypatch.setenv("WLC_VIEW_TOKEN", TOKEN)
    assert read_token(None) == TOKEN
    (tmp_path / "t").write_text("short\n")
    with pytest.raises(ConfigError, match="at least 16"):
        read_token(tmp_path / "t")
    (tmp_path / "t").write_text(TOKEN + "\nignored\n")
    assert read_token(tmp_path / "t") == TOKEN


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def git_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES, repo)
    git(repo, "init", "-q")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "examples")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    return repo


def test_actor_commits_stop_and_refuses_clearly(tmp_path: Path) -> None:
    repo = git_repo(tmp_path)
    act = make_actor(repo)
    done = act("stop", "nlp", "llama-finetune")
    assert done.ok and done.commit == git(repo, "rev-parse", "HEAD").strip()
    assert "llama-finetune" in done.message
    assert "+  active: false" in git(repo, "show", "HEAD", "--", "workloads/nlp/llama-finetune.yaml")
    unknown = act("stop", "nlp", "no-such-workload")
    assert not unknown.ok and "no-such-workload" in unknown.message and not unknown.commit
    (repo / "workloads/nlp/chat-grpc.yaml").write_text("# edited by hand\n", encoding="utf-8")
    dirty = act("delete", "nlp", "chat-grpc")
    assert not dirty.ok and "uncommitted" in dirty.message and "chat-grpc" in dirty.output
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "2"


def test_token_file_needs_repo(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from compiler.cli import main
    (tmp_path / "token").write_text(TOKEN + "\n")
    done = CliRunner().invoke(main, ["view", "--token-file", str(tmp_path / "token"), "--port", "0"])
    assert done.exit_code == 2 and "--token-file needs --repo DIR" in done.output
