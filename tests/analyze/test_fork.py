"""Checking behaviors in a forked child as well changes nothing in the findings, their
order included, however the work ends up split; and any failure of the child leaves
the work to this process."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policykit.analyze import Analysis, analyze, fork
from policykit.diagnostics import Diagnostic, Related, Severity
from policykit.graph.objective import ObjectiveGraph
from policykit.util import fork as forking
from policykit.util.tuning import Tuning
from tests.analyze.strategies import graph_of, projects


def _sequential(graph: ObjectiveGraph) -> Analysis:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fork, "PARALLEL_WEIGHT", 10**9)
        return analyze(graph, Tuning(fork=True))


@pytest.fixture
def always_fork(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(fork, "PARALLEL_WEIGHT", 0)
    monkeypatch.setattr(forking, "core_to_spare", lambda: True)
    yield


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects())
def test_forked_analysis_is_the_sequential_one(files: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        graph = graph_of(files, Path(tmp))
        expected = _sequential(graph)
        mp.setattr(fork, "PARALLEL_WEIGHT", 0)
        mp.setattr(forking, "core_to_spare", lambda: True)
        assert analyze(graph, Tuning(fork=True)) == expected


def test_nothing_forks_or_reads_the_load_unless_asked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def refused(*args: object) -> Any:
        raise AssertionError("asked the system")

    monkeypatch.setattr(fork, "PARALLEL_WEIGHT", 0)
    monkeypatch.setattr(forking, "core_to_spare", refused)
    monkeypatch.setattr(forking, "start", refused)
    assert fork.each(list(range(5)), _work, 1, list, allowed=False) == (_expected(5), [])
    with pytest.raises(AssertionError, match="asked the system"):
        fork.each(list(range(5)), _work, 1, list, allowed=True)


def _work(item: int) -> list[Diagnostic]:
    return [
        Diagnostic("PK207", Severity.ERROR, f"item {item}.{i}", "a.yaml", item) for i in range(3)
    ]


def _expected(n: int) -> list[list[Diagnostic]]:
    return [_work(item) for item in range(n)]


@pytest.mark.parametrize("child_delay", [0.0, 0.05])
def test_each_item_once_in_order_however_the_work_splits(
    always_fork: None, child_delay: float
) -> None:
    parent = os.getpid()

    def work(item: int) -> list[Diagnostic]:
        if os.getpid() != parent:
            time.sleep(child_delay)  # a child that gets less of a core
        else:
            time.sleep(0.01)
        return _work(item)

    assert fork.each(list(range(12)), work, 1, lambda: "meanwhile", allowed=True) == (
        _expected(12),
        "meanwhile",
    )


def test_the_child_takes_a_share(always_fork: None, monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    in_parent: list[int] = []

    def work(item: int) -> list[Diagnostic]:
        if os.getpid() == parent:
            in_parent.append(item)
            time.sleep(0.02)
        return _work(item)

    def slow_start() -> None:
        time.sleep(0.3)  # the child is well ahead by the time this process starts

    assert fork.each(list(range(20)), work, 1, slow_start, allowed=True) == (_expected(20), None)
    assert in_parent == list(range(len(in_parent)))
    assert len(in_parent) < 20


def test_a_failing_child_leaves_the_work_here(always_fork: None) -> None:
    parent = os.getpid()

    def work(item: int) -> list[Diagnostic]:
        if os.getpid() != parent and item < 7:
            raise RuntimeError("boom")
        return _work(item)

    assert fork.each(list(range(10)), work, 1, list, allowed=True) == (_expected(10), [])


def test_a_damaged_record_leaves_the_work_here(
    always_fork: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fork.pickle, "loads", lambda data: 1 / 0)
    assert fork.each(list(range(10)), _work, 1, lambda: time.sleep(0.2), allowed=True) == (
        _expected(10),
        None,
    )


def test_without_fork_the_work_is_done_here(
    always_fork: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fork() -> int:
        raise OSError("no fork here")

    monkeypatch.setattr(fork.os, "fork", no_fork)
    assert fork.each(list(range(5)), _work, 1, lambda: "x", allowed=True) == (_expected(5), "x")


def test_without_a_temporary_file_the_work_is_done_here(
    always_fork: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_file() -> Any:
        raise OSError("read-only")

    monkeypatch.setattr(forking.tempfile, "TemporaryFile", no_file)
    assert fork.each(list(range(5)), _work, 1, lambda: "x", allowed=True) == (_expected(5), "x")


def test_no_child_below_the_weight_or_without_a_core_to_spare(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_fork() -> int:
        raise AssertionError("forked")

    monkeypatch.setattr(fork.os, "fork", no_fork)
    monkeypatch.setattr(forking, "core_to_spare", lambda: True)
    weight = fork.PARALLEL_WEIGHT - 1
    assert fork.each(list(range(5)), _work, weight, list, allowed=True) == (_expected(5), [])
    monkeypatch.setattr(forking, "core_to_spare", lambda: False)
    weight = fork.PARALLEL_WEIGHT
    assert fork.each(list(range(5)), _work, weight, list, allowed=True) == (_expected(5), [])


def test_an_error_here_stops_the_child(always_fork: None) -> None:
    def slow(item: int) -> list[Diagnostic]:
        time.sleep(0.05)
        return []

    def fails() -> None:
        raise KeyError("this process failed")

    with pytest.raises(KeyError):
        fork.each(list(range(1000)), slow, 1, fails, allowed=True)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child left, not even a zombie


@pytest.mark.parametrize(
    ("loadavg", "spare"),
    [("0.50 0.40 0.30 1/78 4242", True), ("1.90 1.80 1.50 2/80 4242", False), ("", False)],
)
def test_a_core_to_spare_is_one_nothing_else_runs_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loadavg: str, spare: bool
) -> None:
    (tmp_path / "loadavg").write_text(loadavg)
    monkeypatch.setattr(forking, "LOADAVG", str(tmp_path / "loadavg"))
    monkeypatch.setattr(forking.os, "sched_getaffinity", lambda pid: {0, 1})
    assert forking.core_to_spare() is spare
    monkeypatch.setattr(forking, "LOADAVG", str(tmp_path / "missing"))
    assert forking.core_to_spare() is False


related = st.builds(Related, st.text(), st.text(), st.integers(0, 99), st.integers(0, 99))
diagnostics = st.builds(
    Diagnostic,
    code=st.text(),
    severity=st.sampled_from(list(Severity)),
    message=st.text(),
    file=st.text(),
    line=st.integers(0, 10**6),
    column=st.integers(0, 10**6),
    path=st.text(),
    hint=st.text(),
    related=st.lists(related, max_size=2).map(tuple),
    behavior=st.text(),
    stakeholders=st.lists(st.text(), max_size=2).map(tuple),
    witness=st.lists(st.tuples(st.text(), st.text()), max_size=2).map(tuple),
)


@given(diagnostics)
def test_rows_round_trip(d: Diagnostic) -> None:
    assert Diagnostic.from_row(d.to_row()) == d
