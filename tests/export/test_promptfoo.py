"""The exported promptfoo config: valid by promptfoo's published JSON Schema, and run by
``promptfoo eval`` with the echo provider (as model and as grader) where promptfoo is
installed (``make test`` installs it from npm under .venv/promptfoo)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from policykit.cli import main
from policykit.export import CaseSet, build_cases, get_exporter
from policykit.export.promptfoo import rubric
from tests.export.conftest import CREATIVE, ROOT, compiled
from tests.export.nasty import NASTY

VENDOR = Path(__file__).resolve().parent / "vendor"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads((VENDOR / "promptfoo-config-schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def _config(cases: CaseSet) -> Any:
    text = get_exporter("promptfoo").render(cases)["promptfooconfig.yaml"]
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@pytest.fixture(scope="module")
def health_config(health_cases: CaseSet) -> Any:
    return _config(health_cases)


def test_health_config_is_valid(validator: jsonschema.Draft7Validator, health_config: Any) -> None:
    validator.validate(health_config)


def test_creative_and_nasty_configs_are_valid(
    validator: jsonschema.Draft7Validator, nasty_cases: CaseSet
) -> None:
    validator.validate(_config(build_cases(compiled(CREATIVE))))
    validator.validate(_config(nasty_cases))


def _messages(errors: Any) -> list[str]:
    out = []
    for error in errors:
        out.append(error.message)
        out.extend(_messages(error.context or []))
    return out


def test_the_schema_rejects_what_promptfoo_rejects(
    validator: jsonschema.Draft7Validator, health_config: Any
) -> None:
    config = {**health_config, "tests": [dict(t) for t in health_config["tests"][:3]]}
    assert validator.is_valid(config)
    config["promptz"] = []
    assert _messages(validator.iter_errors(config)) == [
        "Additional properties are not allowed ('promptz' was unexpected)"
    ]
    del config["promptz"]
    config["tests"][0]["threshold"] = "high"
    errors = list(validator.iter_errors(config))
    assert [list(e.path) for e in errors] == [["tests"]]
    assert "'high' is not of type 'number'" in _messages(errors)


def test_weights_and_threshold_follow_the_intended_distribution(
    health_cases: CaseSet, health_config: Any
) -> None:
    for case, test in zip(health_cases.cases, health_config["tests"], strict=True):
        asserted = [o for o in sorted(case.outcomes) if case.intended[o] > 0]
        assert [a["weight"] for a in test["assert"]] == [case.intended[o] for o in asserted]
        assert test["threshold"] == pytest.approx(min(case.intended[o] for o in asserted))
        assert test["threshold"] < min(case.intended[o] for o in asserted)
        rubrics = ["".join(r) for r in test["vars"]["policykit"]["rubrics"]]
        assert rubrics == [rubric(case, o) for o in asserted]
        assert test["metadata"]["policykit_case"] == case.id
        assert test["metadata"]["rules"] == case.rules.applied


# -- promptfoo itself ---------------------------------------------------------------


def run_promptfoo(
    binary: str,
    config: Path,
    tmp_path: Path,
    output: Path,
    *extra: str,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``promptfoo eval`` of the exported config with the echo provider as model and
    grader, writing ``output``, its state kept under ``tmp_path``."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path / "home"),
        "PROMPTFOO_CONFIG_DIR": str(tmp_path / "promptfoo-home"),
        "PROMPTFOO_DISABLE_TELEMETRY": "1",
        "PROMPTFOO_DISABLE_UPDATE": "1",
        "PROMPTFOO_DISABLE_SHARING": "1",
        **(env or {}),
    }
    return subprocess.run(
        [
            binary, "eval", "-c", str(config / "promptfooconfig.yaml"),
            "-r", "echo", "--grader", "echo", *extra,
            "--no-cache", "--no-write", "--no-table", "-o", str(output),
        ],
        cwd=config, env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _promptfoo() -> str:
    candidates = [
        os.environ.get("PROMPTFOO_BIN", ""),
        str(ROOT / ".venv" / "promptfoo" / "node_modules" / ".bin" / "promptfoo"),
        shutil.which("promptfoo") or "",
    ]
    found = next((c for c in candidates if c and Path(c).is_file()), None)
    if found is None or shutil.which("node") is None:
        pytest.skip(
            "promptfoo is not installed (make test installs it with npm into "
            ".venv/promptfoo; set PROMPTFOO_BIN to use another); the config was still "
            "validated against promptfoo's JSON Schema"
        )
    return found


def test_promptfoo_eval_runs_the_export_and_keeps_policy_text_literal(
    nasty_spec_file: Path, nasty_cases: CaseSet, tmp_path: Path
) -> None:
    binary = _promptfoo()
    out = tmp_path / "promptfoo"
    assert main(["export", str(nasty_spec_file), "--to", "promptfoo", "-o", str(out)]) == 0
    # decoys that a file:// or package: reference in policy text would pick up
    (out / "secret.txt").write_text("DECOY-FILE-CONTENT", encoding="utf-8")
    marker = tmp_path / "exploit-ran"
    (out / "exploit.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "def get_var(*a):\n    return {'output': 'DECOY-PY'}\n"
        "def get_assert(*a):\n    return True\n",
        encoding="utf-8",
    )
    result_file = tmp_path / "results.json"
    done = run_promptfoo(binary, out, tmp_path, result_file, env={"SECRET": "LEAKED-SECRET"})
    # exit 100 means "some tests failed", which an echoing grader may well cause
    assert done.returncode in (0, 100), done.stdout + done.stderr
    raw = result_file.read_text(encoding="utf-8")
    assert "LEAKED-SECRET" not in raw
    assert "DECOY-FILE-CONTENT" not in raw and "DECOY-PY" not in raw
    assert not marker.exists()

    results = json.loads(raw)["results"]["results"]
    assert len(results) == len(nasty_cases.cases) == 7
    by_case = {r["testCase"]["metadata"]["policykit_case"]: r for r in results}
    for case in nasty_cases.cases:
        result = by_case[case.id]
        sent = json.loads(result["response"]["output"])  # echo: what the model was sent
        assert sent == [m.model_dump(mode="json") for m in case.messages]
        components = result["gradingResult"]["componentResults"]
        asserted = [o for o in sorted(case.outcomes) if case.intended[o] > 0]
        assert [c["assertion"]["type"] for c in components] == ["llm-rubric"] * len(asserted)
        rendered = [c["metadata"]["renderedAssertionValue"] for c in components]
        assert rendered == [rubric(case, o) for o in asserted]
    probe = next(c for c in nasty_cases.cases if c.messages[1].content.startswith("[probe]"))
    system, user = json.loads(by_case[probe.id]["response"]["output"])
    for fragment in NASTY:
        assert fragment in system["content"] and fragment in user["content"]
