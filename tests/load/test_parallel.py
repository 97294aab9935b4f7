"""Reading policy files on two cores gives exactly what reading them one by one gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.generate import generate
from policykit.diagnostics import PolicykitError
from policykit.load import parallel, reader
from policykit.load.parallel import Outcome, read_all
from policykit.load.reader import Limits, YMap
from policykit.pipeline import ValidateOptions, validate_project
from policykit.util import fork as forking
from policykit.util.tuning import Tuning

FILES = {
    "a.yaml": "rules:\n" + "".join(f"  - {{id: a{i}, when: [x, y]}}\n" for i in range(300)),
    "b.yaml": "name: b\nitems: [1, 2.5, no, 2024-01-02]\n",
    "tab.yaml": "a:\n\tb: 1\n",
    "dup.yaml": "a: 1\na: 2\n",
    "c.yaml": "k: {x: [1, {y: z}]}\nm: &a [1]\nn: *a\n",
}


def _display(path: Path) -> str:
    return path.name


def _summary(outcome: Outcome) -> object:
    if isinstance(outcome, PolicykitError):
        return ("error", outcome.diagnostics)
    data = outcome.data
    positions = {k: (data.kpos[k], data.vpos[k]) for k in data}
    return (outcome.file, outcome.text, data, positions, _deep_positions(data))


def _deep_positions(value: object) -> object:
    if isinstance(value, YMap):
        return [(value.kpos, value.vpos), *(_deep_positions(v) for v in value.values())]
    if isinstance(value, tuple):
        return [getattr(value, "ipos", None), *(_deep_positions(v) for v in value)]
    return None


@pytest.fixture(autouse=True)
def python_builder(monkeypatch: pytest.MonkeyPatch) -> None:
    """The forked reader serves the Python builder; with the C reader nothing forks."""
    monkeypatch.setattr(reader, "_fastyaml", None)


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    return [*(tmp_path / name for name in FILES), tmp_path / "missing.yaml"]


def test_forked_reading_matches_reading_one_by_one(
    files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    if not forking.can_fork():
        pytest.skip("no fork here (not Linux, or other threads are running)")
    limits = Limits()
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 1 << 62)
    alone = read_all(files, _display, limits, fork=True)
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    forked_reads: list[Path] = []
    original = parallel._read_forked

    def spy(mine: list[Path], theirs: list[Path], *args: object) -> dict[Path, Outcome] | None:
        forked_reads.extend(theirs)
        return original(mine, theirs, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "_read_forked", spy)
    together = read_all(files, _display, limits, fork=True)
    assert forked_reads, "the child read some of the files"
    assert set(together) == set(alone) == set(files)
    for path in files:
        assert _summary(together[path]) == _summary(alone[path]), path.name
    assert isinstance(together[files[-1]], PolicykitError)  # the missing file


def test_a_failing_child_leaves_its_files_to_the_parent(
    files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    parent = os.getpid()
    original = parallel._read

    def read(path: Path, *args: object) -> Outcome:
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return original(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "_read", read)
    got = read_all(files, _display, Limits(), fork=True)
    assert set(got) == set(files)
    for path in files:
        assert _summary(got[path]) == _summary(original(path, _display, Limits()))


def test_no_fork_while_other_threads_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("threading.active_count", lambda: 2)
    assert not forking.can_fork()


def test_split_gives_the_child_its_share_of_bytes() -> None:
    sizes = {Path(f"f{i}"): size for i, size in enumerate([100, 90, 80, 10, 10, 5, 5])}
    mine, theirs = parallel._split(sizes)
    assert sorted(mine + theirs) == sorted(sizes)
    theirs_bytes = sum(sizes[p] for p in theirs)
    assert abs(theirs_bytes / sum(sizes.values()) - parallel.CHILD_SHARE) < 0.1


def test_validate_is_the_same_read_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = generate(tmp_path / "p", 600, behaviors=20, conflict_rate=0.1)
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 1 << 62)
    fork = ValidateOptions(tuning=Tuning(fork=True))
    alone = validate_project(project, fork)
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    together = validate_project(project, fork)
    assert together.diagnostics == alone.diagnostics
    assert alone.diagnostics  # the generated conflicts were found


def test_nothing_forks_with_the_c_reader(
    files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "_fastyaml", object())  # any built module
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)

    def forked(*args: object) -> None:
        raise AssertionError("forked")

    monkeypatch.setattr(parallel, "_read_forked", forked)
    monkeypatch.setattr(parallel, "_read", lambda path, *args: path)
    assert read_all(files, _display, Limits(), fork=True) == {p: p for p in files}


def test_nothing_forks_unless_asked(files: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)

    def forked(*args: object) -> None:
        raise AssertionError("forked")

    monkeypatch.setattr(forking, "start", forked)
    monkeypatch.setattr(parallel, "_read", lambda path, *args: path)
    assert read_all(files, _display, Limits()) == {p: p for p in files}
    with pytest.raises(AssertionError, match="forked"):
        read_all(files, _display, Limits(), fork=True)
