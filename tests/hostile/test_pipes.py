"""Issue #14, section 8 and "Outputs": a broken pipe or a closed stdout gives a
non-zero exit.

``compile | head`` exited 0 with a truncated spec, and ``validate`` with stdout closed
exited 0 and lost its report. A script that runs ``policykit compile p | head -c 100``
under ``set -o pipefail`` must see the failure.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile import shapes
from tests.hostile.harness import REPO


def _shell(command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=timeout
    )


def _policykit(*args: str | Path) -> str:
    return " ".join(shlex.quote(str(a)) for a in (sys.executable, "-m", "policykit", *args))


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A project (1,000 cells) whose spec and reports are far larger than a pipe's
    buffer, and its compiled spec."""
    root = shapes.cell_split(tmp_path_factory.mktemp("big") / "p", dims=3, per_dim=9)
    spec = root / "spec.json"
    done = _shell(_policykit("compile", root, "-o", spec), timeout=300)
    assert done.returncode == 0, done.stderr
    assert spec.stat().st_size > 256 << 10  # four times a Linux pipe buffer
    return root, spec


def _status_of_first(pipeline: str) -> tuple[int, str]:
    """Run ``pipeline`` and return the exit status of its first command and stderr."""
    done = _shell(f'{pipeline}; echo "status=${{PIPESTATUS[0]}}" >&2')
    status = int(done.stderr.rsplit("status=", 1)[1].strip())
    return status, done.stderr


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose graph is far larger than a pipe's buffer: the cell-split project
    has few rules, so its graph (15 KB) fits in the pipe whole, and a writer that
    finished before the reader left has nothing to report."""
    root = shapes.soft_pairs(tmp_path_factory.mktemp("wide") / "p", rules=600)
    done = _shell(_policykit("graph", root, "--format", "json") + " | wc -c")
    assert int(done.stdout) > 256 << 10, done.stderr  # four times a Linux pipe buffer
    return root


@pytest.mark.parametrize("command", ["compile", "graph", "cases"])
def test_broken_pipe_is_a_failure(
    command: str, big: tuple[Path, Path], request: pytest.FixtureRequest
) -> None:
    """Pipes: "compile | head exits 0 with a truncated spec": when the reader goes away
    early, the writer exits non-zero, without a traceback."""
    root, spec = big
    args = {
        "compile": lambda: ("compile", root),
        "graph": lambda: ("graph", request.getfixturevalue("wide"), "--format", "json"),
        "cases": lambda: ("cases", spec),
    }[command]()
    status, err = _status_of_first(f"{_policykit(*args)} | head -c 100 > /dev/null")
    assert "Traceback" not in err, err
    assert status != 0, err


def test_validate_report_into_a_broken_pipe_is_a_failure(big: tuple[Path, Path]) -> None:
    """Pipes: a validate report that cannot all be written (the reader stops after a
    few bytes) is a non-zero exit. The report here is large: 1,000 findings."""
    root = shapes.typos(big[0].parent / "typos", typos=1000, behaviors=50)
    status, err = _status_of_first(
        f"{_policykit('validate', root, '--format', 'json')} | head -c 100 > /dev/null"
    )
    assert "Traceback" not in err, err
    assert status != 0, err


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_validate_with_stdout_closed_is_a_failure(fmt: str, mini: Path) -> None:
    """Pipes: "validate with stdout closed exits 0 and loses its report": non-zero."""
    done = _shell(f"{_policykit('validate', mini, '--format', fmt)} >&-")
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode != 0, done.stderr


@pytest.mark.parametrize("command", ["compile", "cases"])
def test_stdout_closed_is_a_failure(command: str, mini: Path, spec: Path) -> None:
    """Pipes: compile and cases with stdout closed cannot deliver: non-zero, no
    traceback."""
    target = mini if command == "compile" else spec
    done = _shell(f"{_policykit(command, target)} >&-")
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode != 0, done.stderr


def test_whole_output_into_a_pipe_is_still_success(big: tuple[Path, Path]) -> None:
    """Pipes: a reader that takes everything sees exit 0 and the whole spec (so the
    failures above come from the broken pipe, not from piping)."""
    root, spec = big
    status, err = _status_of_first(
        f"{_policykit('compile', root)} | cat > {shlex.quote(str(spec))}.2"
    )
    assert status == 0, err
    assert Path(f"{spec}.2").read_bytes() == spec.read_bytes()
