"""Shared policy folders: a project names extra trusted roots (include_roots) for its
includes; escapes anywhere else are still refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from policykit.pipeline import validate_project
from tests.minimal import FILES, POLICY, PROJECT, write_tree

SHARED_PROJECT = PROJECT.replace("path: deployer.yaml", "path: ../shared/district.yaml")


def _codes(root: Path) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in validate_project(root).diagnostics]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_tree(tmp_path / "shared", {"district.yaml": POLICY})
    write_tree(tmp_path / "other", {"district.yaml": POLICY})
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_shared_folder_is_refused_unless_named(tree: Path) -> None:
    write_tree(tree / "proj", {**FILES, "policykit.yaml": SHARED_PROJECT})
    (d,) = validate_project(tree / "proj").diagnostics
    assert (d.code, d.message) == (
        "PK111",
        "include '../shared/district.yaml' points outside the project folder proj",
    )
    assert "include_roots" in d.hint


def test_a_named_root_is_trusted(tree: Path) -> None:
    project = SHARED_PROJECT + "include_roots: [../shared]\n"
    write_tree(tree / "proj", {**FILES, "policykit.yaml": project})
    assert _codes(tree / "proj") == []
    # several projects can share it
    write_tree(tree / "proj2", {**FILES, "policykit.yaml": project})
    assert _codes(tree / "proj2") == []


def test_escapes_elsewhere_are_still_refused(tree: Path) -> None:
    project = (
        SHARED_PROJECT.replace("../shared/district.yaml", "../other/district.yaml")
        + "include_roots: [../shared]\n"
    )
    write_tree(tree / "proj", {**FILES, "policykit.yaml": project})
    assert _codes(tree / "proj") == [
        (
            "PK111",
            "include '../other/district.yaml' points outside the project folder proj "
            "and its include_roots",
        )
    ]


def test_a_symlink_in_a_root_that_leads_out_is_refused(tree: Path) -> None:
    os.symlink(tree / "other" / "district.yaml", tree / "shared" / "link.yaml")
    project = SHARED_PROJECT.replace("district.yaml", "link.yaml") + "include_roots: [../shared]\n"
    write_tree(tree / "proj", {**FILES, "policykit.yaml": project})
    assert [c for c, _ in _codes(tree / "proj")] == ["PK111"]


def test_a_root_that_is_not_a_folder_is_reported(tree: Path) -> None:
    project = PROJECT + "include_roots: [../nowhere]\n"
    write_tree(tree / "proj", {**FILES, "policykit.yaml": project})
    (d,) = validate_project(tree / "proj").diagnostics
    assert (d.code, d.message, d.file, d.line) == (
        "PK100",
        "include root '../nowhere' is not a folder",
        "proj/policykit.yaml",
        11,
    )
