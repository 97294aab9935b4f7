"""Speed tricks that touch what belongs to the caller, and the options that allow them.

On a large project ``validate`` is several times faster when it may pause the garbage
collector and let a forked child take part of the work. Both reach outside the library:
the collector is the whole process's, a fork copies the caller's process, and deciding
whether a core is idle means reading the system's load. So the library does none of it
unless a :class:`Tuning` says so; the command line does.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tuning:
    """Which speed tricks the library may use; none by default."""

    pause_gc: bool = False
    """Pause the cyclic garbage collector while a project is loaded and checked (see
    :func:`bulk`)."""
    fork: bool = False
    """On a large project, let a forked child read files and check behaviors, when a core
    is idle by the system's load (``/proc/loadavg``). See :mod:`policykit.util.fork`."""


FAST = Tuning(pause_gc=True, fork=True)
"""Every trick: what the command line uses."""


@contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while a project is loaded and checked.

    Validation allocates hundreds of thousands of long-lived objects and frees almost
    none of them, which is the worst case for the collector: every young collection
    promotes survivors and every full one walks all of them, so the time per rule grew
    about fourfold from 10k to 100k rules. Nothing built here forms cycles that need
    collecting before the run ends; the collector is restored however the block exits.

    On the way out, everything allocated meanwhile is moved straight to the oldest
    generation (``gc.freeze()`` then ``gc.unfreeze()``, which only relinks lists):
    otherwise the first collections after the block would scan all of it as young
    objects, twice, which took longer than the analysis. Skipped when the caller has
    frozen objects of its own, since unfreezing would release them too.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
