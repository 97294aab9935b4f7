from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import tests.test_api
from policykit import codes
from policykit.codes import CODES, Code, markdown
from policykit.diagnostics import Severity
from tests.projects.golden import cases, expected_path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "policykit"
CODE_STRING = re.compile(r"""["'](PK\d{3})["']""")
CODE_NAME = re.compile(r"\bPK\d{3}\b")

REGENERATE = "regenerate with: policykit codes --markdown > docs/diagnostics.md"

# Codes no golden project can show, each with the unit test that covers it instead.
NO_GOLDEN = {
    "PK108": "test_file_too_large",  # needs a file over 8 MiB in the repository
    "PK114": "test_slow_yaml_parser_warning",  # depends on how PyYAML was built
}


def code_sites(pattern: re.Pattern[str] = CODE_NAME) -> dict[str, set[str]]:
    """Every code the package's modules (but the table) name, with those modules."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "codes.py":
            continue
        module = ".".join(path.relative_to(REPO).with_suffix("").parts)
        for code in pattern.findall(path.read_text(encoding="utf-8")):
            found.setdefault(code, set()).add(module.removesuffix(".__init__"))
    return found


def golden_codes() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for case in cases():
        expected = json.loads(expected_path(case).read_text(encoding="utf-8"))
        compiled = expected.get("compile", {}).get("diagnostics", [])
        for d in [*expected["diagnostics"], *compiled]:
            found.setdefault(d["code"], []).append(case.name)
    return found


def needs_golden(code: str) -> bool:
    """PK1xx and PK2xx, PK302, and the resolver's PK42x (compile goldens); later
    PK3xx/PK4xx codes bring their own goldens."""
    return code[:3] in ("PK1", "PK2") or code == "PK302" or code.startswith("PK42")


def test_docs_page_is_generated_from_the_registry() -> None:
    page = REPO / "docs" / "diagnostics.md"
    assert page.is_file(), f"docs/diagnostics.md is missing; {REGENERATE}"
    assert page.read_text(encoding="utf-8") == markdown(), (
        f"docs/diagnostics.md is out of date; {REGENERATE}"
    )


def test_every_code_in_the_package_is_in_the_table() -> None:
    unknown = {code: sorted(mods) for code, mods in code_sites().items() if code not in CODES}
    assert unknown == {}


def test_the_scan_finds_codes() -> None:
    # guards the test above against a regex that silently matches nothing
    assert {"PK101", "PK207", "PK302", "PK401", "PK420", "PK500"} <= set(code_sites())


def test_modules_name_the_constants_not_strings() -> None:
    # a bare "PK401" would escape the type checker: every use names codes.PK401
    assert code_sites(CODE_STRING) == {}


def test_each_constant_is_its_own_code() -> None:
    constants = {name: value for name, value in vars(codes).items() if isinstance(value, Code)}
    assert all(name == value for name, value in constants.items())
    assert set(constants) == set(CODES)
    assert len(codes._ALL) == len(CODES), "a code is declared twice"


def test_a_code_is_the_string_it_names() -> None:
    import pickle

    assert codes.PK401 == "PK401" and {codes.PK401} == {"PK401"}
    assert pickle.loads(pickle.dumps(codes.PK401)) is codes.PK401


@pytest.mark.parametrize("code", sorted(CODES))
def test_registered_code_is_well_formed(code: str) -> None:
    info = CODES[code]
    assert info.code == code
    assert re.fullmatch(r"PK[1-5]\d\d", code)
    assert isinstance(info.severity, Severity)
    assert info.severity in (Severity.ERROR, Severity.WARNING, Severity.INFO)
    assert info.summary and info.summary[0].isupper() and not info.summary.endswith(".")
    assert info.example.strip(), "an example shows what triggers the code"
    assert info.fix.endswith("."), "how to resolve is a sentence"


def test_the_table_is_whole_without_importing_any_check() -> None:
    import subprocess
    import sys

    script = (
        "import sys; from policykit.codes import CODES; "
        "assert not any(m.startswith(('policykit.analyze', 'policykit.resolve')) "
        "for m in sys.modules); print(len(CODES))"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) == len(CODES)


@pytest.mark.parametrize("code", sorted(c for c in CODES if needs_golden(c)))
def test_code_has_a_golden_case(code: str) -> None:
    if code in NO_GOLDEN:
        test = NO_GOLDEN[code]
        assert callable(getattr(tests.test_api, test, None)), f"{code}: {test} is gone"
        return
    assert code in golden_codes(), (
        f"no golden project under tests/projects shows {code}; add "
        f"tests/projects/{code.lower()}-<name>/ and run tests/projects/golden.py"
    )


def test_exceptions_are_still_needed() -> None:
    # an exception that gets a golden case after all should leave the list
    shown = golden_codes()
    assert [code for code in NO_GOLDEN if code in shown] == []
    assert all(code in CODES for code in NO_GOLDEN)


def test_golden_case_is_named_after_its_code() -> None:
    misnamed = []
    for case in cases():
        expected = json.loads(expected_path(case).read_text(encoding="utf-8"))
        code = case.name.split("-", 1)[0].upper()
        compiled = expected.get("compile", {}).get("diagnostics", [])
        if re.fullmatch(r"PK\d{3}", code) and code not in {
            d["code"] for d in [*expected["diagnostics"], *compiled]
        }:
            misnamed.append(case.name)
    assert misnamed == []
