"""wlc's own exceptions for the cluster side: every client, HTTP or connection error becomes one.

``TemporaryError``: trying again later may succeed (connection refused, timeouts, 429, 5xx).
``PermanentError``: it will not (403, 404 of a kind, 422 invalid, 409 field conflict, ...).
"""
from __future__ import annotations

import json
import re
from typing import Any

from ..problems import WlcError

TEMPORARY_STATUS = frozenset({0, 408, 429, 500, 502, 503, 504})


class ClusterError(WlcError):
    """A cluster or sync failure (exit code 3)."""

    temporary = False

    def __init__(self, message: str, status: int = 0, reason: str = "", causes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        self.causes = causes


class TemporaryError(ClusterError):
    """The API server could not be reached or asked to come back later."""

    temporary = True


class PermanentError(ClusterError):
    """The API server refused the request; sending it again will not help."""


class NotFound(PermanentError):
    """The object (or its kind) does not exist."""


class Conflict(PermanentError):
    """409: another field manager owns a field, or the object changed under us."""


class MissingKind(PermanentError):
    """The cluster does not serve a kind the bundle uses (its CRD is not installed)."""


def from_status(status: int, body: bytes | str | None, what: str) -> ClusterError:
    """The exception for a non-2xx response; ``body`` is the API server's Status object."""
    message, reason, causes = _parse_status(body)
    if causes:  # the server's message repeats the whole invalid value; its causes name the fields
        message = "; ".join(causes)
    text = f"{what}: {status} {reason or 'error'}: {message}" if message else f"{what}: HTTP {status}"
    if any("immutable" in c for c in causes):
        text += (" (its spec hash is unchanged, so wlc does not re-create it: change the spec, or delete the "
                 "object by hand)")
    if status in TEMPORARY_STATUS:
        return TemporaryError(text, status, reason, causes)
    if status == 404:
        return NotFound(text, status, reason, causes)
    if status == 409:
        return Conflict(text, status, reason, causes)
    return PermanentError(text, status, reason, causes)


def from_exception(err: BaseException, what: str) -> ClusterError:
    """A transport failure (urllib3, SSL, the client's ApiException without a response)."""
    status = int(getattr(err, "status", 0) or 0)
    if status:
        return from_status(status, getattr(err, "body", None), what)
    detail = str(getattr(err, "reason", "") or err).strip().splitlines()
    return TemporaryError(f"{what}: cannot reach the API server: {detail[0] if detail else type(err).__name__}")


def _parse_status(body: bytes | str | None) -> tuple[str, str, tuple[str, ...]]:
    if not body:
        return "", "", ()
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        text = body.decode(errors="replace") if isinstance(body, bytes) else body
        return text.strip()[:300], "", ()
    if not isinstance(data, dict):
        return "", "", ()
    details = data.get("details") if isinstance(data.get("details"), dict) else {}
    causes = tuple(": ".join(_short(str(c[k])) for k in ("field", "message") if c.get(k))
                   for c in (details or {}).get("causes") or [] if isinstance(c, dict))
    return str(data.get("message", "")), str(data.get("reason", "")), causes


def _short(message: str) -> str:
    """A cause without the whole invalid value the server repeats (a Job template is kilobytes)."""
    return re.sub(r"Invalid value: .*: ", "", message) if len(message) > 200 else message
