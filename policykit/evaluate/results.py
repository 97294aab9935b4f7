"""The evaluation results artifact (``policykit.results/v2``) and its JSON Schema.

``results.json`` is what ``policykit eval`` emits, so like the spec it is a versioned
artifact with a committed schema (``policykit/schemas/results.schema.json``), checked
against real output in the tests. Numbers that are not finite (an aggregate over no
case) are written as ``null``.
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RESULTS_VERSION = "policykit.results/v2"


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Divergence(_Out):
    kl: float | None
    """KL(P_model || P_intended) in nats, both ε-smoothed, over the outcomes and the
    unclassified share; weighted mean."""
    js: float | None
    """Jensen–Shannon divergence in bits; weighted mean."""
    tv: float | None
    """Total variation distance; weighted mean."""
    unclassified: float | None
    """Share of responses that fit no outcome, weighted mean; null where the estimator
    cannot see it (likelihood)."""
    violation: float | None
    """Hard-violation mass: probability that must move to satisfy the bounds."""
    score: float | None
    """1 - js: 1 when the model does exactly what is intended."""
    cases: int
    weight: float


class AgreementOut(_Out):
    backend: str
    """The other estimator."""
    model: dict[str, float]
    """Its P_model over the outcomes, averaged like ``model``."""
    tv: float
    """Mean total variation between the two estimates over the behavior's cases."""
    interval: list[float] | None
    """95% bootstrap interval [lo, hi] of ``tv`` over the sampled responses."""
    noise: float | None
    """95th percentile of the distance that sampling noise alone produces."""
    disagree: bool


class BehaviorResult(Divergence):
    property: str
    intended: dict[str, float]
    """P_intended over the outcomes, averaged over the evaluated cases (case weights)."""
    model: dict[str, float]
    """P_model over the outcomes among classified responses, averaged the same way."""
    unreliable: list[str]
    """Why this behavior's estimate should not be trusted; empty when no reason was
    found (too few classified responses, high abstention, estimators that disagree)."""
    agreement: AgreementOut | None = None
    """With --compare: how close the other estimator's estimate is."""


class StakeholderResult(Divergence):
    rules: int
    """How many of the stakeholder's rules cover the evaluated cases (counted per case)."""
    target_tv: float | None
    """Mean total variation between the model and this stakeholder's own soft target,
    where it has one; null where it only sets hard rules."""


class KindResult(Divergence):
    stakeholders: list[str]
    """The stakeholders of this kind whose rules cover evaluated cases."""
    rules: int
    """How many of their rules cover the evaluated cases (counted per case)."""


class BoundOut(_Out):
    min: float
    max: float


class ExemplarOut(_Out):
    logprob: float
    """log P(exemplar | prompt), natural log, summed over tokens."""
    tokens: int


class ResponseOut(_Out):
    text: str
    label: str
    """An outcome, or unclassified."""
    confidence: float
    """The judge's confidence in the label (its probability, where it has one)."""


class SampleOut(_Out):
    counts: dict[str, int]
    """Responses per outcome, and unclassified."""
    interval: dict[str, list[float]]
    """95% bootstrap interval [lo, hi] of each outcome's probability among classified
    responses."""
    unclassified_interval: list[float]
    """95% bootstrap interval [lo, hi] of the unclassified share."""
    kl_interval: list[float]
    """95% bootstrap interval [lo, hi] of the case's KL."""
    responses: list[ResponseOut]


class CaseResult(_Out):
    id: str
    behavior: str
    property: str
    cell: int
    context: dict[str, str]
    conflict: bool
    weight: float
    """The case's share of its cell's weight."""
    intended: dict[str, float]
    bounds: dict[str, BoundOut]
    model: dict[str, float]
    """The backend's estimate of P_model over the outcomes, among classified responses."""
    unclassified: float | None
    """Share of responses that fit no outcome (null: the estimator cannot see it)."""
    kl: float
    js: float
    tv: float
    violation: float
    scores: dict[str, float] | None = None
    """Likelihood mode: each outcome's combined score S_o (log-mean-exp of its
    exemplars' mean per-token log-probabilities)."""
    exemplars: dict[str, list[ExemplarOut]] | None = None
    """Likelihood mode: each exemplar's log-likelihood, in the spec's exemplar order."""
    sample: SampleOut | None = None
    """Sampling modes: what was generated or read, and how it was classified."""
    compared: dict[str, float] | None = None
    """With --compare: the other estimator's P_model over the outcomes."""


class Seconds(_Out):
    total: float
    load: float
    """Loading the model (and classifier)."""
    model: float
    """Inside model calls: forward passes, generation, embedding."""
    overhead: float | None
    """policykit's own time while estimating (tokenizing, batching, metrics), as a
    fraction of the model's time."""


class RunInfo(_Out):
    backend: str
    compare: str | None
    """The second estimator run on the same cases (--compare), if any."""
    model: str
    device: str
    seed: int
    batch_size: int
    limit: int | None
    max_cases_per_behavior: int | None
    options: dict[str, str | int | float | bool | None]
    """The backend settings that shape the estimate (prompt format, normalization,
    samples, temperature, threshold...)."""
    started: str
    """UTC start time, ISO 8601."""
    seconds: Seconds
    generated_tokens: int | None
    """Tokens generated (generate backend)."""
    usage: dict[str, int] | None = None
    """Served backends: the tokens of the answers used, as the server counted them
    (prompt_tokens, completion_tokens, total_tokens), cached answers included."""
    requests: dict[str, int] | None = None
    """Served backends: this run's requests: sent (answered), cached (read from the
    response cache instead), errors, retries."""


class SpecRef(_Out):
    project: str
    inputs_hash: str
    path: str


class MetricsDoc(_Out):
    epsilon: float
    """Smoothing before KL: x -> (1 - epsilon) x + epsilon / n, on both distributions."""
    kl: str
    js: str
    tv: str
    violation: str
    aggregation: str
    unclassified: str


class Results(_Out):
    apiVersion: Literal["policykit.results/v2"]
    policykit_version: str
    spec: SpecRef
    run: RunInfo
    metrics: MetricsDoc
    overall: Divergence
    properties: dict[str, Divergence]
    """Per HHH property (helpful, honest, harmless)."""
    stakeholders: dict[str, StakeholderResult]
    kinds: dict[str, KindResult] | None = Field(default=None, exclude_if=lambda v: v is None)
    """Per kind (developer, deployer, user, society), its stakeholders' cases together.
    Present only when the spec names principals (names other than the four kinds)."""
    behaviors: dict[str, BehaviorResult]
    cases: list[CaseResult]
    missing: int
    """Cases the backend could not estimate (no response for them, say)."""
    unreliable: list[str]
    """Behaviors whose estimate is marked unreliable (see each one's reasons)."""


def finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def dumps(results: Results) -> str:
    return json.dumps(results.model_dump(mode="json"), indent=1, ensure_ascii=False) + "\n"


def results_json_schema() -> dict[str, Any]:
    from policykit.schema.jsonschema import model_schema

    return model_schema(
        Results, f"policykit evaluation results ({RESULTS_VERSION})", "serialization"
    )


def schema_text() -> str:
    return json.dumps(results_json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
