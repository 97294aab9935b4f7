"""Rendering diagnostics: text with source carets, JSON, SARIF 2.1.0, GitHub annotations."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from functools import lru_cache
from json.encoder import encode_basestring as _encode_str
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from policykit import __version__
from policykit.cli.terminal import shown
from policykit.codes import CODES
from policykit.diagnostics import Diagnostic, Related, Severity
from policykit.load.project import STD_PREFIX, source_path
from policykit.load.reader import split_lines

if TYPE_CHECKING:
    from rich.console import Console

    from policykit.analyze.accept import Accepted

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold cyan"}
_WORD = r"[^\s,\]\}#:]+(?::[^\s,\]\}#:]+)*"
_TOKEN = re.compile(rf"""("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|{_WORD}(?:[ \t]+{_WORD})*)""")


@lru_cache(maxsize=64)
def _lines(file: str) -> tuple[str, ...]:
    try:
        return tuple(split_lines(source_path(file).read_text(encoding="utf-8-sig")))
    except (OSError, UnicodeDecodeError):
        return ()


def _source_line(file: str, line: int) -> str | None:
    lines = _lines(file)
    return lines[line - 1] if 0 < line <= len(lines) else None


def summary(
    diagnostics: Sequence[Diagnostic], files: int, accepted: Sequence[Accepted] = ()
) -> dict[str, Any]:
    """The counts of a report: findings by severity, files read (``files``), accepted
    findings, and findings by the stakeholders they set against each other."""
    counts = Counter(d.severity for d in diagnostics)
    pairs = Counter(" vs ".join(d.stakeholders) for d in diagnostics if len(d.stakeholders) > 1)
    return {
        "errors": counts[Severity.ERROR],
        "warnings": counts[Severity.WARNING],
        "infos": counts[Severity.INFO],
        "accepted": len(accepted),
        "files": files,
        "stakeholder_pairs": dict(sorted(pairs.items())),
    }


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def summary_line(
    diagnostics: Sequence[Diagnostic], checked: int, accepted: Sequence[Accepted] = ()
) -> str:
    s = summary(diagnostics, checked, accepted)
    parts = [_count(s["errors"], "error"), _count(s["warnings"], "warning")]
    parts.append(_count(s["infos"], "info"))
    if accepted:
        parts.append(f"{len(accepted)} accepted")
    line = f"{', '.join(parts)} in {_count(checked, 'file')}"
    if s["stakeholder_pairs"]:
        line += "; by stakeholders: " + ", ".join(
            f"{k} {v}" for k, v in s["stakeholder_pairs"].items()
        )
    return line


def at_least(diagnostics: Sequence[Diagnostic], severity: Severity) -> list[Diagnostic]:
    """The findings at ``severity`` or above (``--severity``)."""
    return [d for d in diagnostics if d.severity.rank >= severity.rank]


def short_lines(diagnostics: Sequence[Diagnostic], accepted: Sequence[Accepted] = ()) -> str:
    """One line per finding, ``file:line:col: severity[CODE] message`` (``--format
    short``); accepted findings as ``accepted[CODE]``, with their reason."""
    lines = [f"{d.location}: {d.severity.value}[{d.code}] {d.message}" for d in diagnostics]
    lines += [
        f"{a.diagnostic.location}: accepted[{a.diagnostic.code}] {a.diagnostic.message} "
        f"(accepted at {a.location}: {a.reason})"
        for a in accepted
    ]
    return "".join(line + "\n" for line in lines)


def render_accepted(console: Console, accepted: Sequence[Accepted]) -> None:
    """The accepted findings, two lines each: the finding and why it is accepted."""
    from rich.markup import escape

    for a in accepted:
        d = a.diagnostic
        console.print(
            f"[bold green]accepted[{escape(d.code)}][/]: {escape(shown(d.message))}\n"
            f"  [blue]-->[/] {escape(shown(d.location))}\n"
            f"  [blue]=[/] accepted at {escape(shown(a.location))}: {escape(shown(a.reason))}\n"
        )


def render_text(console: Console, diagnostics: Sequence[Diagnostic]) -> None:
    """Compiler-style output, file-level findings first, then conflicts grouped by
    behavior."""
    from rich.markup import escape

    _lines.cache_clear()  # files may have changed since the last render in this process
    general = [d for d in diagnostics if not d.behavior]
    by_behavior: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        if d.behavior:
            by_behavior.setdefault(d.behavior, []).append(d)
    _render_block(console, general)
    for behavior in sorted(by_behavior):
        found = by_behavior[behavior]
        console.rule(f"[bold]behavior {escape(shown(behavior))}[/] ({len(found)})", align="left")
        console.print()
        _render_block(console, found)


