"""Builds policykit's C reader (policykit/load/_fastyaml.c) when policykit is installed.

The C reader is an accelerator: it builds the same values as the Python YAML reader,
about five times faster, and policykit works the same without it. So it is built where
a C compiler and libyaml's headers are found (Debian: ``apt-get install gcc
libyaml-dev``; this project's machines have both) and skipped with a warning elsewhere,
or when POLICYKIT_PURE_PYTHON is set. An editable install (``pip install -e .``)
builds it next to its source; a wheel carries it and is tagged for the platform.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MODULE = "policykit.load._fastyaml"
SOURCE = "policykit/load/_fastyaml.c"


class CReaderHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if os.environ.get("POLICYKIT_PURE_PYTHON"):
            return
        editable = version == "editable"
        self._work = Path(tempfile.mkdtemp(prefix="policykit-c-reader-"))
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
