"""`policykit validate` run as a program ends as soon as its report is flushed, with the
exit status it returns; called as a function, the CLI returns as before."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import policykit.cli
from policykit.cli import main
from tests.minimal import POLICY, project

REPO = Path(__file__).resolve().parents[2]
TYPO = POLICY.replace("behavior: profanity", "behavior: profanty")


class Exited(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


@pytest.fixture
def exits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """os._exit, recorded instead of ending the test run."""
    calls: list[int] = []

    def fake_exit(status: int) -> None:
        calls.append(status)
        raise Exited(status)

    monkeypatch.setattr(policykit.cli.os, "_exit", fake_exit)
    return calls


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("deployer", "status"), [(POLICY, 0), (TYPO, 1)])
def test_validate_as_the_program_ends_with_its_status(
    root: Path,
    exits: list[int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    deployer: str,
    status: int,
) -> None:
    project(root, deployer=deployer)
    expected = main(["validate", "--format", "json", "."])
    report = capsys.readouterr().out
    monkeypatch.setattr(sys, "argv", ["policykit", "validate", "--format", "json", "."])
    with pytest.raises(Exited):
        main()
    assert exits == [expected] == [status]
    assert capsys.readouterr().out == report


def test_called_with_arguments_the_cli_returns(root: Path, exits: list[int]) -> None:
    project(root, deployer=TYPO)
    assert main(["validate", "."]) == 1
    assert exits == []


def test_other_commands_return(
    root: Path, exits: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["policykit", "codes"])
    assert main() == 0
    assert exits == []


def test_a_failed_validation_returns_to_the_error_boundary(
    root: Path, exits: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["policykit", "validate", "nope"])
    assert main() == 2
    assert exits == []


def test_output_that_cannot_be_flushed_leaves_the_exit_to_python(
    exits: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Closed(io.StringIO):
        def flush(self) -> None:
            raise BrokenPipeError

    monkeypatch.setattr(sys, "stdout", Closed())
    policykit.cli._exit_now(1)
    assert exits == []


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_nothing_written_is_lost(root: Path, fmt: str) -> None:
    """The real exit, through a pipe (block-buffered): every byte and the status."""
    (root / ".git").mkdir()  # SARIF URIs relative to here, in both runs
    project(root, deployer=TYPO)
    argv = ["validate", "--format", fmt, "."]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = str(REPO)
    program = subprocess.run(
        [sys.executable, "-m", "policykit", *argv], capture_output=True, text=True, env=env
    )
    as_function = "import sys; from policykit.cli import main; sys.exit(main(sys.argv[1:]))"
    function = subprocess.run(
        [sys.executable, "-c", as_function, *argv], capture_output=True, text=True, env=env
    )
    assert program.returncode == function.returncode == 1
    assert program.stdout == function.stdout != ""
    assert program.stderr == function.stderr