def _render_block(console: Console, diagnostics: Sequence[Diagnostic]) -> None:
    """Each diagnostic: the message, the location, the line with a caret."""
    from rich.markup import escape

    # One print per diagnostic: rich's work per print, not per line, is most of the time
    for d in diagnostics:
        lines = [
            f"[{_STYLE[d.severity]}]{d.severity.value}[{escape(d.code)}][/]: "
            f"[bold]{escape(shown(d.message))}[/]"
        ]
        if d.location:
            lines.append(f"  [blue]-->[/] {escape(shown(d.location))}")
        text = _source_line(d.file, d.line) if d.line else None
        if text is not None:
            gutter = " " * len(str(d.line))
            start = max(d.column - 1, 0)
            before, marked, after = _window(text, start, _caret_width(text, start))
            # the caret stands under the escaped text, which can be wider than the raw
            caret = " " * len(shown(before)) + "^" * max(len(shown(marked)), 1)
            lines += [
                f"  [blue]{gutter} |[/]",
                f"  [blue]{d.line} |[/] {escape(shown(before + marked + after))}",
                f"  [blue]{gutter} |[/] [{_STYLE[d.severity]}]{caret}[/]",
            ]
        if d.path:
            lines.append(f"  [blue]=[/] at: {escape(shown(d.path))}")
        for r in d.related:
            lines.append(
                f"  [blue]=[/] {escape(shown(r.message))}: "
                f"{escape(shown(_loc(r.file, r.line, r.column)))}"
            )
        if d.hint:
            lines.append(f"  [blue]=[/] help: {escape(shown(d.hint))}")
        lines.append("")
        console.print("\n".join(lines))


_CLOSE = {"{": "}", "[": "]"}
_CONTEXT = 40
"""Characters of a long source line shown before the caret, and (twice as many) under
and after it: a 2 MB line is shown as the part around the caret, not whole."""


def _window(text: str, start: int, width: int) -> tuple[str, str, str]:
    """``text`` cut into what stands before the caret, under it and after it, clipped
    with "…" to a window around the caret when the line is long."""
    end = start + width
    if len(text) <= 3 * _CONTEXT:
        return text[:start], text[start:end], text[end:]
    lo = max(start - _CONTEXT, 0)
    hi = min(end, start + 2 * _CONTEXT)
    before = ("…" if lo else "") + text[lo:start]
    after = text[hi : max(hi, start + 2 * _CONTEXT)] + (
        "…" if len(text) > start + 2 * _CONTEXT else ""
    )
    return before, text[start:hi], after


def _caret_width(text: str, start: int) -> int:
    """How many characters the caret under ``text[start:]`` covers: one token, or a
    whole flow mapping or sequence (``{rank: 2}``) as far as it goes on the line."""
    if start < len(text) and text[start] in _CLOSE:
        depth, quote, i = 0, "", start
        while i < len(text):
            c = text[i]
            if quote:
                if c == quote:
                    quote = ""
            elif c in "'\"":
                quote = c
            elif c in "{[":
                depth += 1
            elif c in "}]":
                depth -= 1
                if depth == 0:
                    return i - start + 1
            elif c == "#" and text[i - 1] in " \t":
                break
            i += 1
        return max(len(text[start:i].rstrip()), 1)
    match = _TOKEN.match(text, start)
    return max(len(match.group(0)) if match else 1, 1)


def _loc(file: str, line: int, column: int) -> str:
    return f"{file}:{line}:{column}" if line else file


# -- JSON ----------------------------------------------------------------------------
#
# The JSON and SARIF reports are written as ``json.dumps(doc, indent=2,
# ensure_ascii=False)`` writes them, but in pieces and without json's pure-Python
# encoder (the C one is used only without indent): at 100k rules the report is tens of
# megabytes, and building it whole held several times that in memory and took seconds.
# tests/cli/test_render_stream.py holds the output to json.dumps on random diagnostics.

CHUNK = 512
"""Diagnostics per piece of a streamed report."""


