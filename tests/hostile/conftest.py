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
KNOWN_GAPS: dict[str, str] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        key = item.nodeid.split("tests/hostile/", 1)[-1]
        reason = KNOWN_GAPS.get(key)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
