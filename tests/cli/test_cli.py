"""End-to-end tests of the command line, through ``main([...])``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import policykit
from policykit.cli import main, render
from policykit.codes import CODES, markdown
from policykit.diagnostics import Diagnostic, Related, Severity
from policykit.load.project import std_root
from policykit.schema.jsonschema import json_schema
from tests.minimal import CATALOG, POLICY, project

REPO = Path(__file__).resolve().parents[2]
TYPO = POLICY.replace("behavior: profanity", "behavior: profanty")
WARNING_CATALOG = CATALOG.replace("{audience}", "{audiense}")


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory that is the top of a git checkout (for SARIF's URIs)."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- validate: exit codes and text ---------------------------------------------------


def test_clean_project(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(root)
    assert run(capsys, "validate", ".") == (0, "ok: 0 errors, 0 warnings, 0 infos in 3 files\n", "")


def test_project_file_can_be_named(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(root)
    code, out, _ = run(capsys, "validate", "policykit.yaml")
    assert (code, out) == (0, "ok: 0 errors, 0 warnings, 0 infos in 3 files\n")


def test_error_shows_the_line_with_a_caret(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(root, deployer=TYPO)
    code, out, err = run(capsys, "validate", ".")
    assert code == 1
    assert err == ""
    assert out == textwrap.dedent(
        """\
        error[PK207]: unknown behavior 'profanty'
          --> deployer.yaml:8:15
            |
          8 |     behavior: profanty
            |               ^^^^^^^^
          = at: rules[0].behavior
          = help: did you mean 'profanity'?

        failed: 1 error, 0 warnings, 0 infos in 3 files
        """
    )


def test_caret_follows_the_file_as_it_is_now(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project(root, deployer=TYPO)
    run(capsys, "validate", ".")
    project(root, deployer=POLICY.replace("behavior: profanity", "behavior:    prfnty"))
    code, out, _ = run(capsys, "validate", ".")
    assert code == 1
    assert "  8 |     behavior:    prfnty\n    |                  ^^^^^^\n" in out


def test_a_long_line_is_shown_around_its_caret(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 20,000-character line is shown as the part around the caret, clipped with "…"
    on both sides, the caret still under the typo."""
    padding = ", ".join(f"v{i}" for i in range(4000))
    project(root, deployer=TYPO.replace("behavior: profanty", f"behavior: profanty  # {padding}"))
    code, out, _ = run(capsys, "validate", ".")
    assert code == 1
    shown, caret = out.splitlines()[3:5]
    assert len(shown) < 200 and shown.endswith("…")
    assert shown.startswith("  8 |     behavior: profanty  # v0, v1")
    assert caret == "    |               ^^^^^^^^"


def test_a_caret_far_into_a_long_line_is_clipped_on_both_sides() -> None:
    from policykit.cli.render import _window

    text = "x" * 10_000 + "typo" + "y" * 10_000
    before, marked, after = _window(text, 10_000, 4)
    assert before == "…" + "x" * 40 and marked == "typo" and after == "y" * 76 + "…"
    # a short line is whole, and a caret wider than the window is cut at its end
    assert _window("when: {a: b}", 6, 6) == ("when: ", "{a: b}", "")
    assert _window("[" + "v, " * 5000, 0, 15001)[1] == ("[" + "v, " * 5000)[:80]


