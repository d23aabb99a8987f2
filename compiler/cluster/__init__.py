"""The cluster side of wlc: the only package that imports the ``kubernetes`` client.

``source`` reads a bundle (no client needed), ``kube`` talks to the API server, ``engine``
plans and syncs, ``ownership`` decides what wlc may touch, ``plan`` prints what was done.
"""
from __future__ import annotations
