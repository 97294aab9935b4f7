from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

import policykit.analyze
import policykit.resolve.resolver  # noqa: F401  (registers the resolution codes)
import tests.test_api
from policykit.codes import CODES, Code, markdown, register
from policykit.diagnostics import Severity
from tests.projects.golden import cases, expected_path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "policykit"
CODE_STRING = re.compile(r"""["'](PK\d{3})["']""")

REGENERATE = "regenerate with: policykit codes --markdown > docs/diagnostics.md"

# Codes no golden project can show, each with the unit test that covers it instead.
NO_GOLDEN = {
    "PK108": "test_file_too_large",  # needs a file over 8 MiB in the repository
    "PK114": "test_slow_yaml_parser_warning",  # depends on how PyYAML was built
}


def code_sites() -> dict[str, set[str]]:
    """Every "PKnnn" string in the package, with the modules that mention it."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts)
        for code in CODE_STRING.findall(path.read_text(encoding="utf-8")):
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


def test_every_code_in_the_package_is_registered() -> None:
    sites = code_sites()
    # analysis modules register their codes when imported
    for modules in sites.values():
        for module in modules:
            importlib.import_module(module)
    unregistered = {code: sorted(mods) for code, mods in sites.items() if code not in CODES}
    assert unregistered == {}


def test_the_scan_finds_codes() -> None:
    # guards the test above against a regex that silently matches nothing
    assert {"PK101", "PK207", "PK302"} <= set(code_sites())


@pytest.mark.parametrize("code", sorted(CODES))
def test_registered_code_is_well_formed(code: str) -> None:
    info = CODES[code]
    assert info.code == code
    assert re.fullmatch(r"PK[1-5]\d\d", code)
    assert isinstance(info.severity, Severity)
    assert info.severity in (Severity.ERROR, Severity.WARNING, Severity.INFO)
    assert info.title and info.title[0].isupper() and not info.title.endswith(".")
    assert info.example.strip(), "an example shows what triggers the code"
    assert info.fix.endswith("."), "how to resolve is a sentence"


def test_register_refuses_to_reuse_a_code() -> None:
    existing = CODES["PK207"]
    register(existing)  # the same declaration again is fine
    with pytest.raises(ValueError, match="diagnostic code PK207 declared twice"):
        register(Code("PK207", "Something else", Severity.ERROR, "x", "y."))
    assert CODES["PK207"] is existing


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
