"""Container logs of a workload's pods (GET pods/log: text, not JSON, so Kube.stream, not Kube.request).

``read`` returns the whole log; ``follow`` streams it (``follow=true``) to a callback as the
chunks arrive, until the server ends the stream or the caller stops (Ctrl-C)."""
from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import urllib3

from .. import errors
from ..fetch import Workload
from ..kube import Kube

CHUNK = 4096


def pick_pod(w: Workload, pod: str | None, replica: str | None) -> str:
    """The pod asked for: by name, by replica (``worker-1`` = the pod name ending so), else the first."""
    names = sorted(str(p["metadata"]["name"]) for p in w.pods)
    if pod:
        if pod not in names:
            raise errors.PermanentError(f"workload {w.name} has no pod {pod} (pods: {', '.join(names) or 'none'})")
        return pod
    if replica:
        found = [n for n in names if n.endswith(f"-{replica}")]
        if not found:
            raise errors.PermanentError(f"workload {w.name} has no replica {replica} (pods: {', '.join(names) or 'none'})")
        return found[0]
    if not names:
        raise errors.PermanentError(f"workload {w.name} has no pods (yet): see `wlc describe {w.name}`")
    return names[0]


def _query(container: str | None, previous: bool, tail: int | None, follow: bool) -> dict[str, str]:
    query: dict[str, str] = {}
    if container:
        query["container"] = container
    if previous:
        query["previous"] = "true"
    if tail is not None:
        query["tailLines"] = str(tail)
    if follow:
        query["follow"] = "true"
    return query


def _open(kube: Kube, namespace: str, pod: str, query: dict[str, str],
          timeout: float | tuple[float, float | None]) -> Any:
    """The response, status checked, its body not read yet."""
    path = f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(pod, safe='')}/log"
    return kube.stream(path, f"logs of pod {pod}", query, timeout)


def read(kube: Kube, namespace: str, pod: str, container: str | None, previous: bool, tail: int | None) -> str:
    resp = _open(kube, namespace, pod, _query(container, previous, tail, False), kube.timeout)
    try:
        data = resp.read()
    except (urllib3.exceptions.HTTPError, OSError) as err:
        raise errors.from_exception(err, f"logs of pod {pod}") from None
    return data.decode(errors="replace") if isinstance(data, bytes) else str(data)


def follow(kube: Kube, namespace: str, pod: str, container: str | None, tail: int | None,
           write: Callable[[str], None]) -> None:
    """Stream the log to ``write`` as it grows (no read timeout: a quiet container is not an error)."""
    resp = _open(kube, namespace, pod, _query(container, False, tail, True), (kube.timeout, None))
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    try:
        for chunk in resp.stream(CHUNK, decode_content=True):
            text = decoder.decode(chunk)
            if text:
                write(text)
    except (urllib3.exceptions.HTTPError, OSError) as err:
        raise errors.from_exception(err, f"logs of pod {pod}") from None
    finally:
        resp.release_conn()
    tail_text = decoder.decode(b"", final=True)
    if tail_text:
        write(tail_text)


def first_pod_log(kube: Kube, w: Workload) -> str:
    """The page's "Download logs": the first pod's log, or one line saying why there is none."""
    try:
        return read(kube, w.namespace, pick_pod(w, None, None), None, False, None)
    except errors.ClusterError as err:
        return f"no logs: {err}\n"
