"""Running projects through the public entry points, and comparing what comes out."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from policykit.cli import main
from policykit.diagnostics import Diagnostic, Severity
from policykit.pipeline import compile_project, validate_project
from policykit.spec.artifact import TargetBehaviorSpec, dumps

Key = tuple[str, tuple[tuple[str, str], ...]]


def cli(*argv: str) -> tuple[int, str, str]:
    """``policykit ARGV`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def write_files(root: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "policykit.yaml"


def compiled(path: Path) -> tuple[TargetBehaviorSpec | None, tuple[Diagnostic, ...]]:
    result = compile_project(path)
    return result.spec, result.diagnostics


def errors(diags: tuple[Diagnostic, ...]) -> list[Diagnostic]:
    return [d for d in diags if d.severity is Severity.ERROR]


def validate_errors(path: Path) -> list[Diagnostic]:
    return errors(validate_project(path).diagnostics)


def cell_of(behavior: Any, ctx: Mapping[str, str]) -> Any:
    """The spec cell of ``behavior`` that holds the full context ``ctx``."""
    found = [c for c in behavior.cells if all(ctx[d] in vs for d, vs in c.when.items() if d in ctx)]
    assert len(found) == 1, f"{len(found)} cells hold {dict(ctx)} in {behavior.id}"
    return found[0]


def contexts(spec: TargetBehaviorSpec) -> list[dict[str, str]]:
    out: list[dict[str, str]] = [{}]
    for d in spec.dimensions:
        out = [{**c, d.id: v} for c in out for v in d.values]
    return out


def values(spec: TargetBehaviorSpec) -> dict[Key, dict[str, float]]:
    """P_intended per (behavior, full context)."""
    out = {}
    for b in spec.behaviors:
        for ctx in contexts(spec):
            out[(b.id, tuple(sorted(ctx.items())))] = dict(cell_of(b, ctx).intended)
    return out


def bounds(spec: TargetBehaviorSpec) -> dict[Key, dict[str, tuple[float, float]]]:
    out = {}
    for b in spec.behaviors:
        for ctx in contexts(spec):
            cell = cell_of(b, ctx)
            out[(b.id, tuple(sorted(ctx.items())))] = {
                o: (x.min, x.max) for o, x in cell.bounds.items()
            }
    return out


def dropped(spec: TargetBehaviorSpec) -> set[str]:
    return {r for b in spec.behaviors for c in b.cells for r in c.dropped}


def close(
    a: Mapping[Key, Mapping[str, Any]], b: Mapping[Key, Mapping[str, Any]], tol: float = 1e-6
) -> bool:
    if a.keys() != b.keys():
        return False
    for k in a:
        if a[k].keys() != b[k].keys():
            return False
        for o in a[k]:
            x, y = a[k][o], b[k][o]
            xs = x if isinstance(x, tuple) else (x,)
            ys = y if isinstance(y, tuple) else (y,)
            if any(abs(p - q) > tol for p, q in zip(xs, ys, strict=True)):
                return False
    return True


_INDEX = re.compile(r"^(rules|grants|policies)\[(\d+)\]")


def diag_keys(diags: tuple[Diagnostic, ...], root: Path) -> set[tuple[str, str, str]]:
    """Diagnostics as (code, file name, what they point at), where a rule is named by its
    id, a grant and a policy binding by their content: the same findings in any order."""
    out = set()
    for d in diags:
        anchor = d.path
        m = _INDEX.match(d.path)
        file = Path(d.file).name
        if m:
            doc = yaml.safe_load((root / file).read_text(encoding="utf-8"))
            item = doc[m.group(1)][int(m.group(2))]
            anchor = item["id"] if m.group(1) == "rules" else repr(sorted(item.items()))
        out.add((d.code, file, anchor))
    return out


def spec_bytes(spec: TargetBehaviorSpec) -> str:
    return dumps(spec)
