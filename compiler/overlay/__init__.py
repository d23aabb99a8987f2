"""Overlays: one repository, several clusters and environments (docs/overlays.md).

An ``Overlay`` document names its ``bases`` (applied first, in order), target settings,
spec patches, object patches, common labels and annotations, and a namespace per project.
``wlc build --overlay NAME`` builds one overlay; the order of a build is fixed
(compiler/pipeline.py):

1. the chain's target settings apply, and ``excludeWorkloads`` leaves out the workloads it
   selects (listed in index.json);
2. policy defaults fill the resolved specs (compiler/policy);
3. the overlay's namespace template and ``namespaces`` map, then its **spec patches**, in
   chain order (bases first), merged with compiler.merge; patched values have the
   provenance ``overlay <name> (<file>:<line>)``, and the items a patch excludes are recorded
   on the workload for the policy's locked-instance rule;
4. policy **rules** judge the final spec: a value an overlay set that breaks a rule is an
   error that names the overlay (through its provenance) and the policy;
5. lowering with the chain's target settings (later overlays override earlier ones), then
   ``bundle.finalize`` stamps the bundle contract;
6. **common labels and annotations**, then **object patches** (JSON Patch or merge patch),
   in chain order; a patch that breaks the bundle contract is an error naming the patch;
7. verification against the Kubernetes schema: an object a patch changed that fails is an
   error naming the patch.

The pipeline calls ``load_chain`` and ``exclude_workloads``, validates ``patch_documents``, then
calls ``patch_specs`` with what the validation found (stage 6, between policy defaults and
rules), then ``patch_objects`` and, with what verify says of the objects they changed,
``verify_patched`` per workload.
"""
from __future__ import annotations

from .chain import Chain, OverlayValue, Patch, load_chain
from .objects import Touched, patch_objects, verify_patched
from .specs import Excluded, SchemaProblems, exclude_workloads, patch_documents, patch_specs, project_namespace

__all__ = ["Chain", "Excluded", "OverlayValue", "Patch", "SchemaProblems", "Touched", "exclude_workloads",
           "load_chain", "patch_documents", "patch_objects", "patch_specs", "project_namespace", "verify_patched"]
