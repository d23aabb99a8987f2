"""wlc: a GitOps compiler for GPU workloads (Run:ai's model, Kubernetes output)."""
from __future__ import annotations

__version__ = "0.1.0"
