"""Container logs of a workload's pods (GET pods/log: text, not JSON, so not Kube.request)."""
from __future__ import annotations

from urllib.parse import quote, urlencode

import urllib3
from kubernetes import client as kclient

from .. import errors
from ..fetch import Workload
from ..kube import Kube


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


def read(kube: Kube, namespace: str, pod: str, container: str | None, previous: bool, tail: int | None) -> str:
    query: dict[str, str] = {}
    if container:
        query["container"] = container
    if previous:
        query["previous"] = "true"
    if tail is not None:
        query["tailLines"] = str(tail)
    path = f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(pod, safe='')}/log"
    kube.metrics["requests"] += 1
    what = f"logs of pod {pod}"
    try:
        _m, url, hdrs, _b, _p = kube.api.param_serialize("GET", path, header_params={"Accept": "*/*"},
                                                         auth_settings=["BearerToken"])
        resp = kube.api.call_api("GET", url + ("?" + urlencode(query) if query else ""), header_params=hdrs,
                                 _request_timeout=kube.timeout)
        data = resp.read()  # type: ignore[no-untyped-call]
    except (urllib3.exceptions.HTTPError, kclient.ApiException, OSError) as err:
        raise errors.from_exception(err, what) from None
    if not 200 <= resp.status < 300:
        raise errors.from_status(resp.status, data, what)
    return data.decode(errors="replace") if isinstance(data, bytes) else str(data)