def _dump(value: Any, nl: str) -> str:
    """``value`` as ``json.dumps(value, indent=2, ensure_ascii=False)`` writes it, its
    lines after the first indented by ``nl`` (a newline and the current indent)."""
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if kind is int:
        return int.__repr__(value)
    if kind is dict:
        if not value:
            return "{}"
        inner = nl + "  "
        try:
            items = [_encode_str(k) + ": " + _dump(v, inner) for k, v in value.items()]
        except TypeError:  # a key that is not a string: json converts it
            return _dump_slowly(value, nl)
        return "{" + inner + ("," + inner).join(items) + nl + "}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = nl + "  "
        return "[" + inner + ("," + inner).join([_dump(v, inner) for v in value]) + nl + "]"
    return _dump_slowly(value, nl)


def _dump_slowly(value: Any, nl: str) -> str:
    # floats, booleans, null, subclasses: json itself (no JSON string holds a newline)
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", nl)


_I6, _I8 = "\n      ", "\n        "
_JSON_SEVERITY = {s: _encode_str(s.value) for s in Severity}


@lru_cache(maxsize=1024)
def _json_strings(items: tuple[str, ...]) -> str:
    """A diagnostic's stakeholders: a few lists recur in every finding."""
    if not items:
        return "[]"
    return "[" + _I8 + ("," + _I8).join(map(_encode_str, items)) + _I6 + "]"


@lru_cache(maxsize=4096)
def _json_witness(witness: tuple[tuple[str, str], ...]) -> str:
    """A diagnostic's witness: scopes, and so witnesses, recur over many findings."""
    if not witness:
        return "{}"
    items = [_encode_str(k) + ": " + _encode_str(v) for k, v in dict(witness).items()]
    return "{" + _I8 + ("," + _I8).join(items) + _I6 + "}"


def _json_related(related: tuple[Related, ...]) -> str:
    if not related:
        return "[]"
    items = [
        f'{_I8}{{\n          "message": {_encode_str(r.message)},'
        f'\n          "file": {_encode_str(r.file)},'
        f'\n          "line": {int.__repr__(r.line)},'
        f'\n          "column": {int.__repr__(r.column)}{_I8}}}'
        for r in related
    ]
    return "[" + ",".join(items) + _I6 + "]"


def _json_diagnostic(d: Diagnostic) -> str:
    """``d.to_json()`` as an item of the report's diagnostics list."""
    return (
        f'    {{\n      "code": {_encode_str(d.code)},'
        f'\n      "severity": {_JSON_SEVERITY[d.severity]},'
        f'\n      "message": {_encode_str(d.message)},'
        f'\n      "file": {_encode_str(d.file)},'
        f'\n      "line": {int.__repr__(d.line)},'
        f'\n      "column": {int.__repr__(d.column)},'
        f'\n      "path": {_encode_str(d.path)},'
        f'\n      "hint": {_encode_str(d.hint)},'
        f'\n      "behavior": {_encode_str(d.behavior)},'
        f'\n      "stakeholders": {_json_strings(d.stakeholders)},'
        f'\n      "witness": {_json_witness(d.witness)},'
        f'\n      "related": {_json_related(d.related)}\n    }}'
    )


def iter_json(
    diagnostics: Sequence[Diagnostic],
    files: int,
    accepted: Sequence[Accepted] = (),
    totals: dict[str, Any] | None = None,
) -> Iterator[str]:
    """``{"diagnostics": [...], "accepted": [...], "summary": {...}}``, indented by two
    spaces, in pieces of a few hundred diagnostics each; ``files`` is how many files were
    read; ``totals``: the summary, when it counts more than the findings listed."""
    if not diagnostics:
        yield '{\n  "diagnostics": [],'
    else:
        yield '{\n  "diagnostics": [\n'
        for start in range(0, len(diagnostics), CHUNK):
            text = ",\n".join([_json_diagnostic(d) for d in diagnostics[start : start + CHUNK]])
            yield text if start == 0 else ",\n" + text
        yield "\n  ],"
    yield '\n  "accepted": ' + _dump([a.to_json() for a in accepted], "\n  ") + ","
    if totals is None:
        totals = summary(diagnostics, files, accepted)
    yield '\n  "summary": ' + _dump(totals, "\n  ") + "\n}"


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _repo_root(start: Path) -> Path:
    for p in (start, *start.parents):
        if (p / ".git").exists():
            return p
    return start


def _uri(file: str, root: Path) -> str:
    if file.startswith(STD_PREFIX):  # a standard-library file: in no repository
        return quote(file, safe=":/")
    path = Path(file).resolve()
    try:
        return quote(path.relative_to(root).as_posix())
    except ValueError:
        return path.as_uri()


