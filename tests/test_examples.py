"""The bundled examples: every deliberate conflict their READMEs document is found, at
the documented places, with nothing else at error level."""

from __future__ import annotations

from pathlib import Path

import pytest

from policykit.cli import main
from policykit.diagnostics import Diagnostic, Severity
from policykit.load.project import std_root
from policykit.pipeline import validate_project

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# (code, severity, the rule reported on, the other side), paths as the READMEs write them.
EXPECTED = {
    "health_assistant": {
        ("PK402", "warning", "policies/deployer.yaml:97", "std:developer/baseline.yaml:72"),
        ("PK404", "warning", "prefs/patient.yaml:19", "policies/deployer.yaml:35"),
        ("PK410", "warning", "prefs/patient.yaml:28", "std:developer/baseline.yaml:233"),
        ("PK410", "warning", "prefs/patient.yaml:36", "std:developer/baseline.yaml:225"),
    },
    "creative_writing": {
        ("PK402", "warning", "policies/deployer.yaml:46", "std:society/baseline.yaml:147"),
        ("PK410", "warning", "policies/deployer.yaml:207", "std:developer/baseline.yaml:216"),
        ("PK410", "warning", "policies/deployer.yaml:218", "std:developer/baseline.yaml:233"),
        ("PK410", "warning", "prefs/writer.yaml:18", "policies/deployer.yaml:100"),
        ("PK403", "info", "prefs/writer.yaml:29", "policies/deployer.yaml:194"),
        ("PK403", "info", "prefs/writer.yaml:41", "std:developer/baseline.yaml:137"),
        ("PK404", "warning", "prefs/writer.yaml:59", "policies/deployer.yaml:169"),
    },
    "k12_tutor": {
        ("PK402", "warning", "policies/district.yaml:58", "std:society/baseline.yaml:147"),
        ("PK403", "info", "policies/school.yaml:16", "policies/district.yaml:28"),
        ("PK403", "info", "prefs/parents.yaml:20", "policies/district.yaml:28"),
        ("PK410", "warning", "prefs/student.yaml:14", "policies/district.yaml:49"),
        ("PK412", "warning", "policies/school.yaml:26", "policies/district.yaml:17"),
        ("PK412", "warning", "prefs/student.yaml:22", "prefs/parents.yaml:20"),
    },
}


def _short(file: str, line: int, example: Path) -> str:
    if file.startswith("std:"):
        return f"{file}:{line}"
    path = Path(file).resolve()
    if path.is_relative_to(std_root().resolve()):
        return f"std:{path.relative_to(std_root().resolve()).as_posix()}:{line}"
    return f"{path.relative_to(example).as_posix()}:{line}"


def _found(example: Path, diagnostics: tuple[Diagnostic, ...]) -> set[tuple[str, ...]]:
    return {
        (
            d.code,
            d.severity.value,
            _short(d.file, d.line, example),
            _short(d.related[0].file, d.related[0].line, example),
        )
        for d in diagnostics
    }


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_findings_are_exactly_the_documented_ones(name: str) -> None:
    example = EXAMPLES / name
    result = validate_project(example)
    assert not [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert result.workspace is not None
    every = (*result.diagnostics, *(a.diagnostic for a in result.accepted))
    assert _found(example, every) == EXPECTED[name]
    # every deliberate warning is accepted with a reason, so --strict gates the project
    assert not [d for d in result.diagnostics if d.severity is Severity.WARNING]
    assert all(a.reason.strip() for a in result.accepted)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_strict_passes_on_the_examples(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--strict", str(EXAMPLES / name)]) == 0
    assert "accepted[PK4" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_readme_documents_each_finding_and_the_summary(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (EXAMPLES / name / "README.md").read_text(encoding="utf-8")
    for code, _severity, here, there in EXPECTED[name]:
        assert code in readme
        assert f"`{here}" in readme, f"{here} is not in {name}/README.md"
        assert f"`{there}" in readme, f"{there} is not in {name}/README.md"
    monkeypatch.chdir(ROOT)
    assert main(["validate", f"examples/{name}"]) == 0
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert summary in readme, "the README shows the summary line validate prints"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_examples_have_the_three_deliberate_kinds_of_conflict(name: str) -> None:
    """An override across ranks, a soft tension, and a rule a permission keeps out
    (a locked rule's violation, or a rule that higher rules leave no effect)."""
    codes = {code for code, *_ in EXPECTED[name]}
    assert {"PK402", "PK410"} <= codes
    assert codes & {"PK404", "PK405", "PK412"}
