"""One evaluation: cases -> backend estimates -> metrics -> the results artifact."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from policykit import __version__
from policykit.evaluate import reliability
from policykit.evaluate.cases import Case
from policykit.evaluate.errors import EvalError
from policykit.evaluate.judges.base import UNCLASSIFIED
from policykit.evaluate.metrics import (
    EPSILON,
    Aggregate,
    Aggregates,
    Scored,
    aggregate,
    case_metrics,
    case_weights,
    mean_distribution,
    target_distance,
)
from policykit.evaluate.results import (
    RESULTS_VERSION,
    AgreementOut,
    BehaviorResult,
    BoundOut,
    CaseResult,
    Divergence,
    ExemplarOut,
    KindResult,
    MetricsDoc,
    ResponseOut,
    Results,
    RunInfo,
    SampleOut,
    Seconds,
    SpecRef,
    StakeholderResult,
    finite,
)
from policykit.evaluate.types import Backend, Estimate, EvalOptions, Progress

METRICS_DOC = MetricsDoc(
    epsilon=EPSILON,
    kl="KL(P_model || P_intended) in nats, after smoothing both sides with epsilon",
    js="Jensen-Shannon divergence in bits (0 identical, 1 disjoint)",
    tv="total variation distance, half the L1 distance",
    violation=(
        "hard-violation mass: the least probability that must move for P_model to "
        "satisfy every bound (the probability on forbidden outcomes under a forbid)"
    ),
    aggregation=(
        "cases weigh their cell's weight shared among the cell's evaluated cases; "
        "behaviors weigh their mean cell weight in property and overall means; a "
        "stakeholder's mean weighs each case by its weight times the stakeholder's rules "
        "covering it; score = 1 - js"
    ),
    unclassified=(
        "where responses are seen (generate, responses), the share u that fits no outcome "
        "is one more outcome that no policy intends: KL, JS and TV compare "
        "((1 - u) P_model, u) with (P_intended, 0), and bounds apply to (1 - u) P_model; "
        "likelihood cannot see it (null), and its divergences are over the outcomes alone"
    ),
)


@dataclass(frozen=True, slots=True)
class RunSettings:
    """What the run records about how it was asked for."""

    backend: str
    spec_path: str
    limit: int | None = None
    max_cases_per_behavior: int | None = None
    compare: str | None = None
    """The second estimator's name (--compare)."""


def evaluate(
    spec_project: str,
    spec_hash: str,
    cases: Sequence[Case],
    backend: Backend,
    options: EvalOptions,
    settings: RunSettings,
    progress: Progress | None = None,
    compare: Backend | None = None,
) -> Results:
    """Estimate P_model with ``backend`` on ``cases`` and measure it against the
    intended distributions; with ``compare``, run that estimator on the same cases too
    and report how far the two agree."""
    if not cases:
        raise EvalError("no cases to evaluate: the case limit and the behaviors chosen leave none")
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    report = progress or (lambda n: None)
    model_before = backend.model_seconds + (compare.model_seconds if compare else 0.0)
    kept = _estimates(backend, cases, report)
    other: dict[str, Estimate] = {}
    if compare is not None:
        other = {e.case: e for e in _estimates(compare, cases, report)}
    by_id = {c.id: c for c in cases}
    scored = [
        Scored(
            case=by_id[e.case],
            model=dict(e.model),
            metrics=case_metrics(by_id[e.case], e.model, e.unclassified),
        )
        for e in kept
    ]
    results = _results(spec_project, spec_hash, scored, kept, other, backend, options, settings)
    elapsed = time.perf_counter() - started
    model_seconds = (
        backend.model_seconds - model_before + (compare.model_seconds if compare else 0.0)
    )
    load = float(getattr(backend, "load_seconds", 0.0) or 0.0) + float(
        getattr(compare, "load_seconds", 0.0) or 0.0
    )
    overhead = (elapsed - model_seconds) / model_seconds if model_seconds > 0 else None
    seconds = Seconds(
        total=round(elapsed + load, 3),
        load=round(load, 3),
        model=round(model_seconds, 3),
        overhead=None if overhead is None else round(overhead, 4),
    )
    run = results.run.model_copy(update={"started": started_at, "seconds": seconds})
    return results.model_copy(update={"run": run, "missing": len(cases) - len(scored)})


def _estimates(backend: Backend, cases: Sequence[Case], progress: Progress) -> list[Estimate]:
    """The backend's estimates, checked: known cases, full distributions."""
    by_id = {c.id: c for c in cases}
    estimates = backend.estimate(cases, progress)
    for est in estimates:
        case = by_id.get(est.case)
        if case is None:
            raise EvalError(f"backend {backend.name!r} returned an unknown case {est.case!r}")
        _check_distribution(backend.name, case, est)
    if not estimates:
        raise EvalError(f"backend {backend.name!r} estimated none of the {len(cases)} cases")
    return estimates


