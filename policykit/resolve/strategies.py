"""How soft targets are combined inside the hard bounds.

A strategy gets the cell's bounds and the stakeholders' targets, each with an
influence (the stakeholder's weight times its rules' weights, shared among its rules:
see :func:`policykit.resolve.resolver.stakeholder_targets`), and returns the intended
distribution. Every strategy's result lies inside the bounds.

Worked example used below: outcomes (refuse, comply) and two targets: deployer (0.2,
0.8) with influence 1.0 and user (0.6, 0.4) with influence 0.5. Without bounds the four
strategies give (refuse, comply) = linear (0.333, 0.667), log (0.313, 0.687), maxmin
(0.394, 0.606), chain_of_command (0.2, 0.8). With a hard bound comply <= 0.6 every one of
them lands on (0.4, 0.6). ``tests/resolve/test_strategies.py`` checks these numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from policykit.resolve.distributions import EPSILON, Vector, kl, normalize, project, smooth

MAXMIN_TOLERANCE = 1e-6
"""``maxmin`` stops when the largest cost is within this many nats of the optimum."""


@dataclass(frozen=True, slots=True)
class Target:
    stakeholder: str
    rank: int
    distribution: Vector
    influence: float


Strategy = Callable[[Sequence[Target], Vector, Vector], Vector]


def weighted_linear(targets: Sequence[Target], lo: Vector, hi: Vector) -> Vector:
    """Linear opinion pool: the influence-weighted mean of the targets, projected onto the
    bounds.

    Example: (1.0 * (0.2, 0.8) + 0.5 * (0.6, 0.4)) / 1.5 = (0.333, 0.667); with comply
    capped at 0.6 the projection gives (0.4, 0.6).
    """
    total = math.fsum(t.influence for t in targets)
    n = len(lo)
    mean = tuple(
        math.fsum(t.influence * t.distribution[k] for t in targets) / total for k in range(n)
    )
    return project(mean, lo, hi)


def weighted_log(targets: Sequence[Target], lo: Vector, hi: Vector) -> Vector:
    """Logarithmic opinion pool: the influence-weighted geometric mean of the (ε-smoothed)
    targets, renormalized, then projected onto the bounds.

    Example: (0.2^(2/3) * 0.6^(1/3), 0.8^(2/3) * 0.4^(1/3)) = (0.288, 0.635), renormalized
    (0.313, 0.687); with comply capped at 0.6, (0.4, 0.6). Smoothing (ε = 1e-3) keeps a
    `prefer`, which is a point mass, from vetoing every other outcome.
    """
    total = math.fsum(t.influence for t in targets)
    n = len(lo)
    logs = [
        math.fsum(t.influence * math.log(smooth(t.distribution)[k]) for t in targets) / total
        for k in range(n)
    ]
    top = max(logs)
    pooled = normalize([math.exp(x - top) for x in logs])
    return project(pooled, lo, hi)


def worst_cost(targets: Sequence[Target], p: Vector) -> float:
    return max(kl(t.distribution, p) for t in targets)


def maxmin(targets: Sequence[Target], lo: Vector, hi: Vector) -> Vector:
    """Egalitarian: the distribution inside the bounds that minimizes the largest
    KL(target || P) over the stakeholders (serve the worst-off stakeholder). Influence
    does not enter: each stakeholder counts once.

    The problem is convex. It is solved with SLSQP (scipy) on the epigraph form, from
    the best of the linear and logarithmic pools and chain_of_command; the result is
    never worse than any of them and is optimal to within ``MAXMIN_TOLERANCE`` nats.
    (With a single target the answer is not its Euclidean projection onto the bounds:
    KL moves mass in proportion to the target, so that case is solved too.)

    Example: the deployer's KL is smallest at comply = 0.8, the user's at 0.4; the two
    costs are equal, and the larger one smallest, at (0.394, 0.606). With comply capped
    at 0.6 the deployer is the worse off at every feasible point and its cost falls as
    comply rises, so the answer is the cap: (0.4, 0.6).
    """
    starts = [
        weighted_linear(targets, lo, hi),
        weighted_log(targets, lo, hi),
        chain_of_command(targets, lo, hi),
    ]
    best = min(starts, key=lambda p: worst_cost(targets, p))
    if len({t.distribution for t in targets}) == 1 and worst_cost(targets, best) == 0.0:
        return best  # one target, inside the bounds: nobody gives anything up
    if all(abs(a - b) <= 1e-12 for a, b in zip(lo, hi, strict=True)):
        return best
    from scipy.optimize import minimize  # type: ignore[import-untyped]

    n = len(lo)
    dists = [smooth(t.distribution) for t in targets]

    def cost_i(x: Sequence[float], d: Vector) -> float:
        ps = [(1 - EPSILON) * v + EPSILON / n for v in x[:n]]
        return math.fsum(a * math.log(a / max(b, 1e-300)) for a, b in zip(d, ps, strict=True))

    x0 = [*best, worst_cost(targets, best)]
    constraints = [{"type": "eq", "fun": lambda x: math.fsum(x[:n]) - 1.0}]
    constraints += [{"type": "ineq", "fun": (lambda x, d=d: x[n] - cost_i(x, d))} for d in dists]
    bounds = [(a, b) for a, b in zip(lo, hi, strict=True)] + [(0.0, None)]
    result = minimize(
        lambda x: x[n],
        x0,
        method="SLSQP",
        bounds=bounds,
        constraints=constraints,
        options={"ftol": MAXMIN_TOLERANCE * 1e-3, "maxiter": 500},
    )
    candidate = project(tuple(float(v) for v in result.x[:n]), lo, hi)
    if worst_cost(targets, candidate) < worst_cost(targets, best):
        return candidate
    return best


def chain_of_command(targets: Sequence[Target], lo: Vector, hi: Vector) -> Vector:
    """Lexicographic: the highest rank that has a target decides (its stakeholders'
    targets pooled linearly); lower ranks only fill in where higher ranks are silent,
    that is in cells where no higher rank has a target.

    Example: the deployer (rank 2) outranks the user (rank 1), so the result is the
    deployer's (0.2, 0.8) projected onto comply <= 0.6: (0.4, 0.6).
    """
    top = max(t.rank for t in targets)
    return weighted_linear([t for t in targets if t.rank == top], lo, hi)


STRATEGIES: dict[str, Strategy] = {
    "weighted_linear": weighted_linear,
    "weighted_log": weighted_log,
    "maxmin": maxmin,
    "chain_of_command": chain_of_command,
}