def _sarif_location(
    file: str, line: int, column: int, root: Path, uris: dict[str, str] | None = None
) -> dict[str, Any]:
    uri = uris.get(file) if uris is not None else None
    if uri is None:
        uri = _uri(file, root)  # resolves the path: a system call per component
        if uris is not None:
            uris[file] = uri
    artifact: dict[str, Any] = {"uri": uri}
    if not uri.startswith(("file:", STD_PREFIX)):  # a base id only fits a relative URI
        artifact["uriBaseId"] = "%SRCROOT%"
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line:
        physical["region"] = {"startLine": line, "startColumn": max(column, 1)}
    return {"physicalLocation": physical}


def _sarif_result(
    d: Diagnostic, root: Path, uris: dict[str, str], reasons: dict[Diagnostic, str]
) -> dict[str, Any]:
    text = d.message + (f" ({d.hint})" if d.hint else "")
    result: dict[str, Any] = {
        "ruleId": d.code,
        "level": _SARIF_LEVEL[d.severity],
        "message": {"text": text},
        "locations": [_sarif_location(d.file, d.line, d.column, root, uris)],
    }
    if d.related:
        result["relatedLocations"] = [
            {
                "id": i,
                "message": {"text": r.message},
                **_sarif_location(r.file, r.line, r.column, root, uris),
            }
            for i, r in enumerate(d.related)
        ]
    reason = reasons.get(d) if reasons else None
    if reason is not None:
        result["suppressions"] = [{"kind": "external", "justification": reason}]
    return result


_RESULT_INDENT = "\n        "


def iter_sarif(
    diagnostics: Sequence[Diagnostic], accepted: Sequence[Accepted] = ()
) -> Iterator[str]:
    """SARIF 2.1.0, with URIs relative to the repository holding the working directory,
    in pieces of a few hundred results each; accepted findings are results with a
    suppression that gives the reason."""
    root = _repo_root(Path.cwd().resolve())
    reasons = {a.diagnostic: a.reason for a in accepted}
    if accepted:
        diagnostics = [*diagnostics, *(a.diagnostic for a in accepted)]
    used = sorted({d.code for d in diagnostics})
    rules = [
        {
            "id": code,
            "name": CODES[code].summary.title().replace(" ", ""),
            "shortDescription": {"text": CODES[code].summary},
            "help": {"text": CODES[code].fix},
            "defaultConfiguration": {"level": _SARIF_LEVEL[CODES[code].severity]},
        }
        for code in used
        if code in CODES
    ]
    tool = {
        "driver": {
            "name": "policykit",
            "version": __version__,
            "informationUri": "https://pypi.org/project/policykit-align/",
            "rules": rules,
        }
    }
    bases = {"%SRCROOT%": {"uri": root.as_uri() + "/"}}
    yield (
        '{\n  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",'
        '\n  "version": "2.1.0",'
        '\n  "runs": [\n    {\n      "tool": ' + _dump(tool, "\n      ") + ","
        '\n      "originalUriBaseIds": ' + _dump(bases, "\n      ") + ","
        '\n      "results": '
    )
    if not diagnostics:
        yield "[]"
    else:
        uris: dict[str, str] = {}
        for start in range(0, len(diagnostics), CHUNK):
            yield ("[" if start == 0 else ",") + ",".join(
                [
                    _RESULT_INDENT + _dump(_sarif_result(d, root, uris, reasons), _RESULT_INDENT)
                    for d in diagnostics[start : start + CHUNK]
                ]
            )
        yield "\n      ]"
    yield "\n    }\n  ]\n}"


def _gh_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


_GH_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _github_line(d: Diagnostic) -> str:
    props = [f"file={_gh_escape(d.file, prop=True)}"]
    if d.line:
        props += [f"line={d.line}", f"col={max(d.column, 1)}"]
    props.append(f"title={_gh_escape(d.code + ' ' + CODES[d.code].summary, prop=True)}")
    message = d.message + (f" ({d.hint})" if d.hint else "")
    return shown(f"::{_GH_LEVEL[d.severity]} {','.join(props)}::{_gh_escape(message)}")


def iter_github(diagnostics: Sequence[Diagnostic]) -> Iterator[str]:
    """The text of the report in pieces, a few hundred lines each."""
    for start in range(0, len(diagnostics), CHUNK):
        text = "\n".join([_github_line(d) for d in diagnostics[start : start + CHUNK]])
        yield text if start == 0 else "\n" + text
