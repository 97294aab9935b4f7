"""Issue #14, section 4: paths that made policykit print a traceback (exit 3).

A NUL written with YAML's ``"\\0"`` escape in an include, a policy path or a ``std:``
name; a symlink loop; a file name too long for the filesystem; an include chain more
than about 1,000 deep. Each must be a finding with the file:line:col of the path that
names it, exit 1, and no traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.hostile.harness import CODE, Result, assert_no_traceback, assert_one_line_error, run
from tests.minimal import CATALOG, PROJECT, project


def _project_line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _assert_finding_at(result_text: str, file: str, line: int) -> None:
    """A diagnostic that points at ``file:line:col``."""
    pattern = re.escape(file) + rf":{line}:\d+"
    assert re.search(pattern, result_text), f"no {file}:{line}:col in\n{result_text}"


@pytest.mark.parametrize(
    ("where", "text"),
    [
        ("policy path", PROJECT.replace("path: deployer.yaml", 'path: "deployer\\0.yaml"')),
        (
            "catalog path",
            PROJECT.replace("catalogs: [catalog.yaml]", 'catalogs: ["cat\\0alog.yaml"]'),
        ),
        (
            "std name",
            PROJECT.replace("catalogs: [catalog.yaml]", 'catalogs: ["std:core/cat\\0alog.yaml"]'),
        ),
    ],
)
def test_nul_in_a_project_path_is_a_finding(where: str, text: str, tmp_path: Path) -> None:
    """Paths: "A NUL written with YAML's "\\0" escape in an include, policy path or std:
    name" gives exit 3; it must be a finding at the path's line, exit 1."""
    root = project(tmp_path, policykit=text)
    result = run(["validate", str(root)], timeout=30)
    assert_no_traceback(result)
    assert result.rc == 1, result.describe()
    line = _project_line(text, "\\0")
    _assert_finding_at(result.text, "policykit.yaml", line)


def test_nul_in_a_catalog_include_is_a_finding(tmp_path: Path) -> None:
    """Paths: NUL in a catalog's ``include`` is a finding at that line, exit 1."""
    catalog = CATALOG.replace(
        "metadata:\n  name: mini\n", 'metadata:\n  name: mini\ninclude: ["more\\0.yaml"]\n'
    )
    root = project(tmp_path, catalog=catalog)
    result = run(["validate", str(root)], timeout=30)
    assert_no_traceback(result)
    assert result.rc == 1, result.describe()
    _assert_finding_at(result.text, "catalog.yaml", _project_line(catalog, "\\0"))


@pytest.mark.parametrize("command", ["validate", "compile"])
def test_symlink_loop_as_a_policy_is_a_finding(command: str, tmp_path: Path) -> None:
    """Paths: "A symlink loop" (exit 3): a policy path that is a symlink loop is a
    finding at the project's line for it, exit 1."""
    root = project(tmp_path, deployer=None)
    (root / "deployer.yaml").symlink_to(root / "loop.yaml")
    (root / "loop.yaml").symlink_to(root / "deployer.yaml")
    result = run([command, str(root)], timeout=30)
    assert_no_traceback(result)
    assert result.rc == 1, result.describe()
    _assert_finding_at(result.text, "policykit.yaml", _project_line(PROJECT, "path: deployer.yaml"))


def test_symlink_loop_as_the_catalog_include_is_a_finding(tmp_path: Path) -> None:
    """Paths: a catalog include that is a symlink loop is a finding, exit 1."""
    catalog = CATALOG.replace(
        "metadata:\n  name: mini\n", "metadata:\n  name: mini\ninclude: [more.yaml]\n"
    )
    root = project(tmp_path, catalog=catalog)
    (root / "more.yaml").symlink_to(root / "more2.yaml")
    (root / "more2.yaml").symlink_to(root / "more.yaml")
    result = run(["validate", str(root)], timeout=30)
    assert_no_traceback(result)
    assert result.rc == 1, result.describe()
    _assert_finding_at(result.text, "catalog.yaml", _project_line(catalog, "include:"))


