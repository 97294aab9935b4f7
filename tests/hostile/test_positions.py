"""Issue #14, section 7 and "Positions": positions are exact for every Unicode
line-break rule YAML uses, keys with any characters are named correctly, and the
promptfoo export round-trips every string exactly.

Lines are counted the way an editor (and ``file:line:col`` in a terminal) counts them:
by ``\\n``. U+0085, U+2028 and U+2029 inside a string are characters of that line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from policykit.cli import main
from tests.minimal import POLICY, project

BREAKS = {"NEL": "\x85", "LS": "\u2028", "PS": "\u2029"}


def _diagnostics(root: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    status = main(["validate", str(root), "--format", "json"])
    out = capsys.readouterr().out
    assert status == 1, out
    found: list[dict[str, Any]] = json.loads(out)["diagnostics"]
    return found


def _only(found: list[dict[str, Any]], code: str) -> dict[str, Any]:
    hits = [d for d in found if d["code"] == code]
    assert len(hits) == 1, found
    return hits[0]


def _position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of ``needle`` in ``text``, lines split at ``\\n`` only."""
    for number, line in enumerate(text.split("\n"), 1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(f"{needle!r} not in text")


@pytest.mark.parametrize("name", sorted(BREAKS))
@pytest.mark.parametrize("quote", ['"', "'"])
def test_line_after_unicode_break_in_a_string_is_exact(
    name: str, quote: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Positions: "U+0085, U+2028 or U+2029 inside a string shift every later line
    number: a key on line 10 is reported at line 13": three of them in a quoted
    description, and an unknown key further down is reported at its own line and
    column."""
    char = BREAKS[name]
    description = f"  description: {quote}one{char}two{char}three{char}four{quote}\n"
    text = POLICY.replace("  name: dep\n", "  name: dep\n" + description) + "    bogus_key: 1\n"
    root = project(tmp_path, deployer=text)
    found = _only(_diagnostics(root, capsys), "PK201")
    assert found["file"].endswith("deployer.yaml")
    assert (found["line"], found["column"]) == _position(text, "bogus_key")


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_column_after_unicode_break_on_the_same_line_is_exact(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Positions: the column of a key that follows a U+0085/U+2028/U+2029 on its own
    line (in a flow mapping) counts that character as one column of that line."""
    char = BREAKS[name]
    text = POLICY.replace(
        "metadata:\n  name: dep\n  stakeholder: deployer\n",
        f'metadata: {{name: dep, description: "x{char}y", stakeholder: deployer, bogus_key: 1}}\n',
    )
    root = project(tmp_path, deployer=text)
    found = _only(_diagnostics(root, capsys), "PK201")
    assert (found["line"], found["column"]) == _position(text, "bogus_key"), found


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_duplicate_key_after_unicode_breaks_is_placed_exactly(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Positions: a reading error (a duplicate key, PK104) after a string with
    U+0085/U+2028/U+2029 in it names the duplicate's own line and column."""
    char = BREAKS[name]
    text = POLICY.replace("  name: dep\n", f'  name: dep\n  description: "a{char}b{char}c"\n')
    text += "    forbid: refuse\n"
    root = project(tmp_path, deployer=text)
    found = _only(_diagnostics(root, capsys), "PK104")
    last = text.rstrip("\n").split("\n")
    assert (found["line"], found["column"]) == (len(last), 5), found


@pytest.mark.parametrize(
    "key", ["bad[0]key", "x[1]", "[weird]", "function-after", "function-x", "a.b", "0", "-dash"]
)
def test_unknown_key_with_any_characters_is_named_and_placed(
    key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Positions: "An unknown key containing [, or starting with function-, is reported
    as unknown field '0' at the wrong place": the message names the key exactly and the
    position is the key's."""
    text = POLICY + f"    {json.dumps(key)}: 1\n"
    root = project(tmp_path, deployer=text)
    found = _only(_diagnostics(root, capsys), "PK201")
    assert repr(key) in found["message"] or json.dumps(key) in found["message"], found
    assert (found["line"], found["column"]) == _position(text, json.dumps(key)), found


def test_unknown_key_in_policy_metadata_with_brackets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Positions: the same at another level (a policy's metadata)."""
    text = POLICY.replace("  name: dep\n", '  name: dep\n  "notes[1]": x\n')
    root = project(tmp_path, deployer=text)
    found = _only(_diagnostics(root, capsys), "PK201")
    assert "notes[1]" in found["message"], found
    assert (found["line"], found["column"]) == _position(text, '"notes[1]"'), found


ROUND_TRIP = (
    "nel:\x85end",
    "ls:\u2028end",
    "ps:\u2029end",
    "crlf:\r\nend",
    "cr:\rend",
    "  leading and trailing  ",
    "tab:\tend",
    "trailing newline\n",
    "---\n...\n# not a comment",
    "emoji 😀 and 漢字",
    "bom:\ufeffend",
)


def _quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar, every character outside printable ASCII
    written as an escape."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


ROUND_TRIP_CATALOG = """\
apiVersion: policykit/v1
kind: Catalog
metadata: {name: round-trip}
dimensions:
  - {id: d0, values: [v0, v1], default: v0}
behaviors:
  - id: b0
    description: Round trip.
    property: harmless
    outcomes:
      refuse: {description: Declines., exemplars: ["No."]}
      comply: {description: Complies., exemplars: ["Yes."]}
    default: {refuse: 0.5, comply: 0.5}
    probes:
"""


def test_promptfoo_export_round_trips_every_string(tmp_path: Path) -> None:
    """Positions/exports: "The promptfoo export changes U+0085 in policy text to a space":
    every probe, read back from promptfooconfig.yaml by a YAML reader, is exactly the
    user message of the same case in cases.jsonl."""
    probes = [f"probe {i}: {text}" for i, text in enumerate(ROUND_TRIP)]
    # the probes go in as escapes, so the catalog file itself is plain ASCII
    catalog = ROUND_TRIP_CATALOG + "".join(f"      - {_quoted(p)}\n" for p in probes)
    root = project(tmp_path / "p", catalog=catalog, deployer=None)
    (root / "policykit.yaml").write_text(
        (root / "policykit.yaml").read_text().split("policies:")[0], encoding="utf-8"
    )
    spec = tmp_path / "spec.json"
    assert main(["compile", str(root), "-o", str(spec)]) == 0
    assert main(["export", str(spec), "--to", "jsonl", "-o", str(tmp_path / "jsonl")]) == 0
    assert main(["export", str(spec), "--to", "promptfoo", "-o", str(tmp_path / "pf")]) == 0
    lines = (tmp_path / "jsonl" / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    cases = [json.loads(line) for line in lines]
    wanted = {
        c["id"]: next(m["content"] for m in c["messages"] if m["role"] == "user") for c in cases
    }
    assert sorted(wanted.values()) == sorted(probes)  # the catalog was read exactly
    pf = (tmp_path / "pf" / "promptfooconfig.yaml").read_text(encoding="utf-8")
    config = yaml.safe_load(pf)
    got = {
        t["metadata"]["policykit_case"]: "".join(t["vars"]["policykit"]["user"])
        for t in config["tests"]
    }
    assert got == wanted
