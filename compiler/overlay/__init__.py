"""Overlays: one repository, several clusters and environments (docs/overlays.md).

An ``Overlay`` document names its ``bases`` (applied first, in order), target settings,
spec patches, object patches, common labels and annotations, and a namespace per project.
``wlc build --overlay NAME`` builds one overlay; the order of a build is fixed:

1. policy defaults fill the resolved specs (compiler/policy);
2. the overlay's namespace template and ``namespaces`` map, then its **spec patches**, in
   chain order (bases first), merged with compiler.merge; patched values have the
   provenance ``overlay <name> (<file>:<line>)``;
3. policy **rules** judge the final spec: a value an overlay set that breaks a rule is an
   error that names the overlay (through its provenance) and the policy;
4. lowering with the chain's target settings (later overlays override earlier ones), then
   ``bundle.finalize`` stamps the bundle contract;
5. **common labels and annotations**, then **object patches** (JSON Patch or merge patch),
   in chain order; a patch that breaks the bundle contract is an error naming the patch;
6. verification against the Kubernetes schema: an object a patch changed that fails is an
   error naming the patch.

The pipeline calls ``load_chain`` and ``exclude_workloads``, then ``patch_specs`` (stage 6,
between policy defaults and rules), then ``patch_objects`` and ``verify_patched`` per workload.
"""
from __future__ import annotations

from .chain import Chain, OverlayValue, Patch, load_chain
from .objects import Touched, patch_objects, verify_patched
from .specs import Excluded, Validator, exclude_workloads, patch_specs

__all__ = ["Chain", "Excluded", "OverlayValue", "Patch", "Touched", "Validator", "exclude_workloads", "load_chain",
           "patch_objects", "patch_specs", "verify_patched"]
