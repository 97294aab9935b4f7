"""Rendering diagnostics: text with source carets, JSON, SARIF 2.1.0, GitHub annotations."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rich.console import Console
from rich.markup import escape

from policykit import __version__
from policykit.codes import CODES
from policykit.diagnostics import Diagnostic, Severity

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold cyan"}
_WORD = r"[^\s,\]\}#:]+(?::[^\s,\]\}#:]+)*"
_TOKEN = re.compile(rf"""("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|{_WORD}(?:[ \t]+{_WORD})*)""")


@lru_cache(maxsize=64)
def _lines(file: str) -> tuple[str, ...]:
    try:
        return tuple(Path(file).read_text(encoding="utf-8-sig").splitlines())
    except (OSError, UnicodeDecodeError):
        return ()


def _source_line(file: str, line: int) -> str | None:
    lines = _lines(file)
    return lines[line - 1] if 0 < line <= len(lines) else None


def summary(diagnostics: Sequence[Diagnostic]) -> dict[str, Any]:
    counts = Counter(d.severity for d in diagnostics)
    pairs = Counter(" vs ".join(d.stakeholders) for d in diagnostics if len(d.stakeholders) > 1)
    return {
        "errors": counts[Severity.ERROR],
        "warnings": counts[Severity.WARNING],
        "infos": counts[Severity.INFO],
        "files": len({d.file for d in diagnostics}),
        "stakeholder_pairs": dict(sorted(pairs.items())),
    }


def summary_line(diagnostics: Sequence[Diagnostic], checked: int) -> str:
    s = summary(diagnostics)
    parts = [
        f"{s['errors']} error{'s' * (s['errors'] != 1)}",
        f"{s['warnings']} warning{'s' * (s['warnings'] != 1)}",
        f"{s['infos']} note{'s' * (s['infos'] != 1)}",
    ]
    line = f"{', '.join(parts)} in {checked} file{'s' * (checked != 1)}"
    if s["stakeholder_pairs"]:
        line += "; by stakeholders: " + ", ".join(
            f"{k} {v}" for k, v in s["stakeholder_pairs"].items()
        )
    return line


def render_text(console: Console, diagnostics: Sequence[Diagnostic]) -> None:
    """Compiler-style output, file-level findings first, then conflicts grouped by
    behavior."""
    _lines.cache_clear()  # files may have changed since the last render in this process
    general = [d for d in diagnostics if not d.behavior]
    by_behavior: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        if d.behavior:
            by_behavior.setdefault(d.behavior, []).append(d)
    _render_block(console, general)
    for behavior in sorted(by_behavior):
        found = by_behavior[behavior]
        console.rule(f"[bold]behavior {escape(behavior)}[/] ({len(found)})", align="left")
        console.print()
        _render_block(console, found)


def _render_block(console: Console, diagnostics: Sequence[Diagnostic]) -> None:
    """Each diagnostic: the message, the location, the line with a caret."""
    for d in diagnostics:
        label = "note" if d.severity is Severity.INFO else d.severity.value
        console.print(
            f"[{_STYLE[d.severity]}]{label}[{escape(d.code)}][/]: [bold]{escape(d.message)}[/]"
        )
        console.print(f"  [blue]-->[/] {escape(d.location)}")
        text = _source_line(d.file, d.line) if d.line else None
        if text is not None:
            gutter = " " * len(str(d.line))
            match = _TOKEN.match(text, max(d.column - 1, 0))
            width = max(len(match.group(0)) if match else 1, 1)
            console.print(f"  [blue]{gutter} |[/]")
            console.print(f"  [blue]{d.line} |[/] {escape(text)}")
            caret = " " * max(d.column - 1, 0) + "^" * width
            console.print(f"  [blue]{gutter} |[/] [{_STYLE[d.severity]}]{caret}[/]")
        if d.path:
            console.print(f"  [blue]=[/] at: {escape(d.path)}")
        for r in d.related:
            console.print(
                f"  [blue]=[/] {escape(r.message)}: {escape(_loc(r.file, r.line, r.column))}"
            )
        if d.hint:
            console.print(f"  [blue]=[/] help: {escape(d.hint)}")
        console.print()


def _loc(file: str, line: int, column: int) -> str:
    return f"{file}:{line}:{column}" if line else file


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    doc = {"diagnostics": [d.to_json() for d in diagnostics], "summary": summary(diagnostics)}
    return json.dumps(doc, indent=2, ensure_ascii=False)


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _repo_root(start: Path) -> Path:
    for p in (start, *start.parents):
        if (p / ".git").exists():
            return p
    return start


def _uri(file: str, root: Path) -> str:
    path = Path(file).resolve()
    try:
        return quote(path.relative_to(root).as_posix())
    except ValueError:
        return path.as_uri()


def _sarif_location(file: str, line: int, column: int, root: Path) -> dict[str, Any]:
    uri = _uri(file, root)
    artifact: dict[str, Any] = {"uri": uri}
    if not uri.startswith("file:"):  # a base id only makes sense for a relative URI
        artifact["uriBaseId"] = "%SRCROOT%"
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line:
        physical["region"] = {"startLine": line, "startColumn": max(column, 1)}
    return {"physicalLocation": physical}


def render_sarif(diagnostics: Sequence[Diagnostic]) -> str:
    """SARIF 2.1.0, with URIs relative to the repository holding the working directory."""
    root = _repo_root(Path.cwd().resolve())
    used = sorted({d.code for d in diagnostics})
    rules = [
        {
            "id": code,
            "name": CODES[code].title.title().replace(" ", ""),
            "shortDescription": {"text": CODES[code].title},
            "help": {"text": CODES[code].fix},
            "defaultConfiguration": {"level": _SARIF_LEVEL[CODES[code].severity]},
        }
        for code in used
        if code in CODES
    ]
    results = []
    for d in diagnostics:
        text = d.message + (f" ({d.hint})" if d.hint else "")
        result: dict[str, Any] = {
            "ruleId": d.code,
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": text},
            "locations": [_sarif_location(d.file, d.line, d.column, root)],
        }
        if d.related:
            result["relatedLocations"] = [
                {
                    "id": i,
                    "message": {"text": r.message},
                    **_sarif_location(r.file, r.line, r.column, root),
                }
                for i, r in enumerate(d.related)
            ]
        results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "policykit",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/policykit/",
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False)


def _gh_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


_GH_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(diagnostics: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands, one annotation per diagnostic."""
    out = []
    for d in diagnostics:
        props = [f"file={_gh_escape(d.file, prop=True)}"]
        if d.line:
            props += [f"line={d.line}", f"col={max(d.column, 1)}"]
        props.append(f"title={_gh_escape(d.code + ' ' + CODES[d.code].title, prop=True)}")
        message = d.message + (f" ({d.hint})" if d.hint else "")
        out.append(f"::{_GH_LEVEL[d.severity]} {','.join(props)}::{_gh_escape(message)}")
    return "\n".join(out)