def test_related_locations_in_text(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(root, deployer=POLICY.replace("stakeholder: deployer", "stakeholder: user"))
    code, out, _ = run(capsys, "validate", ".")
    assert code == 1
    assert "  = bound here: policykit.yaml:9:5\n" in out
    assert "  5 |   stakeholder: user\n    |                ^^^^\n" in out


def test_strict_fails_on_warnings(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(root, catalog=WARNING_CATALOG)
    code, out, _ = run(capsys, "validate", ".")
    assert code == 0
    assert out.startswith("warning[PK212]: placeholder {audiense} names no dimension")
    assert out.endswith("ok: 0 errors, 1 warning, 0 infos in 3 files\n")
    code, out, _ = run(capsys, "validate", "--strict", ".")
    assert code == 1
    assert out.endswith("failed: 0 errors, 1 warning, 0 infos in 3 files\n")


def test_strict_applies_to_every_format(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(root, catalog=WARNING_CATALOG)
    for fmt in ("json", "sarif", "github"):
        assert run(capsys, "validate", "--format", fmt, ".")[0] == 0
        assert run(capsys, "validate", "--strict", "--format", fmt, ".")[0] == 1


def test_nonexistent_path_is_a_usage_error(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", "nope")
    assert (code, out) == (2, "")
    assert "Path 'nope' does not exist." in err


def test_folder_without_project_file(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", ".")
    assert code == 1
    assert out.startswith("error[PK100]: no such project file\n  --> policykit.yaml\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["validate", "--bogus", "."], "Error: No such option '--bogus'."),
        (["validate", "--format", "xml", "."], "Error: Invalid value for '--format'"),
        (["validate"], "Error: Missing argument"),
        (["frobnicate"], "Error: No such command 'frobnicate'."),
        (["codes", "PK999"], "Error: Invalid value for CODE: unknown code 'PK999'"),
    ],
)
def test_usage_errors(
    root: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert message in err


def test_internal_error_is_exit_3_with_traceback(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from policykit.load import project as project_module

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(project_module, "read_file", broken)
    project(root)
    code, out, err = run(capsys, "validate", ".")
    assert (code, out) == (3, "")
    assert err.startswith("Traceback (most recent call last):\n")
    assert "RuntimeError: boom\n" in err
    assert err.endswith(
        "policykit hit an internal error (a bug, not a problem in your files); please "
        "report it with the traceback above.\n"
    )


def test_bad_input_never_gives_a_traceback(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(root, deployer="a: !!python/object/apply:os.system ['echo hi']\n")
    code, out, err = run(capsys, "validate", ".")
    assert (code, err) == (1, "")
    assert out.startswith(
        "error[PK105]: explicit tag '!!python/object/apply:os.system' is not allowed\n"
        "  --> deployer.yaml:1:4\n"
    )


def test_self_refining_behavior_is_a_finding_not_a_crash(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = CATALOG + "relations:\n  - {type: refines, from: profanity, to: profanity}\n"
    project(root, catalog=catalog)
    code, out, _ = run(capsys, "validate", ".")
    assert code == 1
    assert "error[PK301]: refines relations form a cycle: profanity --> profanity" in out


# -- validate: machine-readable formats ----------------------------------------------


def test_json_output(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(root, deployer=TYPO, catalog=WARNING_CATALOG)
    code, out, _ = run(capsys, "validate", "--format", "json", ".")
    assert code == 1
    doc = json.loads(out)
    assert list(doc) == ["diagnostics", "accepted", "summary"]
    # files counts the files read, as the text summary does, not the files with findings
    assert doc["summary"] == {
        "errors": 1,
        "warnings": 1,
        "infos": 0,
        "accepted": 0,
        "files": 3,
        "stakeholder_pairs": {},
    }
    assert [(d["code"], d["severity"], d["file"], d["line"]) for d in doc["diagnostics"]] == [
        ("PK212", "warning", "catalog.yaml", 21),
        ("PK207", "error", "deployer.yaml", 8),
    ]
    typo = doc["diagnostics"][1]
    assert typo["message"] == "unknown behavior 'profanty'"
    assert (typo["column"], typo["path"], typo["hint"], typo["related"]) == (
        15,
        "rules[0].behavior",
        "did you mean 'profanity'?",
        [],
    )


def test_json_output_when_clean(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(root)
    code, out, _ = run(capsys, "validate", "--format", "json", ".")
    assert code == 0
    assert json.loads(out) == {
        "diagnostics": [],
        "accepted": [],
        "summary": {
            "errors": 0,
            "warnings": 0,
            "infos": 0,
            "accepted": 0,
            "files": 3,
            "stakeholder_pairs": {},
        },
    }


def test_json_related(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(root, deployer=POLICY.replace("stakeholder: deployer", "stakeholder: user"))
    _, out, _ = run(capsys, "validate", "--format", "json", ".")
    (d,) = json.loads(out)["diagnostics"]
    assert d["related"] == [
        {"message": "bound here", "file": "policykit.yaml", "line": 9, "column": 5}
    ]


def test_sarif_output(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project(root / "proj", deployer=POLICY.replace("stakeholder: deployer", "stakeholder: user"))
    monkeypatch.chdir(root / "proj")
    code, out, _ = run(capsys, "validate", "--format", "sarif", ".")
    assert code == 1
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    assert sarif["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    (run_,) = sarif["runs"]
    assert run_["originalUriBaseIds"] == {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}}
    driver = run_["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("policykit", policykit.__version__)
    assert [r["id"] for r in driver["rules"]] == ["PK209"]
    assert driver["rules"][0]["defaultConfiguration"] == {"level": "error"}
    (result,) = run_["results"]
    assert result["ruleId"] == "PK209"
    assert result["level"] == "error"
    assert result["message"]["text"] == (
        "this policy says it speaks for 'user', but the project binds it to 'deployer' "
        "(the project decides who a file speaks for)"
    )
    # URIs are relative to the repository, not to the working directory
    assert result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "proj/deployer.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 5, "startColumn": 16},
            }
        }
    ]
    assert result["relatedLocations"] == [
        {
            "id": 0,
            "message": {"text": "bound here"},
            "physicalLocation": {
                "artifactLocation": {"uri": "proj/policykit.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 9, "startColumn": 5},
            },
        }
    ]


def test_sarif_uris_are_repo_relative_in_this_repository(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    monkeypatch.chdir(REPO / "tests")
    case = REPO / "tests" / "projects" / "pk207-unknown-reference"
    code, out, _ = run(capsys, "validate", "--format", "sarif", str(case))
    assert code == 1
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(out)["runs"][0]["results"]
    ]
    assert uris == ["tests/projects/pk207-unknown-reference/policies/deployer.yaml"]


def d(
    code: str,
    severity: Severity,
    file: str = "a.yaml",
    line: int = 3,
    column: int = 2,
    message: str = "m",
    **kw: Any,
) -> Diagnostic:
    return Diagnostic(code, severity, message, file, line, column, **kw)


def test_sarif_levels_and_locations(root: Path) -> None:
    outside = Path("/somewhere else/x.yaml")
    diags = [
        d("PK207", Severity.ERROR, "dir with space/a.yaml"),
        d("PK212", Severity.WARNING, line=0, column=0),
        d("PK212", Severity.INFO, str(outside), hint="h"),
    ]
    sarif = json.loads("".join(render.iter_sarif(diags)))
    results = sarif["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error", "warning", "note"]
    assert [r["locations"][0]["physicalLocation"] for r in results] == [
        {
            "artifactLocation": {"uri": "dir%20with%20space/a.yaml", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 3, "startColumn": 2},
        },
        {"artifactLocation": {"uri": "a.yaml", "uriBaseId": "%SRCROOT%"}},
        {
            "artifactLocation": {"uri": "file:///somewhere%20else/x.yaml"},
            "region": {"startLine": 3, "startColumn": 2},
        },
    ]
    assert results[2]["message"] == {"text": "m (h)"}
    assert "relatedLocations" not in results[0]
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert [(r["id"], r["name"], r["defaultConfiguration"]["level"]) for r in rules] == [
        ("PK207", "UnknownReference", "error"),
        ("PK212", "PlaceholderNamesNoDimension", "warning"),
    ]


def test_github_output(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(root, deployer=TYPO, catalog=WARNING_CATALOG)
    code, out, _ = run(capsys, "validate", "--format", "github", ".")
    assert code == 1
    assert out == (
        "::warning file=catalog.yaml,line=21,col=14,title=PK212 Placeholder names no "
        "dimension::placeholder {audiense} names no dimension and is kept as literal text "
        "(did you mean 'audience'?)\n"
        "::error file=deployer.yaml,line=8,col=15,title=PK207 Unknown reference::unknown "
        "behavior 'profanty' (did you mean 'profanity'?)\n"
    )


def test_github_output_when_clean(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(root)
    assert run(capsys, "validate", "--format", "github", ".") == (0, "", "")


def test_github_escaping() -> None:
    diags = [
        d(
            "PK207",
            Severity.ERROR,
            "dir,with:odd%/a.yaml",
            message="100% wrong\r\nsecond line, with: colon",
        ),
        d("PK212", Severity.INFO, line=0, column=0),
    ]
    assert "".join(render.iter_github(diags)).splitlines() == [
        "::error file=dir%2Cwith%3Aodd%25/a.yaml,line=3,col=2,title=PK207 Unknown reference"
        "::100%25 wrong%0D%0Asecond line, with: colon",
        "::notice file=a.yaml,title=PK212 Placeholder names no dimension::m",
    ]


def test_summary_counts_stakeholder_pairs() -> None:
    diags = [
        d("PK207", Severity.ERROR, stakeholders=("deployer", "user")),
        d("PK207", Severity.WARNING, "b.yaml", stakeholders=("deployer", "user")),
        d("PK207", Severity.INFO, stakeholders=("developer", "user")),
        d("PK207", Severity.INFO, stakeholders=("user",)),
    ]
    assert render.summary(diags, 1) == {
        "errors": 1,
        "warnings": 1,
        "infos": 2,
        "accepted": 0,
        "files": 1,
        "stakeholder_pairs": {"deployer vs user": 2, "developer vs user": 1},
    }
    assert render.summary_line(diags, 1) == (
        "1 error, 1 warning, 2 infos in 1 file; by stakeholders: deployer vs user 2, "
        "developer vs user 1"
    )


def test_related_in_github_is_left_out_but_hint_kept() -> None:
    diag = d("PK208", Severity.ERROR, related=(Related("first", "b.yaml", 1, 1),), hint="h")
    assert "".join(render.iter_github([diag])) == (
        "::error file=a.yaml,line=3,col=2,title=PK208 Duplicate id::m (h)"
    )


# -- init ----------------------------------------------------------------------------

needs_std = pytest.mark.skipif(
    not (std_root() / "core" / "catalog.yaml").is_file(),
    reason="the standard library (policies/core/catalog.yaml) is not written yet",
)


@needs_std
def test_init_then_validate(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "init", "new")
    assert code == 0
    assert out.splitlines() == [
        "created new/policykit.yaml",
        "created new/policies/deployer.yaml",
        "created new/policies/user.yaml",
        "created new/.policykit/schemas/project.schema.json",
        "created new/.policykit/schemas/catalog.schema.json",
        "created new/.policykit/schemas/policy.schema.json",
        "created new/.policykit/schemas/test.schema.json",
        "next: policykit validate new",
    ]
    code, out, _ = run(capsys, "validate", "new")
    assert code == 0, out
    assert "error[" not in out
    assert "ok: 0 errors, 0 warnings" in out
    assert "metadata:\n  name: new\n" in (root / "new/policykit.yaml").read_text()
    # the scaffold shows a named principal: its own name, of kind user
    from policykit.pipeline import compile_project

    spec = compile_project(root / "new").spec
    assert spec is not None
    assert spec.stakeholders["customer"].kind == "user"
    assert {r.stakeholder for r in spec.rules if r.policy == "new-user"} == {"customer"}


@needs_std
def test_init_name_option(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init", "x", "--name", "My Project!")[0] == 0
    assert "  name: My-Project\n" in (root / "x/policykit.yaml").read_text()
    assert run(capsys, "validate", "x")[0] == 0


def test_init_refuses_to_overwrite(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init", "new")[0] == 0
    (root / "new/policies/user.yaml").write_text("mine\n")
    code, out, err = run(capsys, "init", "new")
    assert (code, out) == (1, "")
    assert err.startswith("error: new/policykit.yaml, new/policies/deployer.yaml, ")
    assert err.endswith(" already exist; use --force to overwrite\n")
    assert (root / "new/policies/user.yaml").read_text() == "mine\n"
    assert run(capsys, "init", "new", "--force")[0] == 0
    assert (root / "new/policies/user.yaml").read_text().startswith("# yaml-language-server")


def test_init_leaves_no_temporary_files(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init", "new")[0] == 0
    names = sorted(p.relative_to(root / "new").as_posix() for p in (root / "new").rglob("*"))
    assert names == [
        ".policykit",
        ".policykit/schemas",
        ".policykit/schemas/catalog.schema.json",
        ".policykit/schemas/policy.schema.json",
        ".policykit/schemas/project.schema.json",
        ".policykit/schemas/test.schema.json",
        "policies",
        "policies/deployer.yaml",
        "policies/user.yaml",
        "policykit.yaml",
    ]


def test_written_files_follow_the_umask(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = os.umask(0o022)
    try:
        assert run(capsys, "init", "new")[0] == 0
    finally:
        os.umask(old)
    assert oct((root / "new/policykit.yaml").stat().st_mode & 0o777) == oct(0o644)


# -- schema and codes ----------------------------------------------------------------


def test_schema_of_one_kind(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema", "--kind", "policy")
    assert code == 0
    assert json.loads(out) == json_schema("policy")


def test_schema_of_all_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0
    assert json.loads(out) == {k: json_schema(k) for k in ("project", "catalog", "policy", "test")}


def test_schema_write(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema", "--write", "out")
    assert code == 0
    assert out.splitlines() == [
        "wrote out/project.schema.json",
        "wrote out/catalog.schema.json",
        "wrote out/policy.schema.json",
        "wrote out/test.schema.json",
        "wrote out/spec.schema.json",
    ]
    assert json.loads((root / "out/catalog.schema.json").read_text()) == json_schema("catalog")
    code, out, _ = run(capsys, "schema", "--kind", "policy", "--write", "one")
    assert out.splitlines() == ["wrote one/policy.schema.json"]


def test_codes_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "codes")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(CODES)
    assert "PK207  error    Unknown reference" in lines
    assert "PK114  warning  Fast YAML parser unavailable" in lines
    assert lines == sorted(lines)


def test_codes_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "codes", "pk104")
    assert code == 0
    assert out == textwrap.dedent(
        """\
        PK104 (error): Duplicate key

        Example:

            rules:
              - id: a
                id: b

        How to resolve: Remove one of the keys; YAML would silently keep only the last.
        """
    )


def test_codes_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "codes", "--markdown") == (0, markdown(), "")


def test_codes_knows_the_analysis_codes() -> None:
    script = (
        "from policykit.cli import main; import sys; "
        "sys.exit(main(['codes', 'PK401']) or main(['codes', '--markdown']))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith((REPO / "docs" / "diagnostics.md").read_text(encoding="utf-8"))


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert (code, out) == (0, f"policykit, version {policykit.__version__}\n")
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert out.startswith("Usage: policykit [OPTIONS] COMMAND [ARGS]...")
    assert "validate" in out


# -- subprocesses --------------------------------------------------------------------


def subprocess_env(extra_path: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(REPO)] + ([str(extra_path)] if extra_path else [])
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def test_python_dash_m(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "policykit", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=subprocess_env(),
        timeout=60,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        0,
        f"policykit, version {policykit.__version__}\n",
        "",
    )


def test_python_dash_m_exit_status(tmp_path: Path) -> None:
    project(tmp_path, deployer=TYPO)
    proc = subprocess.run(
        [sys.executable, "-m", "policykit", "validate", "--format", "github", "."],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=subprocess_env(),
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error file=deployer.yaml,line=8,col=15,")


HEAVY = ("torch", "transformers", "openai", "ray", "inspect_ai")


def test_validate_does_not_import_heavy_modules(tmp_path: Path) -> None:
    # Stand-ins for torch, transformers, the HTTP client, Ray and Inspect are importable,
    # so an import would succeed and show up in sys.modules even where the real packages
    # are not installed.
    fakes = tmp_path / "fakes"
    for name in HEAVY:
        (fakes / name).mkdir(parents=True)
        (fakes / name / "__init__.py").write_text("")
    project(tmp_path / "proj", deployer=TYPO)
    script = textwrap.dedent(
        """
        import contextlib, io, json, sys
        HEAVY = {heavy!r}
        import torch  # proves the stand-ins are importable; forgotten below
        del sys.modules["torch"]
        from policykit.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["validate", "proj"])
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
        print(json.dumps({{"code": code, "heavy": heavy}}))
        """
    ).format(heavy=HEAVY)
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=subprocess_env(fakes),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"code": 1, "heavy": []}


@pytest.mark.parametrize(
    ("case", "code"),
    [("pk216-too-many-cells-in-all", "PK216"), ("pk218-too-many-cells", "PK218")],
)
def test_explain_a_behavior_resolution_refused(
    case: str, code: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Too many cells: resolution gives the behavior none, and explain says why (exit
    1) instead of failing on a cell that does not exist."""
    monkeypatch.chdir(Path(__file__).parents[1] / "projects" / case)
    status, out, err = run(capsys, "explain", ".", "--behavior", "tone")
    assert status == 1
    assert out == ""
    assert f"error[{code}]" in err and "internal error" not in err
