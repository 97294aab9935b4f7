"""Checking a large project's behaviors on two cores: this process and a forked child.

The pair checks of one behavior look at no other behavior's rules, and on a large
project they are most of the analysis. So there, a forked child checks behaviors from
the last one backwards, handing back each one's diagnostics as soon as it has them
(plain tuples, pickled into an anonymous temporary file), while this process checks
them from the first one forwards; where the two meet, the child is stopped. The work
splits itself: a child that gets less of a core leaves more to this process, which
never waits for it. No child is started unless a core is idle: it would take its time
from this process then. The outcome is exactly what checking every behavior here
gives, in the same order. Anything unusual (no ``fork``, other threads running, the
child failing in any way) leaves the rest of the work to this process.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from policykit.diagnostics import Diagnostic, Related, Severity

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_WEIGHT = 20_000
"""Below this much work (rules), starting a child costs about what it saves."""

_HEADER = struct.Struct("<Q")
_LOADAVG = "/proc/loadavg"


def each(
    items: Sequence[T],
    work: Callable[[T], list[Diagnostic]],
    weight: int,
    meanwhile: Callable[[], R],
) -> tuple[list[Diagnostic], R]:
    """``work(item)`` for every item, concatenated in order, and what ``meanwhile()``
    returns (run here, before the items); with a child helping when ``weight`` (the
    rules to check) says it pays."""
    if len(items) < 2 or weight < PARALLEL_WEIGHT or not _can_fork() or not _core_to_spare():
        return _here(items, work, meanwhile)
    try:
        spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the with below)
    except OSError:
        return _here(items, work, meanwhile)
    with spool:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()  # what is buffered would otherwise be written twice
        try:
            pid = os.fork()
        except OSError:
            return _here(items, work, meanwhile)
        if pid == 0:  # the child: check, hand back, and leave without running any cleanup
            try:
                _child(items, work, spool.fileno())
            finally:
                os._exit(0)
        try:
            other = meanwhile()
            return _parent(items, work, spool.fileno()), other
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def _here(
    items: Sequence[T], work: Callable[[T], list[Diagnostic]], meanwhile: Callable[[], R]
) -> tuple[list[Diagnostic], R]:
    other = meanwhile()
    return [d for item in items for d in work(item)], other


def _child(items: Sequence[T], work: Callable[[T], list[Diagnostic]], fd: int) -> None:
    at = 0
    for index in range(len(items) - 1, -1, -1):
        payload = pickle.dumps(
            (index, [_to_row(d) for d in work(items[index])]), protocol=pickle.HIGHEST_PROTOCOL
        )
        record = memoryview(_HEADER.pack(len(payload)) + payload)
        while record:  # positioned writes: the file offset is shared with the parent
            written = os.pwrite(fd, record, at)
            at += written
            record = record[written:]


def _parent(items: Sequence[T], work: Callable[[T], list[Diagnostic]], fd: int) -> list[Diagnostic]:
    done: dict[int, list[Diagnostic]] = {}
    theirs: dict[int, list[Diagnostic]] = {}
    at = 0  # where the child's next record starts
    first_theirs = len(items)  # the child has handed back every item from here on
    index = 0
    while True:
        while True:  # take whatever the child has finished meanwhile
            record = _read_record(fd, at)
            if record is None:
                break
            size, (k, rows) = record
            at += size
            theirs[k] = [_from_row(row) for row in rows]
            first_theirs = min(first_theirs, k)
        if index >= first_theirs:
            break
        done[index] = work(items[index])
        index += 1
    done.update((k, theirs[k]) for k in range(index, len(items)))
    return [d for k in range(len(items)) for d in done[k]]


def _read_record(fd: int, at: int) -> tuple[int, tuple[int, list[Row]]] | None:
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


def _core_to_spare() -> bool:
    """Whether a core is idle: fewer tasks ready to run (this one included) than cores
    this process may run on. Otherwise the child would take its time from this
    process rather than from an idle core, and the checks would end later."""
    try:
        with open(_LOADAVG, encoding="ascii") as f:  # "0.50 0.40 0.30 1/78 4242"
            running = int(f.read().split()[3].split("/")[0])
        return running < len(os.sched_getaffinity(0))
    except (OSError, ValueError, IndexError, AttributeError):  # nothing to go by
        return False


def _can_fork() -> bool:
    # fork() copies only the calling thread; with others running, a lock one of them
    # holds would stay locked in the child. Linux only: elsewhere the system libraries
    # are not safe to use after fork().
    return sys.platform.startswith("linux") and threading.active_count() == 1


Row = tuple[
    str,
    str,
    str,
    str,
    int,
    int,
    str,
    str,
    tuple[tuple[str, str, int, int], ...],
    str,
    tuple[str, ...],
    tuple[tuple[str, str], ...],
]

_SEVERITY = {s.value: s for s in Severity}


def _to_row(d: Diagnostic) -> Row:
    """A diagnostic as builtins only: those pickle and unpickle several times faster
    than the dataclasses."""
    return (
        d.code,
        d.severity.value,
        d.message,
        d.file,
        d.line,
        d.column,
        d.path,
        d.hint,
        tuple((r.message, r.file, r.line, r.column) for r in d.related),
        d.behavior,
        d.stakeholders,
        d.witness,
    )


def _from_row(row: Row) -> Diagnostic:
    (code, severity, message, file, line, column, path, hint, related, *_) = row
    return Diagnostic(
        code,
        _SEVERITY[severity],
        message,
        file,
        line,
        column,
        path,
        hint,
        tuple(Related(*r) for r in related),
        row[9],
        row[10],
        row[11],
    )
