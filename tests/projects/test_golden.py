from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.projects.golden import cases, expected_path, run_case


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_golden_project(case: Path) -> None:
    expected = json.loads(expected_path(case).read_text(encoding="utf-8"))
    assert run_case(case) == expected


@pytest.mark.parametrize(
    "case",
    [c for c in cases() if "errors" in json.loads(expected_path(c).read_text()).get("compile", {})],
    ids=lambda p: p.name,
)
def test_compile_fails_with_the_errors_validate_reports(case: Path) -> None:
    """The compile goldens of PK216, PK218 and PK420: compile refuses the project with
    exactly the errors validate found first."""
    expected = json.loads(expected_path(case).read_text(encoding="utf-8"))
    assert expected["compile"]["compiles"] is False
    errors = [d for d in expected["diagnostics"] if d["severity"] == "error"]
    assert expected["compile"]["errors"] == errors != []
