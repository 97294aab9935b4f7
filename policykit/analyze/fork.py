"""Checking a large project's behaviors on two cores: this process and a forked child.

The pair checks of one behavior look at no other behavior's rules, and on a large
project they are most of the analysis. So there, a forked child checks behaviors from
the last one backwards, handing back each one's diagnostics as soon as it has them
(plain tuples, pickled into an anonymous temporary file), while this process checks
them from the first one forwards; where the two meet, the child is stopped. The work
splits itself: a child that gets less of a core leaves more to this process, which
never waits for it. No child is started unless the caller allows it (a
:class:`~policykit.util.tuning.Tuning` with ``fork``) and a core is idle: it would take
its time from this process then. The outcome is exactly what checking every behavior
here gives, in the same order. Anything unusual (no ``fork``, other threads running,
the child failing in any way) leaves the rest of the work to this process.
"""

from __future__ import annotations

import os
import pickle
import struct
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from policykit.util import fork as forking

T = TypeVar("T")
V = TypeVar("V")
R = TypeVar("R")

PARALLEL_WEIGHT = 20_000
"""Below this much work (rules), starting a child costs about what it saves."""

_HEADER = struct.Struct("<Q")


def _same(value: Any) -> Any:
    return value


def each(
    items: Sequence[T],
    work: Callable[[T], V],
    weight: int,
    meanwhile: Callable[[], R],
    *,
    allowed: bool,
    encode: Callable[[V], Any] = _same,
    decode: Callable[[Any], V] = _same,
) -> tuple[list[V], R]:
    """``work(item)`` for every item, in order, and what ``meanwhile()`` returns (run
    here, before the items); with a child helping when ``allowed`` and ``weight`` (the
    rules to check) says it pays. The child hands back ``encode(result)``, which must
    pickle; ``decode`` turns it back."""
    if not allowed or len(items) < 2 or weight < PARALLEL_WEIGHT or not forking.core_to_spare():
        return _here(items, work, meanwhile)
    child = forking.start(lambda fd: _child(items, work, encode, fd))
    if child is None:
        return _here(items, work, meanwhile)
    with child:  # stops the child, whatever happens here
        other = meanwhile()
        return _parent(items, work, decode, child.fd), other


def _here(
    items: Sequence[T], work: Callable[[T], V], meanwhile: Callable[[], R]
) -> tuple[list[V], R]:
    other = meanwhile()
    return [work(item) for item in items], other


def _child(items: Sequence[T], work: Callable[[T], V], encode: Callable[[V], Any], fd: int) -> None:
    at = 0
    for index in range(len(items) - 1, -1, -1):
        payload = pickle.dumps(
            (index, encode(work(items[index]))), protocol=pickle.HIGHEST_PROTOCOL
        )
        record = memoryview(_HEADER.pack(len(payload)) + payload)
        while record:  # positioned writes: the file offset is shared with the parent
            written = os.pwrite(fd, record, at)
            at += written
            record = record[written:]


def _parent(
    items: Sequence[T], work: Callable[[T], V], decode: Callable[[Any], V], fd: int
) -> list[V]:
    done: dict[int, V] = {}
    theirs: dict[int, V] = {}
    at = 0  # where the child's next record starts
    first_theirs = len(items)  # the child has handed back every item from here on
    index = 0
    while True:
        while True:  # take whatever the child has finished meanwhile
            record = _read_record(fd, at)
            if record is None:
                break
            size, (k, encoded) = record
            at += size
            theirs[k] = decode(encoded)
            first_theirs = min(first_theirs, k)
        if index >= first_theirs:
            break
        done[index] = work(items[index])
        index += 1
    done.update((k, theirs[k]) for k in range(index, len(items)))
    return [done[k] for k in range(len(items))]


def _read_record(fd: int, at: int) -> tuple[int, tuple[int, Any]] | None:
    """The record the child wrote at ``at`` and its size, or None if it is not all
    there yet (or is damaged: then the rest is left to this process)."""
    header = os.pread(fd, _HEADER.size, at)
    if len(header) < _HEADER.size:
        return None
    (length,) = _HEADER.unpack(header)
    payload = os.pread(fd, length, at + _HEADER.size)
    if len(payload) < length:
        return None
    try:
        return _HEADER.size + length, pickle.loads(payload)
    except Exception:
        return None
