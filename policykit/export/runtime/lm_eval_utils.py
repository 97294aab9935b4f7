"""lm-evaluation-harness helpers exported by policykit (``!function utils.*`` in task.yaml).

This file is the same for every export; the cases are data in ``docs.jsonl`` beside
it. The task is ``multiple_choice`` over the exemplars of each case's outcomes, so the
harness's log-likelihoods give ``P_model`` over outcomes: the probability of an outcome
is the mean probability of its exemplars, renormalized over the outcomes. Each document
then reports its total variation and Jensen–Shannon divergence (bits) from the intended
distribution, and the probability mass on outcomes the spec's bounds allow.
"""

from __future__ import annotations

import importlib
import json
import math
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent / "docs.jsonl"


def load_cases(**kwargs: Any) -> Any:
    """``custom_dataset``: the documents, as a DatasetDict with one ``test`` split."""
    datasets = importlib.import_module("datasets")  # lm-eval's own dependency
    rows = [json.loads(line) for line in DOCS.read_text(encoding="utf-8").split("\n") if line]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


def doc_to_text(doc: dict[str, Any]) -> str:
    return str(doc["prompt"])


def doc_to_choice(doc: dict[str, Any]) -> list[str]:
    return [str(c) for c in doc["choices"]]


def doc_to_target(doc: dict[str, Any]) -> int:
    return int(doc["target"])


def outcome_probabilities(doc: dict[str, Any], loglikelihoods: list[float]) -> list[float]:
    """P_model over ``doc["outcomes"]`` from the choices' log-likelihoods."""
    top = max(loglikelihoods)
    sums = [0.0] * len(doc["outcomes"])
    counts = [0] * len(doc["outcomes"])
    for index, ll in zip(doc["choice_outcomes"], loglikelihoods, strict=True):
        sums[index] += math.exp(ll - top)
        counts[index] += 1
    means = [s / n if n else 0.0 for s, n in zip(sums, counts, strict=True)]
    total = sum(means)
    return [m / total for m in means]


def total_variation(p: list[float], q: list[float]) -> float:
    return sum(abs(a - b) for a, b in zip(p, q, strict=True)) / 2


def jensen_shannon(p: list[float], q: list[float]) -> float:
    total = 0.0
    for a, b in zip(p, q, strict=True):
        m = (a + b) / 2
        if a > 0:
            total += a * math.log2(a / m)
        if b > 0:
            total += b * math.log2(b / m)
    return max(total / 2, 0.0)


def process_results(doc: dict[str, Any], results: list[Any]) -> dict[str, float]:
    loglikelihoods = [float(r[0]) for r in results]
    p = outcome_probabilities(doc, loglikelihoods)
    q = [float(x) for x in doc["intended"]]
    allowed = sum(pi for pi, ok in zip(p, doc["allowed"], strict=True) if ok)
    return {
        "tv": total_variation(p, q),
        "js": jensen_shannon(p, q),
        "allowed_mass": allowed,
    }
