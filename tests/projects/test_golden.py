from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.projects.golden import cases, expected_path, run_case


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_golden_project(case: Path) -> None:
    expected = json.loads(expected_path(case).read_text(encoding="utf-8"))
    assert run_case(case) == expected
