"""Positions as an editor counts lines. libyaml (YAML 1.1) ends a line at NEL (U+0085),
LS (U+2028) and PS (U+2029) too, so one of them inside a string moved every later
position down a line; and keys are named as written, whatever their characters."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from policykit.cli import main
from policykit.diagnostics import PolicykitError
from policykit.export._yaml import dump_yaml
from policykit.load.reader import Document, parse, unpack
from tests.minimal import POLICY, project

pytestmark = pytest.mark.usefixtures("builder")
BREAKS = ["\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("brk", BREAKS)
def test_a_key_after_an_odd_break_is_on_its_own_line(brk: str) -> None:
    text = f'a: "x{brk}y{brk}z"\nb: {{c: "{brk}", d: 1}}\ne: [1, 2]\n'
    doc = parse(text, "f.yaml")
    assert unpack(doc.data.key_position("b")) == (2, 1)
    assert unpack(doc.data["b"].key_position("d")) == (2, 13)
    assert unpack(doc.data.key_position("e")) == (3, 1)
    assert unpack(doc.data["e"].item_position(1)) == (3, 8)
    assert doc.line_text(2) == f'b: {{c: "{brk}", d: 1}}'
    # the value is what YAML 1.1 makes of it (a NEL in a quoted string folds to a space)
    assert doc.data["a"] == yaml.safe_load(text)["a"]


@pytest.mark.parametrize("brk", BREAKS)
def test_an_error_after_an_odd_break_is_on_its_line(brk: str) -> None:
    with pytest.raises(PolicykitError) as info:
        parse(f'a: "{brk}{brk}{brk}"\nb: 1\nb: 2\n', "f.yaml")
    (d,) = info.value.diagnostics
    assert (d.code, d.line, d.column) == ("PK104", 3, 1)
    assert (d.related[0].line, d.related[0].column) == (2, 1)


def test_wide_lines_after_remapping() -> None:
    # libyaml's lines are short; joined back, the editor's line is past 4095 columns
    text = 'a: "' + ("x" * 100 + "\u2028") * 60 + '", b: 1}\n'
    doc = parse("{" + text, "f.yaml")
    assert unpack(doc.data.key_position("b")) == (1, len('{a: "') + 101 * 60 + len('", b'))


def test_document_lines_are_an_editors() -> None:
    doc = Document("f", parse("a: 1\n", "f").data, "one\x0btwo\r\nthree\rfour\x85five\nsix")
    assert [doc.line_text(i) for i in range(1, 6)] == [
        "one\x0btwo",
        "three",
        "four\x85five",
        "six",
        "",
    ]


@pytest.mark.parametrize("brk", BREAKS)
def test_validate_names_the_editors_line(
    brk: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    policy = POLICY.replace(
        "  name: dep\n", f'  name: dep\n  description: "one{brk}two{brk}three{brk}"\n'
    ).replace("forbid: comply", "forbid: comply\n    bogus: 1")
    project(tmp_path, deployer=policy)
    assert main(["validate", "."]) == 1
    out = capsys.readouterr().out
    assert "--> deployer.yaml:12:5" in out
    assert "  12 |     bogus: 1\n" in out


@pytest.mark.parametrize("key", ["a[0]", "function-after", "x[y]z", "[", "function-"])
def test_an_unknown_key_is_named_as_written(
    key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    project(tmp_path, deployer=POLICY.replace("forbid: comply", f'forbid: comply\n    "{key}": 1'))
    assert main(["validate", "."]) == 1
    out = capsys.readouterr().out
    assert f"error[PK201]: unknown field {key!r} in rules[0]" in out
    assert "--> deployer.yaml:11:5" in out


@given(st.text(alphabet=st.sampled_from(["a", " ", "\n", "\r", '"', "'", "\\", *BREAKS])))
def test_exported_yaml_round_trips_every_string(text: str) -> None:
    assert yaml.safe_load(dump_yaml({"k": text})) == {"k": text}
