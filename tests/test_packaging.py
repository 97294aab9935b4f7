"""What a wheel installs: the standard library's schema lines resolve from where it is
installed (policykit/policies/), as they do in the repository."""

from __future__ import annotations

import importlib.util
import posixpath
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
_SCHEMA = re.compile(r"^# yaml-language-server: \$schema=(\S+)$", re.M)


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hatch_build", ROOT / "hatch_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _target(file: str, text: str) -> str:
    m = _SCHEMA.search(text)
    assert m, f"{file} has no schema line"
    return posixpath.normpath(posixpath.join(posixpath.dirname(file), m.group(1)))


STD = sorted(
    p.relative_to(ROOT / "policies").as_posix() for p in (ROOT / "policies").rglob("*.yaml")
)


@pytest.mark.parametrize("rel", STD)
def test_schema_lines_resolve_in_the_repository(rel: str) -> None:
    target = _target(f"policies/{rel}", (ROOT / "policies" / rel).read_text(encoding="utf-8"))
    assert (ROOT / target).is_file(), target


def test_schema_lines_resolve_where_a_wheel_installs_the_library(tmp_path: Path) -> None:
    std = _hook().installed_std(ROOT, tmp_path)
    copied = sorted(p.relative_to(std).as_posix() for p in std.rglob("*.yaml"))
    assert copied == STD
    for rel in copied:
        target = _target(f"policykit/policies/{rel}", (std / rel).read_text(encoding="utf-8"))
        assert target.startswith("policykit/schemas/"), (rel, target)
        assert (ROOT / target).is_file(), target


def test_only_the_schema_line_changes() -> None:
    hook = _hook()
    text = (
        "# yaml-language-server: $schema=../../policykit/schemas/x.json\n"
        "key: ../../policykit/schemas/\n"
    )
    assert hook.relocate_modeline(text, 2) == (
        "# yaml-language-server: $schema=../../schemas/x.json\nkey: ../../policykit/schemas/\n"
    )
    # a line written for another depth is left as it is
    assert hook.relocate_modeline(text, 3) == text
