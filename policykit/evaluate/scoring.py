"""From exemplar log-likelihoods to ``P_model`` over outcomes (likelihood mode).

Each outcome has one or more exemplars of different lengths, scored as continuations
of the case's prompt. They are combined in three steps:

1. **Per exemplar**, the mean log-probability per token, ``s_e = log P(e | prompt) /
   |e|`` (``normalize="mean"``, the default), so a long exemplar is not penalized for
   its length; ``normalize="sum"`` keeps the total ``log P(e | prompt)``.
2. **Per outcome**, the log-mean-exp of its exemplars, ``S_o = log((1/n_o) Σ exp s_e)``:
   the outcome's likelihood is the average of its exemplars', so giving an outcome more
   exemplars (or the same exemplar twice) does not make it more likely.
3. **Over outcomes**, a softmax: ``P_model(o) = exp S_o / Σ_o' exp S_o'``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Normalize = Literal["mean", "sum"]


@dataclass(frozen=True, slots=True)
class ExemplarScore:
    logprob: float
    """log P(exemplar | prompt), summed over its tokens (natural log)."""
    tokens: int
    """How many tokens the exemplar has as a continuation of the prompt."""


def exemplar_score(e: ExemplarScore, normalize: Normalize = "mean") -> float:
    return e.logprob / e.tokens if normalize == "mean" else e.logprob


def logsumexp(xs: Sequence[float]) -> float:
    m = max(xs)
    if m == -math.inf:
        return m
    return m + math.log(math.fsum(math.exp(x - m) for x in xs))


def outcome_scores(
    exemplars: Mapping[str, Sequence[ExemplarScore]], normalize: Normalize = "mean"
) -> dict[str, float]:
    """S_o per outcome: the log-mean-exp of its exemplars' scores."""
    out = {}
    for outcome, scores in exemplars.items():
        if not scores:
            raise ValueError(f"outcome {outcome!r} has no scored exemplar")
        values = [exemplar_score(e, normalize) for e in scores]
        out[outcome] = logsumexp(values) - math.log(len(values))
    return out


def softmax(scores: Mapping[str, float]) -> dict[str, float]:
    total = logsumexp(list(scores.values()))
    return {o: math.exp(s - total) for o, s in scores.items()}


def outcome_distribution(
    exemplars: Mapping[str, Sequence[ExemplarScore]], normalize: Normalize = "mean"
) -> tuple[dict[str, float], dict[str, float]]:
    """(S_o per outcome, P_model per outcome)."""
    scores = outcome_scores(exemplars, normalize)
    return scores, softmax(scores)
