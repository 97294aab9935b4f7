"""Judges: map a response to one of its behavior's outcomes, or to ``unclassified``.

Built-ins (each one's precision, recall and F1 on policykit's labelled set are in
``docs/evaluate.md``; ``policykit judge-check`` measures any judge on any labelled
JSONL):

- ``stance`` (default): sentence embeddings of the response, a response-act layer
  (decline / redirect / comply / other / unclassified) shared by every behavior, and a
  head trained on policykit's labelled corpus that compares the response with each
  outcome's description, exemplars and labelled examples. Works for user-written
  behaviors through their descriptions and exemplars. Offline, CPU.
- ``nearest``: the outcome of the most similar exemplar or description (cosine), or
  ``unclassified`` below a threshold. The baseline the others are measured against.
- ``model``: a chat model as grader, with a rubric built from the outcomes; the answer
  is a constrained choice (the likelihood of each option's letter), outcome order
  shuffled per response, with an explicit "none of these" option. The grader is a
  local model, or a served one (``--judge-model openai:NAME@URL``).

Third parties add judges under the ``policykit.judges`` entry-point group: a callable
taking :class:`JudgeOptions` and returning a :class:`Judge`. Importing this package
imports neither torch nor transformers.
"""

from __future__ import annotations

from typing import cast

from policykit.evaluate.errors import EvalError
from policykit.evaluate.judges.base import (
    UNCLASSIFIED,
    Judge,
    Judged,
    JudgeFactory,
    JudgeOptions,
    Question,
    questions,
)
from policykit.util.plugins import find_plugin, plugin_names

ENTRY_POINT_GROUP = "policykit.judges"
DEFAULT_JUDGE = "stance"

__all__ = [
    "DEFAULT_JUDGE",
    "ENTRY_POINT_GROUP",
    "UNCLASSIFIED",
    "Judge",
    "JudgeFactory",
    "JudgeOptions",
    "Judged",
    "Question",
    "builtin_judges",
    "get_judge",
    "judge_names",
    "questions",
]


def _stance(options: JudgeOptions) -> Judge:
    from policykit.evaluate.judges.stance import create

    return create(options)


def _nearest(options: JudgeOptions) -> Judge:
    from policykit.evaluate.judges.nearest import create

    return create(options)


def _model(options: JudgeOptions) -> Judge:
    if options.model is not None and options.model.startswith("openai:"):
        from policykit.evaluate.judges.served_grader import create_served

        return create_served(options)
    from policykit.evaluate.judges.grader import create

    return create(options)


def builtin_judges() -> dict[str, JudgeFactory]:
    return {"stance": _stance, "nearest": _nearest, "model": _model}


DESCRIPTIONS = {
    "stance": "embeddings + response-act layer + trained head (default)",
    "nearest": "the outcome of the most similar exemplar (baseline)",
    "model": "a chat model grades by constrained choice over the outcomes",
}


def judge_names() -> list[str]:
    """Built-ins first, then plugins sorted; a plugin never shadows a built-in."""
    return plugin_names(builtin_judges(), ENTRY_POINT_GROUP)


def get_judge(name: str) -> JudgeFactory:
    found = find_plugin(
        name,
        builtin_judges(),
        ENTRY_POINT_GROUP,
        kind="judge",
        plural="judges",
        valid=callable,
        invalid="is not a judge factory",
        error=EvalError,
    )
    return cast(JudgeFactory, found)
