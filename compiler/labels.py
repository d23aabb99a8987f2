"""Label and annotation keys of the bundle contract (DESIGN.md, "The bundle")."""
from __future__ import annotations

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "wlc"
WORKLOAD = "wlc.dev/workload"
PROJECT = "wlc.dev/project"
WORKLOAD_TYPE = "wlc.dev/workload-type"
PART_OF = "applyset.kubernetes.io/part-of"
APPLYSET_ID = "applyset.kubernetes.io/id"
APPLYSET_TOOLING = "applyset.kubernetes.io/tooling"
APPLYSET_GKS = "applyset.kubernetes.io/contains-group-kinds"
SPEC_HASH = "wlc.dev/spec-hash"
SOURCE = "wlc.dev/source"
#: the server-side-apply field manager of the sync agent (DESIGN.md "The sync agent"): kept
#: here with the other contract names; the compiler itself does not use it
FIELD_MANAGER = "wlc"


def pod_labels(workload: str, project: str) -> dict[str, str]:
    """Labels every pod template carries (and selectors use)."""
    return {WORKLOAD: workload, PROJECT: project}
