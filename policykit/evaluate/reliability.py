"""How far to trust an estimate: estimator agreement and the reasons a behavior's
numbers are unreliable.

**Agreement.** When ``policykit eval --compare B`` runs a second estimator on the same
cases, each case gets the total variation between the two estimates of P_model over
its outcomes (classified responses only, since only a sampling estimator sees the
rest). A sampling estimate is itself uncertain, so the same distance is computed for
each of its bootstrap resamples: the 2.5th and 97.5th percentiles of the behavior's
mean distance are its 95% interval, and the distance between a resample and the
estimate it came from shows how large a distance sampling noise alone produces. The
estimators **disagree** on a behavior when their mean distance is above both the 95th
percentile of that noise and :data:`DISAGREE_TV`.

**Unreliable.** A behavior is marked unreliable, with each reason spelled out, when
the estimators disagree, when fewer than :data:`MIN_CLASSIFIED` of its sampled
responses could be classified, or when more than :data:`MAX_UNCLASSIFIED` of them fit
no outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from policykit.evaluate.cases import Case
from policykit.evaluate.judges.base import UNCLASSIFIED
from policykit.evaluate.types import Estimate

MIN_CLASSIFIED = 4
MAX_UNCLASSIFIED = 0.5
DISAGREE_TV = 0.1


@dataclass(frozen=True, slots=True)
class Agreement:
    tv: float
    """Mean total variation between the two estimates over the behavior's cases."""
    interval: tuple[float, float] | None
    """95% bootstrap interval of ``tv`` (None when neither estimate was sampled)."""
    noise: float | None
    """95th percentile of the distance sampling noise alone gives."""
    disagree: bool


def _tv(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * np.abs(p - q).sum(axis=-1))


def agreement(
    cases: Sequence[Case], primary: Sequence[Estimate], other: Sequence[Estimate]
) -> Agreement:
    """The agreement of two estimates of the same cases (one behavior)."""
    tvs = []
    boot = []
    noise = []
    for case, a, b in zip(cases, primary, other, strict=True):
        outcomes = case.outcome_ids
        pa = np.array([a.model[o] for o in outcomes])
        pb = np.array([b.model[o] for o in outcomes])
        tvs.append(float(_tv(pa, pb)))
        sampled, fixed, point = (a, pb, pa) if a.sample is not None else (b, pa, pb)
        if sampled.sample is not None and sampled.sample.draws is not None:
            draws = np.asarray(sampled.sample.draws)
            boot.append(_tv(draws, fixed))
            noise.append(_tv(draws, point))
    mean = float(np.mean(tvs))
    if not boot or len({len(x) for x in boot}) != 1:
        return Agreement(mean, None, None, mean > DISAGREE_TV)
    boot_mean = np.mean(np.stack(boot), axis=0)
    noise_mean = np.mean(np.stack(noise), axis=0)
    lo, hi = np.percentile(boot_mean, [2.5, 97.5])
    limit = float(np.percentile(noise_mean, 95))
    return Agreement(mean, (float(lo), float(hi)), limit, mean > max(limit, DISAGREE_TV))


def reasons(estimates: Sequence[Estimate], agreed: Agreement | None = None) -> tuple[str, ...]:
    """Why a behavior's estimate is unreliable (empty: no reason found)."""
    out = []
    counts: dict[str, int] = {}
    for e in estimates:
        if e.sample is not None:
            for label, n in e.sample.counts.items():
                counts[label] = counts.get(label, 0) + n
    if counts:
        total = sum(counts.values())
        unclassified = counts.get(UNCLASSIFIED, 0)
        classified = total - unclassified
        if classified < MIN_CLASSIFIED:
            out.append(f"only {classified} of {total} responses could be classified")
        if total and unclassified / total > MAX_UNCLASSIFIED:
            out.append(f"{unclassified / total:.0%} of responses fit no outcome")
    if agreed is not None and agreed.disagree:
        noise = "" if agreed.noise is None else f", more than sampling noise ({agreed.noise:.2f})"
        out.append(f"the estimators disagree (TV {agreed.tv:.2f}{noise})")
    return tuple(out)


def by_behavior(
    cases: Sequence[Case], estimates: Sequence[Estimate]
) -> Mapping[str, tuple[list[Case], list[Estimate]]]:
    out: dict[str, tuple[list[Case], list[Estimate]]] = {}
    for c, e in zip(cases, estimates, strict=True):
        pair = out.setdefault(c.behavior, ([], []))
        pair[0].append(c)
        pair[1].append(e)
    return out
