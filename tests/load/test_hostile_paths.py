"""Paths no user means, met as findings with file:line:col and never a traceback: a
NUL byte (YAML's "\\0" escape), a symlink loop, a name too long for the file system,
an include chain far deeper than any project needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from policykit.cli import main
from tests.minimal import CATALOG, PROJECT, project


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _validate(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["validate", "."]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return captured.out


@pytest.mark.parametrize(
    ("entry", "where"),
    [
        ('catalogs: ["catalog\\0.yaml"]', "policykit.yaml:7:12"),
        ('catalogs: ["std:core/catalog\\0.yaml"]', "policykit.yaml:7:12"),
    ],
)
def test_a_nul_in_a_catalog_path(
    root: Path, capsys: pytest.CaptureFixture[str], entry: str, where: str
) -> None:
    project(root, policykit=PROJECT.replace("catalogs: [catalog.yaml]", entry))
    out = _validate(capsys)
    assert "error[PK100]: include " in out and "the path holds a NUL character" in out
    assert where in out


def test_a_nul_in_a_policy_path(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(root, policykit=PROJECT.replace("path: deployer.yaml", 'path: "deployer\\0.yaml"'))
    out = _validate(capsys)
    assert "the path holds a NUL character" in out and "policykit.yaml:9:11" in out


def test_a_symlink_loop(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(root)
    (root / "loop.yaml").symlink_to(root / "loop.yaml")
    (root / "policykit.yaml").write_text(
        PROJECT.replace("catalogs: [catalog.yaml]", "catalogs: [catalog.yaml, loop.yaml]")
    )
    out = _validate(capsys)
    assert "error[PK100]: include 'loop.yaml' cannot be read: " in out
    assert "policykit.yaml:7:" in out


def test_a_name_too_long_for_the_file_system(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long = "x" * 300 + ".yaml"
    project(root, policykit=PROJECT.replace("path: deployer.yaml", f"path: {long}"))
    out = _validate(capsys)
    assert f"error[PK100]: include '{long}' cannot be read: file name too long" in out


def _chain(root: Path, length: int) -> None:
    """catalog.yaml includes c1.yaml, which includes c2.yaml, ... up to c{length}."""
    header = CATALOG.split("dimensions:")[0].replace("name: mini", "name: c{i}")
    for i in range(1, length):
        (root / f"c{i}.yaml").write_text(
            header.format(i=i) + f"include: [c{i + 1}.yaml]\n", encoding="utf-8"
        )
    (root / f"c{length}.yaml").write_text(header.format(i=length), encoding="utf-8")
    (root / "catalog.yaml").write_text(CATALOG + "include: [c1.yaml]\n", encoding="utf-8")


def test_an_include_chain_deeper_than_the_cap(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project(root)
    _chain(root, 1200)
    out = _validate(capsys)
    assert "error[PK116]: includes nest 33 deep here, deeper than the cap of 32" in out
    assert "c31.yaml:" in out
    assert "limits.max_include_depth" in out


def test_the_project_file_raises_the_include_depth_cap(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project(root, policykit=PROJECT + "limits: {max_include_depth: 60}\n")
    _chain(root, 40)
    assert main(["validate", "."]) == 0, capsys.readouterr().out
