"""Lowering: a resolved workload becomes Kubernetes objects for the target.

``lower_workload(rw, target)`` returns ``(objects, problems)``. Objects are plain dicts in
any order (the bundle stage sorts them into apply order and stamps the bundle labels).
"""
from __future__ import annotations