def _check_distribution(name: str, case: Case, est: Estimate) -> None:
    outcomes = set(case.outcome_ids)
    if set(est.model) != outcomes:
        raise EvalError(
            f"backend {name!r} gave case {case.id} the outcomes {sorted(est.model)}, "
            f"not {sorted(outcomes)}"
        )
    total = math.fsum(est.model.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6) or any(p < 0 for p in est.model.values()):
        raise EvalError(f"backend {name!r} gave case {case.id} a distribution summing to {total}")
    if est.unclassified is not None and not 0.0 <= est.unclassified <= 1.0:
        raise EvalError(
            f"backend {name!r} gave case {case.id} an unclassified share outside [0, 1]"
        )


def _divergence(a: Aggregate) -> dict[str, float | int | None]:
    return {
        "kl": finite(a.kl),
        "js": finite(a.js),
        "tv": finite(a.tv),
        "violation": finite(a.violation),
        "score": finite(a.score),
        "unclassified": None if a.unclassified is None else finite(a.unclassified),
        "cases": a.cases,
        "weight": round(a.weight, 12),
    }


def _results(
    project: str,
    spec_hash: str,
    scored: Sequence[Scored],
    estimates: Sequence[Estimate],
    other: Mapping[str, Estimate],
    backend: Backend,
    options: EvalOptions,
    settings: RunSettings,
) -> Results:
    """The results artifact of the scored cases, per behavior, property, stakeholder and
    kind; ``evaluate`` fills in when the run started, how long it took and what is
    missing."""
    aggregates = aggregate(scored)
    weights = case_weights(scored)
    behaviors = _behavior_results(aggregates, scored, weights, estimates, other, settings)
    stakeholders = {
        name: StakeholderResult(
            **_divergence(agg),
            rules=sum(s.case.stakeholders.get(name, 0) for s in scored),
            target_tv=target_distance(scored, name),
        )
        for name, agg in aggregates.stakeholders.items()
    }
    return Results(
        apiVersion=RESULTS_VERSION,
        policykit_version=__version__,
        spec=SpecRef(project=project, inputs_hash=spec_hash, path=settings.spec_path),
        run=_run_info(backend, options, settings),
        metrics=METRICS_DOC,
        overall=Divergence(**_divergence(aggregates.overall)),
        properties={p: Divergence(**_divergence(a)) for p, a in aggregates.properties.items()},
        stakeholders=stakeholders,
        kinds=_kind_results(aggregates, scored, stakeholders),
        behaviors=behaviors,
        cases=[
            _case_result(s, w, e, other.get(e.case))
            for s, w, e in zip(scored, weights, estimates, strict=True)
        ],
        missing=0,
        unreliable=sorted(b for b, r in behaviors.items() if r.unreliable),
    )


def _behavior_results(
    aggregates: Aggregates,
    scored: Sequence[Scored],
    weights: Sequence[float],
    estimates: Sequence[Estimate],
    other: Mapping[str, Estimate],
    settings: RunSettings,
) -> dict[str, BehaviorResult]:
    """Per behavior: its divergences, its mean intended and model distributions, why
    its estimate may be unreliable, and, where the second estimator (``other``)
    estimated all of its cases, how far the two agree."""
    behaviors = {}
    for name, agg in aggregates.behaviors.items():
        picked = [
            (w, s, e)
            for w, s, e in zip(weights, scored, estimates, strict=True)
            if s.case.behavior == name
        ]
        ws = [w for w, _, _ in picked]
        ss = [s for _, s, _ in picked]
        es = [e for _, _, e in picked]
        agreement = None
        agreed = None
        if other and all(e.case in other for e in es):
            compared = [other[e.case] for e in es]
            agreed = reliability.agreement([s.case for s in ss], es, compared)
            agreement = _agreement(agreed, ss, ws, compared, settings.compare or "")
        behaviors[name] = BehaviorResult(
            **_divergence(agg),
            property=ss[0].case.property,
            intended=mean_distribution(ss, ws, "intended"),
            model=mean_distribution(ss, ws, "model"),
            unreliable=list(reliability.reasons(es, agreed)),
            agreement=agreement,
        )
    return behaviors


def _agreement(
    agreed: reliability.Agreement,
    scored: Sequence[Scored],
    weights: Sequence[float],
    compared: Sequence[Estimate],
    backend: str,
) -> AgreementOut:
    """How far the second estimator (``backend``) agrees on one behavior's cases, with
    its mean model distribution there."""
    return AgreementOut(
        backend=backend,
        model=mean_distribution(
            [
                Scored(s.case, dict(c.model), s.metrics)
                for s, c in zip(scored, compared, strict=True)
            ],
            weights,
            "model",
        ),
        tv=agreed.tv,
        interval=list(agreed.interval) if agreed.interval else None,
        noise=agreed.noise,
        disagree=agreed.disagree,
    )


