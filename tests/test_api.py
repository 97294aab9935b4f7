"""The library entry point, and the two codes no golden project can show."""

from __future__ import annotations

from pathlib import Path

import pytest

import policykit
from policykit import Limits, Severity, ValidateOptions, validate_project
from policykit.diagnostics import Diagnostic, has_errors, sort_diagnostics
from tests.minimal import PROJECT, project


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_clean_project(root: Path) -> None:
    project(root)
    result = validate_project(".")
    assert result.diagnostics == ()
    assert result.workspace is not None
    assert result.files_read == 3


def test_file_too_large(root: Path) -> None:
    # PK108: a golden project would need a file over 8 MiB in the repository.
    project(root, policykit=PROJECT[: PROJECT.index("policies:")])
    limit = len((root / "catalog.yaml").read_bytes()) - 1
    result = validate_project(".", ValidateOptions(limits=Limits(max_bytes=limit)))
    assert [(d.code, d.message, d.file, d.line) for d in result.diagnostics] == [
        (
            "PK108",
            f"file is {limit + 1} bytes, over the limit of {limit} bytes",
            "catalog.yaml",
            0,
        )
    ]
    assert result.workspace is None


def test_slow_yaml_parser_warning(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # PK114: whether PyYAML has libyaml is a property of the installation.
    monkeypatch.setattr(policykit.pipeline, "FAST_YAML", False)
    project(root)
    result = validate_project(root)
    (d,) = result.diagnostics
    assert (d.code, d.severity, d.message, d.file) == (
        "PK114",
        Severity.WARNING,
        "PyYAML has no libyaml here; loading falls back to the slow pure-Python parser",
        str(root / "policykit.yaml"),
    )
    assert result.workspace is not None


def test_diagnostics_are_sorted_and_unique() -> None:
    a = Diagnostic("PK207", Severity.ERROR, "m", "b.yaml", 2, 1)
    b = Diagnostic("PK207", Severity.ERROR, "m", "a.yaml", 9, 1)
    c = Diagnostic("PK201", Severity.ERROR, "m", "a.yaml", 9, 1)
    assert sort_diagnostics([a, b, c, a]) == (c, b, a)


def test_has_errors() -> None:
    warning = Diagnostic("PK212", Severity.WARNING, "m", "a.yaml")
    info = Diagnostic("PK212", Severity.INFO, "m", "a.yaml")
    assert not has_errors([warning, info])
    assert has_errors([warning], strict=True)
    assert not has_errors([info], strict=True)
    assert has_errors([Diagnostic("PK207", Severity.ERROR, "m", "a.yaml")])


def test_location() -> None:
    assert Diagnostic("PK110", Severity.ERROR, "m", "a.yaml").location == "a.yaml"
    assert Diagnostic("PK110", Severity.ERROR, "m", "a.yaml", 3, 4).location == "a.yaml:3:4"
