"""The page's actions (docs/view.md "Actions and security model"): a POST to ``/action`` asks for
Stop, Run, Make a copy or Delete of one workload. It is carried out only when the page was
started with a token, the request carries that token in the ``X-WLC-Token`` header, comes from
the page's own origin and is JSON; then the actor (the authoring verbs, given by the CLI) edits
the repository and commits. Pure functions over the request's parts: no server, no git here."""
from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

TOKEN_HEADER = "X-WLC-Token"
VERBS = ("stop", "activate", "copy", "delete")
MAX_BODY = 4096


@dataclass(frozen=True)
class Outcome:
    """What an actor did: ``ok`` with the commit (or nothing changed), else why not."""

    ok: bool
    message: str
    commit: str = ""
    output: str = ""


#: (verb, project, name) -> Outcome; the CLI's actor runs the authoring verb with --commit
Actor = Callable[[str, str, str], Outcome]


def token_ok(configured: str | None, given: str | None) -> bool:
    """The header's token equals the configured one (constant-time); never with no token set."""
    if not configured or given is None:
        return False
    return hmac.compare_digest(configured.encode(), given.encode())


def same_origin(headers: Mapping[str, str]) -> bool:
    """A browser sends Origin with every POST: it must be this page's (``http://`` + Host)."""
    origin, host = headers.get("Origin"), headers.get("Host")
    if not origin or not host:
        return False
    url = urlparse(origin)
    return url.scheme == "http" and url.netloc == host


def handle(configured: str | None, actor: Actor | None, headers: Mapping[str, str],
           body: bytes) -> tuple[int, dict[str, object]]:
    """The HTTP code and JSON answer of a POST /action."""
    if not configured or actor is None:
        return 403, {"error": "this page is read-only (started without --token-file or $WLC_VIEW_TOKEN): "
                     "run the command shown instead"}
    if not same_origin(headers):
        return 403, {"error": "cross-origin request refused (Origin must be this page's)"}
    if not token_ok(configured, headers.get(TOKEN_HEADER)):
        return 401, {"error": "missing or wrong token"}
    if (headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
        return 415, {"error": "the request must be application/json"}
    request = _parse(body)
    if isinstance(request, str):
        return 400, {"error": request}
    verb, project, name = request
    done = actor(verb, project, name)
    answer: dict[str, object] = {"ok": done.ok, "message": done.message, "output": done.output}
    if done.commit:
        answer["commit"] = done.commit
    return (200, answer) if done.ok else (409, {"error": done.message, **answer})


def _parse(body: bytes) -> tuple[str, str, str] | str:
    """``{"verb": ..., "project": ..., "name": ...}``, else what is wrong with it."""
    if len(body) > MAX_BODY:
        return "request too large"
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        return "the request is not JSON"
    if not isinstance(data, dict):
        return "the request must be a JSON object with verb, project and name"
    verb, project, name = data.get("verb"), data.get("project"), data.get("name")
    if verb not in VERBS:
        return f"unknown action {verb!r} (one of {', '.join(VERBS)})"
    if not isinstance(project, str) or not isinstance(name, str) or not project or not name:
        return "project and name must be non-empty strings"
    return str(verb), project, name
