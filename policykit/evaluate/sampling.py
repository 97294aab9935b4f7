"""``P_model`` from judged responses (generate and responses backends).

Each response is judged to be one of the behavior's outcomes, or ``unclassified``
(off-topic, incoherent, no answer). Two numbers come out of a case's responses:

- ``unclassified``: the share of responses that fit no outcome;
- ``model``: the distribution over the outcomes of the classified responses, the
  empirical frequencies ``n_o / N_classified`` (uniform when no response was
  classified, with ``unclassified`` = 1).

The unclassified share is never spread over the outcomes: the divergences treat it as
one more outcome that no policy intends (see :mod:`policykit.evaluate.metrics`).

The 95% intervals come from a seeded bootstrap: the judged labels are resampled with
replacement 1,000 times and the same estimates computed on each resample.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from policykit.evaluate.cases import Case
from policykit.evaluate.judges.base import UNCLASSIFIED, Judge, Judged, questions
from policykit.evaluate.metrics import case_metrics
from policykit.evaluate.types import Estimate, SampleSummary

BOOTSTRAP = 1000


def distribution(counts: np.ndarray) -> np.ndarray:
    """Rows of counts over the outcomes -> rows of frequencies (uniform where a row is
    all zeros)."""
    totals = counts.sum(axis=-1, keepdims=True)
    uniform = np.full(counts.shape, 1.0 / counts.shape[-1])
    return np.where(totals > 0, counts / np.maximum(totals, 1), uniform)


def summarize(
    case: Case, responses: Sequence[Judged], seed: int = 0
) -> tuple[dict[str, float], float, SampleSummary]:
    """(P_model over the case's outcomes, the unclassified share, counts and bootstrap
    intervals)."""
    outcomes = case.outcome_ids
    labels = [r.label for r in responses]
    counter = Counter(labels)
    counts = np.array([counter.get(o, 0) for o in outcomes], dtype=float)
    model = dict(zip(outcomes, distribution(counts).tolist(), strict=True))
    share = counter[UNCLASSIFIED] / len(labels) if labels else 1.0
    index = {o: k for k, o in enumerate(outcomes)}
    codes = np.array([index.get(x, len(outcomes)) for x in labels], dtype=int)
    rng = np.random.default_rng(seed)
    if len(codes):
        draws = codes[rng.integers(0, len(codes), size=(BOOTSTRAP, len(codes)))]
        per = np.stack([(draws == k).sum(axis=1) for k in range(len(outcomes) + 1)], axis=1)
        probs = distribution(per[:, :-1].astype(float))
        shares = per[:, -1] / len(codes)
    else:
        probs = np.full((1, len(outcomes)), 1.0 / len(outcomes))
        shares = np.ones(1)
    kls = np.array(
        [
            case_metrics(case, dict(zip(outcomes, row.tolist(), strict=True)), float(u)).kl
            for row, u in zip(probs, shares, strict=True)
        ]
    )
    lo, hi = np.percentile(probs, [2.5, 97.5], axis=0)
    summary = SampleSummary(
        counts={**{o: counter.get(o, 0) for o in outcomes}, UNCLASSIFIED: counter[UNCLASSIFIED]},
        interval={o: (float(lo[k]), float(hi[k])) for k, o in enumerate(outcomes)},
        unclassified_interval=(
            float(np.percentile(shares, 2.5)),
            float(np.percentile(shares, 97.5)),
        ),
        kl_interval=(float(np.percentile(kls, 2.5)), float(np.percentile(kls, 97.5))),
        responses=tuple(responses),
        draws=probs,
    )
    return model, share, summary


def judge_estimates(
    judge: Judge, cases: Sequence[Case], texts: Sequence[Sequence[str]], seed: int = 0
) -> list[Estimate]:
    """Each case's estimate from its responses ``texts``, judged in one call (the judge
    batches its model calls)."""
    asked = [q for case, t in zip(cases, texts, strict=True) for q in questions(case, t)]
    verdicts = iter(judge.judge(asked))
    estimates = []
    for case, t in zip(cases, texts, strict=True):
        judged = [next(verdicts) for _ in t]
        model, share, summary = summarize(case, judged, seed=seed)
        estimates.append(Estimate(case=case.id, model=model, unclassified=share, sample=summary))
    return estimates
