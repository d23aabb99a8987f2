"""One switch for Python's cyclic garbage collector, used around the steps that build large,
long-lived, acyclic data (a build's documents and results, a diff's two revisions, a bundle and
the objects a sync lists): full collections rescan that growing heap again and again, and cost
a fifth to a half of those steps' CPU. Reference counting still frees everything not in a cycle;
what a step leaves in cycles is collected once the collector is on again."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The collector off for the block, and on again after unless it was off before (nested
    pauses leave it to the outermost)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
