"""Running policykit as a separate, bounded process, and the shapes of a clean refusal.

Every hostile run here is ``python -m policykit ...`` in a child process with a
wall-clock limit and an address-space limit, so that code which spends unbounded time or
memory on an input fails its test quickly instead of hanging or swapping the machine.
The child's own peak resident memory is read back with ``wait4``.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

GIB = 1024**3
ADDRESS_SPACE = 4 * GIB
"""The child's address-space limit: far above the 1 GB the issue allows for resident
memory (numpy and scipy reserve address space they never touch), low enough that a run
that would take many gigabytes stops with a MemoryError."""

CODE = re.compile(r"\bPK[12]\d\d\b")
NUMBER = re.compile(r"\d[\d,_]*")


@dataclass(frozen=True)
class Result:
    rc: int
    """The exit status; -9 when the run was killed at its time limit."""
    out: str
    err: str
    seconds: float
    peak_rss: int
    """The child's peak resident set, in bytes."""
    timed_out: bool

    @property
    def text(self) -> str:
        return self.out + self.err

    def describe(self) -> str:
        tail = self.err[-1500:] if self.err else self.out[-1500:]
        return (
            f"rc={self.rc} timed_out={self.timed_out} {self.seconds:.1f}s "
            f"peak {self.peak_rss / 2**20:.0f} MiB\n--- output tail ---\n{tail}"
        )


def _limit_memory(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.setsid()  # its own process group, so a timeout kills any helper it forked


_LAUNCH = """
import os, resource, signal, subprocess, sys
child = subprocess.Popen([sys.executable, "-m", "policykit", *sys.argv[2:]])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
if code < 0:
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
sys.exit(code)
"""
"""Runs policykit as a grandchild from a small launcher and reports the grandchild's
peak memory: a child forked straight from a large test process would report that
process's pages as its own peak (ru_maxrss counts them until exec)."""


def run(
    args: Sequence[str],
    cwd: Path | None = None,
    timeout: float = 20.0,
    memory: int = ADDRESS_SPACE,
    stdin: int | None = subprocess.DEVNULL,
    stdout: int | None = None,
    env: dict[str, str] | None = None,
) -> Result:
    """Run ``python -m policykit ARGS`` bounded by ``timeout`` seconds and ``memory``
    bytes of address space. ``stdout`` may be a file descriptor to write to instead of
    capturing (a pipe end, a full device)."""
    child_env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    # one thread per math library: their pools reserve address space per thread
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        child_env[name] = "1"
    child_env.update(env or {})
    with (
        tempfile.TemporaryFile() as out_f,
        tempfile.TemporaryFile() as err_f,
        tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_f,
    ):
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, rss_f.name, *args],
            cwd=cwd,
            stdin=stdin,
            stdout=out_f if stdout is None else stdout,
            stderr=err_f,
            env=child_env,
            preexec_fn=lambda: _limit_memory(memory),
        )
        fired = threading.Event()

        def kill() -> None:
            fired.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, _usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - start
        out_f.seek(0)
        err_f.seek(0)
        return Result(
            rc=proc.returncode,
            out=out_f.read().decode("utf-8", "backslashreplace"),
            err=err_f.read().decode("utf-8", "backslashreplace"),
            seconds=seconds,
            peak_rss=int(rss_f.read() or 0) * 1024,
            timed_out=fired.is_set(),
        )


def assert_no_traceback(result: Result) -> None:
    assert "Traceback" not in result.text, result.describe()
    assert "internal error" not in result.text, result.describe()
    assert result.rc != 3, result.describe()


def assert_one_line_error(result: Result, *mentions: str) -> str:
    """The run refused its input the way a user error must: exit 1 or 2, no traceback,
    and one line on stderr (which names each of ``mentions``). Returns that line."""
    assert not result.timed_out, result.describe()
    assert_no_traceback(result)
    assert result.rc in (1, 2), result.describe()
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.describe()
    for mention in mentions:
        assert mention in lines[0], result.describe()
    return lines[0]


def assert_bounded(result: Result, seconds: float, rss: int = GIB) -> None:
    """The run finished inside its budget: no time-out, under ``seconds`` of wall
    clock and ``rss`` of resident memory, and it ended as a user-facing result (0, or
    1 with findings), never a crash."""
    assert not result.timed_out, result.describe()
    assert_no_traceback(result)
    assert result.rc >= 0, result.describe()  # not killed by a signal
    assert result.seconds < seconds, result.describe()
    assert result.peak_rss < rss, result.describe()
    assert result.rc in (0, 1), result.describe()


def assert_cap_or_success(result: Result, seconds: float, rss: int = GIB) -> None:
    """Bounded, and a refusal (if any) is a cap's diagnostic: a PK1xx/PK2xx code and
    the measured size (a number) in the message. ``validate`` writes its report (the
    diagnostics are its product) to stdout, ``compile`` its diagnostics to stderr."""
    assert_bounded(result, seconds, rss)
    if result.rc != 0:
        shown = result.out + result.err
        assert CODE.search(shown), result.describe()
        assert NUMBER.search(shown), result.describe()
