"""Golden projects: each folder here is a small project and its expected diagnostics.

A project that passes validation is compiled too: its ``compile`` section holds what
compilation adds (the resolver's diagnostics, such as PK420 and PK218), whether a spec
came out, and the rules dropped for violating a permission.

``expected.json`` is generated, never edited by hand:

    .venv/bin/python tests/projects/golden.py            # regenerate every case
    .venv/bin/python tests/projects/golden.py CASE ...   # regenerate some

Review the diff of expected.json like any other change.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@contextlib.contextmanager
def chdir(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def cases() -> list[Path]:
    return sorted(p for p in HERE.iterdir() if (p / "policykit.yaml").exists())


def run_case(case: Path) -> dict[str, Any]:
    """Validate a case (and compile it, if it passes) from inside its folder, so file
    names in the output are short."""
    from policykit.diagnostics import has_errors
    from policykit.pipeline import compile_project, validate_project

    with chdir(case):
        result = validate_project("policykit.yaml")
        out: dict[str, Any] = {
            "passes": not has_errors(result.diagnostics),
            "diagnostics": [d.to_json() for d in result.diagnostics],
        }
        if result.accepted:  # only then: the other cases keep their bytes
            out["accepted"] = [a.to_json() for a in result.accepted]
        if out["passes"]:
            compiled = compile_project("policykit.yaml")
            added = [d for d in compiled.diagnostics if d not in result.diagnostics]
            out["compile"] = {
                "compiles": compiled.spec is not None,
                "diagnostics": [d.to_json() for d in added],
                "dropped": sorted(compiled.dropped),
            }
        elif _resolution_errors(result.diagnostics):
            # validate reports what resolution would reject (PK216, PK218, PK420); the
            # golden holds compile's own errors too, which must be the same
            compiled = compile_project("policykit.yaml")
            out["compile"] = {
                "compiles": compiled.spec is not None,
                "errors": [d.to_json() for d in compiled.diagnostics if d.severity == "error"],
            }
    return out


def _resolution_errors(diagnostics: Any) -> list[Any]:
    from policykit.codes import PK216, PK218, PK420

    return [d for d in diagnostics if d.code in (PK216, PK218, PK420)]


def expected_path(case: Path) -> Path:
    return case / "expected.json"


def main(names: list[str]) -> int:
    selected = [HERE / n for n in names] if names else cases()
    for case in selected:
        out = json.dumps(run_case(case), indent=2, ensure_ascii=False) + "\n"
        expected_path(case).write_text(out, encoding="utf-8")
        print(f"wrote {expected_path(case).relative_to(HERE.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent.parent))
    sys.exit(main(sys.argv[1:]))
