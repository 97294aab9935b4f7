"""Messages that said the wrong thing: a too-short list beside the real error, the value
instead of an unknown key, carets cut short on flow mappings, a doubled quote, and a
spec given where a project belongs."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from policykit.cli import main, render
from policykit.diagnostics import Diagnostic, Severity
from policykit.pipeline import compile_project, validate_project
from policykit.spec.artifact import dumps
from tests.minimal import CATALOG, FILES, PROJECT, write_tree


def _diags(root: Path) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in validate_project(root).diagnostics]


def test_yes_no_values_get_only_the_quote_it_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = CATALOG.replace("values: [adult, minor]", "values: [yes, no]")
    write_tree(tmp_path, {**FILES, "catalog.yaml": catalog})
    monkeypatch.chdir(tmp_path)
    assert _diags(tmp_path) == [
        (
            "PK204",
            "'yes' at dimensions[0].values[0] in the catalog is read as boolean true, not a string",
        ),
        (
            "PK204",
            "'no' at dimensions[0].values[1] in the catalog is read as boolean false, not a string",
        ),
    ]


def test_an_empty_list_is_still_too_short(tmp_path: Path) -> None:
    write_tree(tmp_path, {**FILES, "catalog.yaml": CATALOG.replace("[adult, minor]", "[]")})
    assert _diags(tmp_path) == [
        (
            "PK203",
            "dimensions[0].values in the catalog: Tuple should have at least 1 item after "
            "validation, not 0",
        )
    ]


def test_an_unknown_stakeholder_key_names_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(
        tmp_path, {**FILES, "policykit.yaml": PROJECT + "stakeholders:\n  deployr: {rank: 2}\n"}
    )
    monkeypatch.chdir(tmp_path)
    # any name declares a stakeholder now; a typo of a built-in one has no kind
    (d,) = validate_project(tmp_path).diagnostics
    assert (d.code, d.message, d.line, d.column, d.hint) == (
        "PK220",
        "stakeholder 'deployr' has no kind: a name other than society, developer, "
        "deployer or user says which kind it is",
        12,
        3,
        "did you mean 'deployer'? Or, for a named stakeholder, add kind: developer, "
        "deployer, user or society",
    )


@pytest.mark.parametrize(
    ("line", "column", "caret"),
    [
        ("  deployr: {rank: 2}", 12, "^^^^^^^^^"),
        ("    when: {a: {b: '}'}, c: [1, 2]}  # note", 11, "^" * 24),
        ("    values: [adult, minor]", 13, "^" * 14),
        ("    when: {audience: minor,", 11, "^" * 17),  # continued on the next line
        ("    behavior: profanty", 15, "^^^^^^^^"),
    ],
)
def test_carets_cover_a_whole_flow_collection(
    tmp_path: Path, line: str, column: int, caret: str
) -> None:
    f = tmp_path / "a.yaml"
    f.write_text(line + "\n", encoding="utf-8")
    out = Console(width=200, record=True, highlight=False)
    render.render_text(out, [Diagnostic("PK203", Severity.ERROR, "m", str(f), 1, column)])
    text = out.export_text()
    assert f"  {' ' * 1} | {' ' * (column - 1)}{caret}\n" in text, text


def test_no_message_doubles_a_quote() -> None:
    goldens = Path(__file__).resolve().parents[1] / "projects"
    for expected in goldens.glob("*/expected.json"):
        assert "''s" not in expected.read_text(encoding="utf-8"), expected


def test_explain_on_a_spec_says_it_is_a_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path / "p", FILES)
    result = compile_project(root)
    assert result.spec is not None
    spec = tmp_path / "spec.json"
    spec.write_text(dumps(result.spec), encoding="utf-8")
    assert main(["explain", str(spec), "--behavior", "profanity"]) == 1
    err = capsys.readouterr().err
    assert (
        "error[PK210]: this file is a policykit.spec/v1 artifact that policykit wrote, "
        "not a Project"
    ) in err
    assert err.count("error[") == 1
