"""Reading many policy files at once, on two cores where that pays.

Without the C reader (see policykit/load/reader.py), parsing is most of the time
`validate` takes on a large project, it is single-threaded Python (the GIL is held while
events are built), and policy files are independent. So when there is enough to read and
only the Python builder to read it with, a forked child parses part of the files and hands back
what it read, pickled through an anonymous temporary file, while this process parses
the rest. The outcome is exactly what reading the files one after another gives: each
file's :class:`Document` or the :class:`PolicykitError` it raised. Anything unusual
(no ``fork``, other threads running, the child failing in any way) leaves the files to
be read here, one after another. Only when the caller allows it (``fork=True``; see
:class:`~policykit.util.tuning.Tuning`).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path

from policykit.diagnostics import Diagnostic, PolicykitError
from policykit.load import reader
from policykit.load.reader import Document, Limits, read_file
from policykit.util import fork as forking

Outcome = Document | PolicykitError

PARALLEL_BYTES = 1 << 20
"""Below this much text, starting a child and unpickling its work costs more than it
saves (a fork, plus about a tenth of the parse time of what the child read)."""

CHILD_SHARE = 0.48
"""The child's share of the bytes. Besides parsing, the child pickles what it read
(about a fifth of the time parsing it took) and this process unpickles it (about a
tenth), so both finish together when the child takes a little under half."""


def read_all(
    paths: Sequence[Path], display: Callable[[Path], str], limits: Limits, fork: bool = False
) -> dict[Path, Outcome]:
    """Every file of ``paths`` read and parsed, by path; with a forked child's help
    where ``fork`` allows it and it pays."""
    sizes = {p: _size(p) for p in dict.fromkeys(paths)}
    # The C reader parses about five times faster than the Python builder, so pickling
    # the child's work would cost about what the child saves: read everything here.
    if (
        fork
        and not reader.has_fast_builder()
        and len(sizes) > 1
        and sum(sizes.values()) >= PARALLEL_BYTES
    ):
        mine, theirs = _split(sizes)
        out = _read_forked(mine, theirs, display, limits)
        if out is not None:
            return out
    return {p: _read(p, display, limits) for p in sizes}


def _read(path: Path, display: Callable[[Path], str], limits: Limits) -> Outcome:
    try:
        return read_file(path, display(path), limits)
    except PolicykitError as exc:
        return exc


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _split(sizes: dict[Path, int]) -> tuple[list[Path], list[Path]]:
    """The files to read here and in the child, the child's about CHILD_SHARE of the
    bytes, largest files placed first."""
    mine: list[Path] = []
    theirs: list[Path] = []
    mine_bytes = theirs_bytes = 0
    for path in sorted(sizes, key=lambda p: -sizes[p]):
        if theirs_bytes * (1 - CHILD_SHARE) <= mine_bytes * CHILD_SHARE:
            theirs.append(path)
            theirs_bytes += sizes[path]
        else:
            mine.append(path)
            mine_bytes += sizes[path]
    return mine, theirs


def _read_forked(
    mine: list[Path], theirs: list[Path], display: Callable[[Path], str], limits: Limits
) -> dict[Path, Outcome] | None:
    """``mine`` read here and ``theirs`` in a forked child; None if no child started."""

    def task(fd: int) -> None:
        # An error travels as its diagnostics (PolicykitError does not pickle); an
        # unexpected exception not at all: the parent reads that file again and meets
        # it itself.
        done: dict[Path, Document | tuple[Diagnostic, ...]] = {}
        for path in theirs:
            try:
                outcome = _read(path, display, limits)
            except Exception:
                continue
            done[path] = outcome.diagnostics if isinstance(outcome, PolicykitError) else outcome
        with open(fd, "wb", closefd=False) as spool:
            pickle.dump(done, spool, protocol=pickle.HIGHEST_PROTOCOL)

    child = forking.start(task)
    if child is None:
        return None
    out: dict[Path, Outcome] = {}
    with child:
        for path in mine:
            out[path] = _read(path, display, limits)
        if child.wait():
            child.spool.seek(0)
            try:
                done = pickle.load(child.spool)
            except Exception:  # whatever is missing is read below
                done = {}
            for path, got in done.items():
                out[path] = PolicykitError(got) if isinstance(got, tuple) else got
    for path in theirs:
        if path not in out:
            out[path] = _read(path, display, limits)
    return out
