"""DistributedWorkload fields: ``jobType`` and ``workers``, and the ``pyTorchJob``, ``mpiJob`` and
``runPolicy`` sub-objects, whose members become top-level native fields.

Run:ai CRs have no master/worker sections, so distributed ``master``/``worker`` overrides are
never produced.
"""
from __future__ import annotations

from ..model import Path
from .builder import Out
from .values import Bad, Conv, as_bool, as_duration, as_int, one_of, unwrap_field, unwrap_leaf

_framework = one_of({"pytorch": "PyTorch", "tf": "TF", "tensorflow": "TF", "mpi": "MPI", "xgboost": "XGBoost"})
_clean_pod_policy = one_of({"running": "Running", "all": "All", "none": "None"})

#: one-to-one DistributedWorkload fields: Run:ai field → (native path under spec, converter)
DISTRIBUTED_SIMPLE: dict[str, tuple[Path, Conv]] = {
    "jobType": (("framework",), _framework),
    "workers": (("workers",), as_int),
    "nonPreemptible": (("nonPreemptible",), as_bool),
    "slotsPerWorker": (("slotsPerWorker",), as_int),
}

#: Run:ai sub-object → its members: member → (native path under spec, converter)
SUBOBJECTS: dict[str, dict[str, tuple[Path, Conv]]] = {
    "pyTorchJob": {"minReplicas": (("minReplicas",), as_int), "maxReplicas": (("maxReplicas",), as_int)},
    "mpiJob": {"slotsPerWorker": (("slotsPerWorker",), as_int)},
    "runPolicy": {
        "cleanPodPolicy": (("cleanPodPolicy",), _clean_pod_policy),
        "backoffLimit": (("backoffLimit",), as_int),
        "ttlSecondsAfterFinished": (("autoDeletionTimeAfterCompletionSeconds",), as_duration),
    },
}


def convert_subobject(out: Out, name: str, node: object, spath: Path) -> None:
    """Each member of a sub-object to its native field (a value that is no mapping raises ``Bad``)."""
    value, vpath = unwrap_field(out, node, spath)
    if not isinstance(value, dict):
        raise Bad(f"expected a mapping of {', '.join(SUBOBJECTS[name])}", vpath)
    members = SUBOBJECTS[name]
    for member, sub in value.items():
        mpath = vpath + (member,)
        if member not in members:
            out.unknown(mpath, members, what=f"{name} field")
            continue
        target, conv = members[member]
        inner, ipath = unwrap_leaf(sub, mpath)
        try:
            out.put(("spec",) + target, conv(inner), ipath)
        except Bad as bad:
            out.problem(ipath, "runai.bad-value", f"{name}.{member}: {bad}")
