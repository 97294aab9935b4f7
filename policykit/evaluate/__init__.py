"""Evaluate: estimate ``P_model(y | x)`` for a real model on a spec's cases and measure
how far it is from ``P_intended(y | x)``.

    spec ─▶ cases ─▶ backend.estimate (generate ─▶ judge) ─▶ metrics ─▶ results + report

Importing this package imports neither torch nor transformers: the built-in backends
load them when their factory is called (``get_backend(name)(options)``); the HTTP
client and Ray likewise.
"""

from __future__ import annotations

from policykit.evaluate.cases import Case, Outcome, from_eval_case, load_cases
from policykit.evaluate.errors import EvalError, MissingDependency
from policykit.evaluate.judges import (
    Judge,
    Judged,
    JudgeOptions,
    Question,
    builtin_judges,
    get_judge,
    judge_names,
)
from policykit.evaluate.metrics import EPSILON, CaseMetrics, aggregate, case_metrics
from policykit.evaluate.registry import (
    ENTRY_POINT_GROUP,
    backend_names,
    builtin_backends,
    get_backend,
)
from policykit.evaluate.results import RESULTS_VERSION, Results, results_json_schema
from policykit.evaluate.run import RunSettings, evaluate, write_outputs
from policykit.evaluate.scoring import ExemplarScore, outcome_distribution
from policykit.evaluate.types import Backend, BackendFactory, Estimate, EvalOptions

__all__ = [
    "ENTRY_POINT_GROUP",
    "EPSILON",
    "RESULTS_VERSION",
    "Backend",
    "BackendFactory",
    "Case",
    "CaseMetrics",
    "Estimate",
    "EvalError",
    "EvalOptions",
    "ExemplarScore",
    "Judge",
    "JudgeOptions",
    "Judged",
    "MissingDependency",
    "Outcome",
    "Question",
    "Results",
    "RunSettings",
    "aggregate",
    "backend_names",
    "builtin_backends",
    "builtin_judges",
    "case_metrics",
    "evaluate",
    "from_eval_case",
    "get_backend",
    "get_judge",
    "judge_names",
    "load_cases",
    "outcome_distribution",
    "results_json_schema",
    "write_outputs",
]