def _usage_error(result: Result, path: Path) -> None:
    """A refused command-line argument: exit 1 or 2, no traceback, the path named."""
    assert not result.timed_out, result.describe()
    assert_no_traceback(result)
    assert result.rc in (1, 2), result.describe()
    assert str(path) in result.err.replace("\n", ""), result.describe()


def test_symlink_loop_as_the_project_argument_is_a_usage_error(tmp_path: Path) -> None:
    """Paths: a symlink loop given on the command line is an error naming it, not a
    traceback."""
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    result = run(["validate", str(tmp_path / "a")], timeout=30)
    _usage_error(result, tmp_path / "a")


def test_file_name_too_long_in_a_project_is_a_finding(tmp_path: Path) -> None:
    """Paths: "A file name too long for the filesystem" (exit 3): a finding at the
    policy path's line, exit 1."""
    long_name = "p" * 300 + ".yaml"
    text = PROJECT.replace("path: deployer.yaml", f"path: {long_name}")
    root = project(tmp_path, policykit=text)
    result = run(["validate", str(root)], timeout=30)
    assert_no_traceback(result)
    assert result.rc == 1, result.describe()
    _assert_finding_at(result.text, "policykit.yaml", _project_line(text, long_name))


def test_file_name_too_long_as_an_argument_is_a_usage_error(tmp_path: Path) -> None:
    """Paths: a too-long name on the command line is an error naming it."""
    result = run(["validate", str(tmp_path / ("x" * 300))], timeout=30)
    _usage_error(result, tmp_path / ("x" * 300))


def test_file_name_too_long_as_output_is_one_line(mini: Path, tmp_path: Path) -> None:
    """Paths and outputs: ``-o`` with a name too long for the filesystem is a one-line
    error with exit 1 or 2 (every OS error on output)."""
    result = run(["compile", str(mini), "-o", str(tmp_path / ("s" * 300 + ".json"))], timeout=30)
    assert_one_line_error(result)


def _include_chain(root: Path, depth: int) -> None:
    """``catalog.yaml`` includes ``c1.yaml``, which includes ``c2.yaml``, ... down to
    ``c{depth}.yaml``, which holds nothing but its metadata."""
    head = CATALOG.replace(
        "metadata:\n  name: mini\n", "metadata:\n  name: mini\ninclude: [c1.yaml]\n"
    )
    (root / "catalog.yaml").write_text(head, encoding="utf-8")
    for i in range(1, depth + 1):
        include = f"include: [c{i + 1}.yaml]\n" if i < depth else ""
        (root / f"c{i}.yaml").write_text(
            f"apiVersion: policykit/v1\nkind: Catalog\nmetadata: {{name: c{i}}}\n{include}",
            encoding="utf-8",
        )


@pytest.mark.parametrize("depth", [1100, 5000])
def test_deep_include_chain_is_a_capped_finding(depth: int, tmp_path: Path) -> None:
    """Paths and caps: "An include chain more than about 1,000 deep" (exit 3): include
    depth has a cap with its own PK1xx/PK2xx diagnostic naming the measured depth or
    the limit; exit 1, no traceback, and quickly."""
    root = project(tmp_path)
    _include_chain(root, depth)
    result = run(["validate", str(root)], timeout=30)
    assert not result.timed_out, result.describe()
    assert_no_traceback(result)
    assert result.rc == 1, result.describe()
    assert CODE.search(result.text), result.describe()
    assert re.search(r"\d{2,}", result.text), result.describe()


def test_moderate_include_chain_still_validates(tmp_path: Path) -> None:
    """Paths: the cap on include depth leaves ordinary nesting alone: a chain of 10
    includes validates clean (so the cap test above cannot pass by refusing all)."""
    root = project(tmp_path)
    _include_chain(root, 10)
    result = run(["validate", str(root)], timeout=30)
    assert result.rc == 0, result.describe()
