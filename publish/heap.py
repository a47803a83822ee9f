"""Keeping the cycle collector off the objects a build holds for its whole run (issue 9).

A build keeps 100,000 cases, their redactions and the page plan alive to the end.
CPython's cycle collector walks every live container object in each full
collection, and a build allocates enough to run about ten of them: 15-20 s of a
one-correction publish at 100,000 cases, collecting a few hundred objects.

``settle()`` is called where a stage ends (and after a cache is read): the objects
alive then skip the young generations.  A process that runs one command and exits
(the ``gongshi`` CLI) calls ``keep_survivors_frozen()`` first; its survivors are
then frozen (``gc.freeze``): never walked again, in this process or in the forked
workers, which also leaves their memory pages shared.  A frozen object is still
freed when its last reference goes; only a reference cycle among frozen objects
would outlive its use, which is why a long-lived process (the test suite, a
library caller) keeps the default: survivors go to the oldest generation, which
the collector still walks.
"""

from __future__ import annotations

import contextlib
import gc

_keep_frozen = False


# How many young collections (of the second generation) may pass between two full ones in a
# process that keeps its survivors frozen: in effect, none.
FULL_COLLECTION_NEVER = 1_000_000


def keep_survivors_frozen() -> None:
    """From now on ``settle()`` freezes the objects alive (for a process that ends
    after one command), and the collector makes no full collection by itself.

    With the heap frozen, the collector's rule for full collections (when the objects
    promoted since the last one exceed a quarter of the old ones) sees almost no old
    objects, so every tenth second-generation collection was a full one: each walked
    every object the stage had made so far, 4.8 s of a correction at 100,000 results
    (issue 9).  An object that survives the two young generations here lives on (a
    case, a page), and is frozen at the end of its stage anyway.  The young generations
    are still collected: short-lived reference cycles are freed as before."""
    global _keep_frozen
    _keep_frozen = True
    first, second, _full = gc.get_threshold()
    gc.set_threshold(first, second, FULL_COLLECTION_NEVER)


def settle() -> None:
    """Take the objects alive now out of the young generations: frozen for the rest
    of the process after ``keep_survivors_frozen()``, else moved to the oldest
    generation (``gc.unfreeze`` puts every frozen object there)."""
    gc.freeze()
    if not _keep_frozen:
        gc.unfreeze()


@contextlib.contextmanager
def paused(settle_after: bool = True):
    """The cycle collector off for a loop whose new objects all outlive it (a verdict per
    file of 210,000): collecting inside it only walks them again and again (issue 9: ~0.6 s
    of a correction's verifier at 100,000 results).  Ends with ``settle()``, unless
    ``settle_after`` is False (work on a thread beside a stage: the stage settles at its
    end, and a settle now would also freeze what the stage is still making)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if settle_after:
            settle()
        if collecting:
            gc.enable()
