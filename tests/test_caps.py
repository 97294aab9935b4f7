"""Resource tests: each cap of issue #14 is a finding with the measured size and the
setting that raises it, checked before the work it bounds; the project file can raise a
cap, a policy file never. The shapes are bench/adversarial.py's, at sizes past each cap."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bench import adversarial
from policykit.cli import main

Files = dict[str, str]


def _write(root: Path, files: Files) -> Path:
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def _raise_limits(files: Files, **limits: int) -> Files:
    project = yaml.safe_load(files["policykit.yaml"])
    project["limits"] = {**project.get("limits", {}), **limits}
    return {**files, "policykit.yaml": yaml.safe_dump(project, sort_keys=False)}


def _findings(root: Path, command: str, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    if command == "validate":
        main(["validate", str(root), "--format", "json"])
        found: list[dict] = json.loads(capsys.readouterr().out)["diagnostics"]
        return found
    main(["compile", str(root), "-o", str(root / "spec.json")])
    err = capsys.readouterr().err
    # a finding of the text report: its first line and the lines after it, up to the next
    blocks = err.split("\n\n")
    return [
        {"code": block.split("[", 1)[1].split("]", 1)[0], "text": block}
        for block in blocks
        if block.lstrip().startswith(("error[", "warning["))
    ]


@pytest.mark.parametrize(
    ("make", "size", "command", "code", "words", "low", "high"),
    [
        (
            adversarial.cells,
            12,
            "compile",
            "PK218",
            "729 cells, more than the cap of 500",
            {"max_cells_per_behavior": 500},
            {"max_cells_per_behavior": 1000},
        ),
        (
            adversarial.cells,
            12,
            "compile",
            "PK216",
            "729 cells together, more than the cap of 100",
            {"max_cells": 100},
            {"max_cells": 1000},
        ),
        (
            adversarial.soft_pairs,
            1000,
            "validate",
            "PK217",
            # 1,000,000 pairs of soft targets, compared on arrays: 1/64 of a pair each
            "15625 candidate pairs for the conflict checks, more than the cap of 10000",
            {"max_candidate_pairs": 10_000},
            {"max_candidate_pairs": 1_000_000},
        ),
        (
            adversarial.when_lists,
            2000,
            "validate",
            "PK215",
            "2000 values, more than the cap of 1000",
            {},
            {"max_when_values": 2000},
        ),
        (
            adversarial.outcomes,
            40,
            "validate",
            "PK214",
            "40 outcomes, more than the cap of 32",
            {},
            {"max_outcomes": 40},
        ),
    ],
)
def test_a_cap_is_a_finding_that_the_project_file_can_raise(
    make: Callable[[int], Files],
    size: int,
    command: str,
    code: str,
    words: str,
    low: dict[str, int],
    high: dict[str, int],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = make(size)
    (tmp_path / "capped").mkdir()
    capped = _write(tmp_path / "capped", _raise_limits(files, **low))
    start = time.perf_counter()
    found = [d for d in _findings(capped, command, capsys) if d["code"] == code]
    assert time.perf_counter() - start < 5, "the cap is checked before the work"
    assert found, f"{code} not reported"
    text = json.dumps(found)
    assert words in text and "limits." in text
    (tmp_path / "raised").mkdir()
    raised = _write(tmp_path / "raised", _raise_limits(files, **high))
    assert not [d for d in _findings(raised, command, capsys) if d["code"] == code]


def test_a_policy_file_cannot_raise_a_cap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = adversarial.when_lists(2000)
    policy = yaml.safe_load(files["user.yaml"])
    policy["limits"] = {"max_when_values": 5000}
    files["user.yaml"] = yaml.safe_dump(policy, sort_keys=False)
    found = _findings(_write(tmp_path, files), "validate", capsys)
    assert [d["message"] for d in found if d["code"] == "PK201"] == [
        "unknown field 'limits' in the policy"
    ]


def test_typos_beyond_the_hint_budget_come_without_hints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = _findings(_write(tmp_path, adversarial.typos(1000)), "validate", capsys)
    unknown = [d for d in found if d["code"] == "PK207"]
    assert len(unknown) == 1000
    hinted = sum(1 for d in unknown if d["hint"])
    assert 0 < hinted <= 20_000 // 1000 + 1


def test_an_export_over_the_case_cap_is_refused_before_it_is_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _write(tmp_path, adversarial.export_cases(1000))
    assert main(["compile", str(root), "-o", str(root / "spec.json")]) == 0
    capsys.readouterr()
    spec = str(root / "spec.json")
    for argv in (["cases", spec], ["export", spec, "--to", "jsonl", "-o", str(root / "out")]):
        assert main(argv) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == (
            "error[PK510]: the spec makes up to 20000 cases, more than the cap of "
            "10000; raise it with --max-cases\n"
        )
    assert not (root / "out").exists()
    assert main(["cases", spec, "--max-cases", "20000", "-o", str(root / "c.jsonl")]) == 0
    assert len((root / "c.jsonl").read_text().splitlines()) == 20000
