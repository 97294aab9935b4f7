"""``P_model`` from classified responses (generate and responses backends).

Each response is labeled with one outcome, or ``unclassified`` when it is not similar
enough to any. ``P_model`` is the add-α smoothed distribution of the classified
responses, ``(n_o + α) / (N + α K)`` with α = 0.5 (Jeffreys): with few samples an
outcome never seen still gets some mass, so KL stays finite and honest about the
sample size; with no classified response at all it is uniform. The share of
unclassified responses is reported next to it, never spread over the outcomes.

The 95% intervals come from a seeded bootstrap: the labels are resampled with
replacement 1,000 times and the same estimate computed on each resample.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from policykit.evaluate.backend import Classified, SampleSummary
from policykit.evaluate.cases import Case
from policykit.resolve.distributions import kl

UNCLASSIFIED = "unclassified"
ALPHA = 0.5
BOOTSTRAP = 1000


def smoothed(counts: Sequence[float], alpha: float = ALPHA) -> list[float]:
    total = float(sum(counts)) + alpha * len(counts)
    return [(c + alpha) / total for c in counts]


def summarize(
    case: Case, responses: Sequence[Classified], seed: int = 0
) -> tuple[dict[str, float], SampleSummary]:
    """(P_model over the case's outcomes, counts and bootstrap intervals)."""
    outcomes = case.outcome_ids
    labels = [r.label for r in responses]
    counter = Counter(labels)
    counts = [counter.get(o, 0) for o in outcomes]
    model = dict(zip(outcomes, smoothed(counts), strict=True))
    intended = [case.intended[o] for o in outcomes]
    codes = np.array([outcomes.index(x) if x in outcomes else -1 for x in labels], dtype=int)
    rng = np.random.default_rng(seed)
    if len(codes):
        draws = codes[rng.integers(0, len(codes), size=(BOOTSTRAP, len(codes)))]
        per = np.stack([(draws == k).sum(axis=1) for k in range(len(outcomes))], axis=1)
        probs = (per + ALPHA) / (per.sum(axis=1, keepdims=True) + ALPHA * len(outcomes))
    else:
        probs = np.full((1, len(outcomes)), 1.0 / len(outcomes))
    kls = np.array([kl(list(row), intended) for row in probs])
    lo, hi = np.percentile(probs, [2.5, 97.5], axis=0)
    summary = SampleSummary(
        counts={**{o: counter.get(o, 0) for o in outcomes}, UNCLASSIFIED: counter[UNCLASSIFIED]},
        interval={o: (float(lo[k]), float(hi[k])) for k, o in enumerate(outcomes)},
        kl_interval=(float(np.percentile(kls, 2.5)), float(np.percentile(kls, 97.5))),
        responses=tuple(responses),
    )
    return model, summary


def classify_scores(similarities: Mapping[str, float], threshold: float) -> tuple[str, float]:
    """The outcome with the highest similarity, or ``unclassified`` below the
    threshold; ties go to the first outcome by id."""
    best = max(sorted(similarities), key=lambda o: similarities[o])
    score = similarities[best]
    return (best if score >= threshold else UNCLASSIFIED), score