def _kind_results(
    aggregates: Aggregates, scored: Sequence[Scored], stakeholders: Mapping[str, StakeholderResult]
) -> dict[str, KindResult] | None:
    """Per kind, its divergences, its stakeholders and their rules; None where every
    stakeholder is a built-in name (its own kind)."""
    if aggregates.kinds is None:
        return None
    kind_of = {n: k for s in scored for n, k in s.case.kinds.items()}
    return {
        kind: KindResult(
            **_divergence(agg),
            stakeholders=sorted(n for n in stakeholders if kind_of.get(n, n) == kind),
            rules=sum(stakeholders[n].rules for n in stakeholders if kind_of.get(n, n) == kind),
        )
        for kind, agg in aggregates.kinds.items()
    }


def _run_info(backend: Backend, options: EvalOptions, settings: RunSettings) -> RunInfo:
    """How the run was asked for and what the backend reports of itself: its settings,
    tokens generated, usage and requests (timings are filled in by ``evaluate``)."""
    run_options: dict[str, str | int | float | bool | None] = {}
    describe = getattr(backend, "settings", None)
    if callable(describe):
        run_options.update(describe())
    generated = getattr(backend, "generated_tokens", None)
    usage = getattr(backend, "usage", None)
    counters = getattr(backend, "counters", None)
    return RunInfo(
        backend=settings.backend,
        compare=settings.compare,
        model=backend.model_name,
        device=backend.device,
        seed=options.seed,
        batch_size=options.batch_size,
        limit=settings.limit,
        max_cases_per_behavior=settings.max_cases_per_behavior,
        options=run_options,
        started="",
        seconds=Seconds(total=0.0, load=0.0, model=0.0, overhead=None),
        generated_tokens=generated if isinstance(generated, int) else None,
        usage=dict(usage) if isinstance(usage, dict) else None,
        requests=(
            {
                "sent": counters.sent,
                "cached": counters.cached,
                "errors": counters.errors,
                "retries": counters.retries,
            }
            if counters is not None
            else None
        ),
    )


def _case_result(s: Scored, weight: float, est: Estimate, other: Estimate | None) -> CaseResult:
    c = s.case
    sample = None
    if est.sample is not None:
        sample = SampleOut(
            counts=dict(est.sample.counts),
            interval={o: [lo, hi] for o, (lo, hi) in est.sample.interval.items()},
            unclassified_interval=list(est.sample.unclassified_interval),
            kl_interval=list(est.sample.kl_interval),
            responses=[
                ResponseOut(text=r.text, label=r.label, confidence=round(r.confidence, 6))
                for r in est.sample.responses
            ],
        )
    return CaseResult(
        id=c.id,
        behavior=c.behavior,
        property=c.property,
        cell=c.cell,
        context=dict(c.context),
        conflict=c.conflict,
        weight=weight,
        intended=dict(c.intended),
        bounds={o: BoundOut(min=lo, max=hi) for o, (lo, hi) in c.bounds.items()},
        model=dict(s.model),
        unclassified=est.unclassified,
        kl=s.metrics.kl,
        js=s.metrics.js,
        tv=s.metrics.tv,
        violation=s.metrics.violation,
        scores=dict(est.scores) if est.scores is not None else None,
        exemplars=(
            {
                o: [ExemplarOut(logprob=e.logprob, tokens=e.tokens) for e in v]
                for o, v in est.exemplars.items()
            }
            if est.exemplars is not None
            else None
        ),
        sample=sample,
        compared=dict(other.model) if other is not None else None,
    )


def write_outputs(results: Results, out_dir: Path) -> tuple[Path, Path]:
    """results.json and report.html under ``out_dir``, each written atomically."""
    from policykit.evaluate.report import render_html
    from policykit.evaluate.results import dumps
    from policykit.util.output import write_atomic

    json_path = out_dir / "results.json"
    html_path = out_dir / "report.html"
    write_atomic(json_path, dumps(results))
    write_atomic(html_path, render_html(results))
    return json_path, html_path


def unclassified_share(results: Results) -> float | None:
    """The share of sampled responses no outcome was close enough to (sampling modes)."""
    total = unclassified = 0
    for case in results.cases:
        if case.sample is not None:
            total += sum(case.sample.counts.values())
            unclassified += case.sample.counts.get(UNCLASSIFIED, 0)
    return unclassified / total if total else None
