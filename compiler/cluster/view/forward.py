"""`wlc connect --forward`: a local port forwarded to a workload's pod, like ``kubectl
port-forward``, through the API server's pods/portforward (the kubernetes client's WebSocket
stream). One forward stream per accepted connection; bytes are copied both ways until either
side closes."""
from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Protocol

from .. import errors
from .. import status as st
from ..fetch import Workload
from ..kube import Kube

CHUNK = 65536


def target(w: Workload, port: int | None) -> tuple[str, int]:
    """(pod, container port) to forward to: the first Ready pod; ``port`` a container port or a
    Service port (mapped to its numeric targetPort), else the first Service's first target."""
    ready = sorted(str(p["metadata"]["name"]) for p in w.pods if st.pod_ready(p))
    if not ready:
        raise errors.PermanentError(f"workload {w.name} has no running pod to forward to (see `wlc describe {w.name}`)")
    services = [o for o in w.objects if o.get("kind") == "Service" and str(o.get("apiVersion")) == "v1"]
    pairs = [(int(p.get("port") or 0), p.get("targetPort")) for s in services
             for p in (s.get("spec") or {}).get("ports") or []]
    numeric = [(sp, int(tp) if isinstance(tp, int) else sp) for sp, tp in pairs]
    if port is not None:
        return ready[0], next((tp for sp, tp in numeric if sp == port), port)
    if not numeric:
        raise errors.PermanentError(f"workload {w.name} has no Service port: give --port")
    return ready[0], numeric[0][1]


class _Stream(Protocol):
    """A connected socket: the local connection, or the port-forward's end of the pod's port."""

    def recv(self, size: int, /) -> bytes: ...
    def sendall(self, data: bytes, /) -> None: ...
    def shutdown(self, how: int, /) -> None: ...


def _pump(src: _Stream, dst: _Stream) -> None:
    try:
        while True:
            data = src.recv(CHUNK)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _relay(kube: Kube, namespace: str, pod: str, port: int, conn: socket.socket) -> None:
    try:
        remote = kube.portforward(namespace, pod, port)
        remote.setblocking(True)
    except Exception:  # noqa: BLE001 -- the stream failed to open: drop this connection, keep serving
        conn.close()
        return
    back = threading.Thread(target=_pump, args=(remote, conn), daemon=True)
    back.start()
    _pump(conn, remote)
    back.join()
    conn.close()
    remote.close()


def serve(kube: Kube, namespace: str, pod: str, port: int, local_port: int,
          ready: Callable[[int], None], stop: threading.Event) -> None:
    """Listen on 127.0.0.1:local_port (0: any free port, passed to ``ready``) until ``stop``."""
    with socket.create_server(("127.0.0.1", local_port)) as listener:
        listener.settimeout(0.5)
        ready(int(listener.getsockname()[1]))
        while not stop.is_set():
            try:
                conn, _addr = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(None)
            threading.Thread(target=_relay, args=(kube, namespace, pod, port, conn), daemon=True).start()
