"""The one way policykit forks: a child that works beside this process and hands back
what it did through an anonymous temporary file.

Used, when a :class:`~policykit.util.tuning.Tuning` allows it, by the file reader
(:mod:`policykit.load.parallel`) and the pair checks (:mod:`policykit.analyze.fork`).
Whatever goes wrong on the way (no ``fork``, other threads running, no temporary file)
leaves the caller to do the work itself: :func:`start` then returns None.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from types import TracebackType
from typing import IO

LOADAVG = "/proc/loadavg"


def can_fork() -> bool:
    """Whether forking is safe here.

    fork() copies only the calling thread; with others running, a lock one of them
    holds would stay locked in the child. Linux only: elsewhere the system libraries
    are not safe to use after fork().
    """
    return sys.platform.startswith("linux") and threading.active_count() == 1


def core_to_spare() -> bool:
    """Whether a core is idle: fewer tasks ready to run (this one included) than cores
    this process may run on. Otherwise a child would take its time from this process
    rather than from an idle core, and the work would end later."""
    try:
        with open(LOADAVG, encoding="ascii") as f:  # "0.50 0.40 0.30 1/78 4242"
            running = int(f.read().split()[3].split("/")[0])
        return running < len(os.sched_getaffinity(0))
    except (OSError, ValueError, IndexError, AttributeError):  # nothing to go by
        return False


class Child:
    """A forked child and the file it writes to. As a context manager, it stops the
    child (if :meth:`wait` has not seen it end) and closes the file on the way out."""

    def __init__(self, pid: int, spool: IO[bytes]) -> None:
        self.pid = pid
        self.spool = spool
        self._reaped = False

    @property
    def fd(self) -> int:
        """The temporary file's descriptor, shared with the child."""
        return self.spool.fileno()

    def wait(self) -> bool:
        """Wait for the child to end; whether its task finished."""
        _, status = os.waitpid(self.pid, 0)
        self._reaped = True
        return os.waitstatus_to_exitcode(status) == 0

    def __enter__(self) -> Child:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._reaped:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                self._reaped = True
        finally:
            self.spool.close()


def start(task: Callable[[int], None]) -> Child | None:
    """Fork a child that runs ``task(fd)``, ``fd`` a temporary file it shares with this
    process, then ends without running any cleanup (exit status 0 when ``task``
    returned, 1 when it raised). None, with nothing started, when this process cannot
    fork safely, has no temporary file or the fork fails."""
    if not can_fork():
        return None
    try:
        spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by Child)
    except OSError:
        return None
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()  # what is buffered would otherwise be written twice
    try:
        pid = os.fork()
    except OSError:
        spool.close()
        return None
    if pid == 0:  # the child
        status = 1
        try:
            task(spool.fileno())
            status = 0
        finally:
            os._exit(status)
    return Child(pid, spool)
