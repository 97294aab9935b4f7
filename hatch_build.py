"""Builds policykit's C reader (policykit/load/_fastyaml.c) when policykit is installed.

The C reader is an accelerator: it builds the same values as the Python YAML reader,
about five times faster, and policykit works the same without it. So it is built where
a C compiler and libyaml's headers are found (Debian: ``apt-get install gcc
libyaml-dev``; this project's machines have both) and skipped with a warning elsewhere,
or when POLICYKIT_PURE_PYTHON is set. An editable install (``pip install -e .``)
builds it next to its source; a wheel carries it and is tagged for the platform.

A wheel also carries the standard library (``policies/``) inside the package, at
``policykit/policies/``: one folder deeper than in the repository, so the files'
``# yaml-language-server: $schema=`` lines are rewritten to reach the schemas from there.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # imported for its helpers (the tests), not by hatchling
    BuildHookInterface = object

MODULE = "policykit.load._fastyaml"
SOURCE = "policykit/load/_fastyaml.c"
STD_SOURCE = "policies"
STD_TARGET = "policykit/policies"
_MODELINE = re.compile(r"^(# yaml-language-server: \$schema=)((?:\.\./)+)policykit/schemas/", re.M)


def relocate_modeline(text: str, depth: int) -> str:
    """``text`` of a standard-library file ``depth`` folders and a name below
    ``policies/`` (``core/catalog.yaml``: 2), with its schema line made to reach
    ``policykit/schemas/`` from ``policykit/policies/``, where a wheel installs it.

    In the repository ``../`` * depth leads to the repository root, and the schemas are
    in ``policykit/schemas/``; installed, the same ``../`` * depth leads into
    ``policykit/`` itself.
    """

    def move(m: re.Match[str]) -> str:
        if m.group(2) != "../" * depth:
            return m.group(0)  # not the repository's layout: leave it as written
        return m.group(1) + "../" * depth + "schemas/"

    return _MODELINE.sub(move, text)


def installed_std(root: Path, work: Path) -> Path:
    """A copy of the standard library under ``work``, as a wheel installs it."""
    source = root / STD_SOURCE
    out = work / "policies"
    for src in sorted(source.rglob("*")):
        if not src.is_file():
            continue
        rel = src.relative_to(source)
        dst = out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.suffix == ".yaml":
            text = src.read_text(encoding="utf-8")
            dst.write_text(relocate_modeline(text, len(rel.parts)), encoding="utf-8")
        else:
            shutil.copy2(src, dst)
    return out


class CReaderHook(BuildHookInterface):  # type: ignore[misc,valid-type]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        editable = version == "editable"
        self._work = Path(tempfile.mkdtemp(prefix="policykit-build-"))
        if not editable:  # an editable install reads policies/ where it is
            std = installed_std(Path(self.root), self._work)
            build_data["force_include"][str(std)] = STD_TARGET
        if os.environ.get("POLICYKIT_PURE_PYTHON"):
            return
        try:
            built = _compile(Path(self.root), self._work, inplace=editable)
        except Exception as exc:  # no compiler, no libyaml headers: the Python reader
            self.app.display_warning(
                f"policykit: the C reader was not built ({type(exc).__name__}: {exc}); "
                "policykit works without it, reading YAML about five times slower. "
                "To build it, install a C compiler and libyaml's headers (Debian: "
                "apt-get install gcc libyaml-dev) and reinstall."
            )
            return
        if not editable:
            build_data["force_include"][str(built)] = f"policykit/load/{built.name}"
            build_data["pure_python"] = False
            build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        work = getattr(self, "_work", None)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)


def _compile(root: Path, work: Path, *, inplace: bool) -> Path:
    """The built extension module: next to its source when ``inplace``, else in
    ``work``."""
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    extension = Extension(MODULE, [SOURCE], libraries=["yaml"])
    here = os.getcwd()
    os.chdir(root)
    try:
        command = build_ext(Distribution({"name": "policykit", "ext_modules": [extension]}))
        command.inplace = inplace
        command.build_lib = str(work / "lib")
        command.build_temp = str(work / "temp")
        command.ensure_finalized()
        command.run()
        return (root / command.get_ext_fullpath(MODULE)).resolve()
    finally:
        os.chdir(here)
