"""Fixtures the hostile tests share: the minimal project, and a spec compiled from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from policykit.cli import main
from tests.minimal import project


@pytest.fixture(scope="session")
def _compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = project(tmp_path_factory.mktemp("mini"))
    spec = root / "spec.json"
    assert main(["compile", str(root), "-o", str(spec)]) == 0
    return spec


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """The minimal project (tests/minimal.py) in a fresh folder."""
    return project(tmp_path / "project")


@pytest.fixture
def spec(tmp_path: Path, _compiled: Path) -> Path:
    """A spec compiled from the minimal project, in a fresh folder."""
    target = tmp_path / "spec.json"
    shutil.copyfile(_compiled, target)
    return target


# Issue #14 points this suite finds still open, each with why. They are strict xfails:
# one that starts to pass fails the run, so the entry must then be deleted.
KNOWN_GAPS = {
    "test_cost.py::test_45_user_rules_compile_in_budget_or_hit_a_cap": (
        "the cells-per-behavior cap reports PK421, not a PK1xx/PK2xx cap code"
    ),
    "test_cost.py::test_two_split_behaviors_compile_in_budget_or_hit_the_total_cap": (
        "the cells-per-behavior cap reports PK421, not a PK1xx/PK2xx cap code"
    ),
    "test_cost.py::test_cell_cap_diagnostic_names_the_size_and_the_setting": (
        "the cells-per-behavior cap reports PK421, not a PK1xx/PK2xx cap code"
    ),
    "test_cost.py::test_2000_soft_targets_validate_in_budget": (
        "distinct soft targets are still compared pair by pair, refused past PK217's cap"
    ),
    "test_cost.py::test_huge_when_list_validates_in_budget_or_hits_a_cap": (
        "a 2.4 MB when list is refused, but not within the budget and shape asserted"
    ),
    "test_pipes.py::test_broken_pipe_is_a_failure[graph]": (
        "graph into a closed pipe still exits 0"
    ),
    "test_spec_reading.py::test_dev_zero_as_spec_is_refused[diff new]": (
        "diff with /dev/zero as the new spec runs out of memory"
    ),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        key = item.nodeid.split("tests/hostile/", 1)[-1]
        reason = KNOWN_GAPS.get(key)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
