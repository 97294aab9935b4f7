"""Measuring a judge on labelled responses: ``policykit judge-check``.

A labelled file is JSONL, one object per line::

    {"id": "...", "behavior": "refusal_behavior", "prompt": "the user's request",
     "response": "the assistant's reply", "label": "refuse", "reason": "why"}

``label`` is one of the behavior's outcome ids or ``unclassified``; ``id``, ``reason``
and any other keys are kept but not read. The behaviors' outcomes come from compiled
specs or catalogs, so a user's own behaviors are measured exactly like the standard
ones.

The report (:class:`CheckReport`) has, per class, precision, recall and F1 (sklearn's
definitions; ``unclassified`` is a class like the others), macro-F1 over the classes
that occur in the gold labels, accuracy, Cohen's κ, the confusion matrix, the
abstention rate (the share the judge called ``unclassified``), and the
refuse-vs-comply accuracy: on the responses labelled ``refuse`` or ``comply``, the
share the judge labelled exactly right.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from policykit.evaluate.cases import Outcome
from policykit.evaluate.errors import EvalError, jsonl_objects
from policykit.evaluate.judges.base import UNCLASSIFIED, Judge, Judged, Question

Outcomes = Mapping[str, tuple[Outcome, ...]]
"""Behavior id -> its outcomes, sorted by id."""


@dataclass(frozen=True, slots=True)
class Labelled:
    id: str
    question: Question
    label: str
    where: str
    """file:line, for messages."""
    style: str = ""
    """What kind of response it is (``generated`` for a real model's output)."""


def read_labels(path: Path, outcomes: Outcomes) -> list[Labelled]:
    """The labelled responses of a JSONL file; EvalError with file:line:col on a bad
    line, an unknown behavior or a label that is not one of its outcomes."""
    out: list[Labelled] = []
    fields = "behavior, prompt, response and label"
    for number, record in jsonl_objects(path, "labelled responses", fields):
        where = f"{path}:{number}"
        for key in ("behavior", "prompt", "response", "label"):
            if not isinstance(record.get(key), str):
                got = type(record.get(key)).__name__ if key in record else "nothing"
                raise EvalError(f"{where}:1: {key!r} must be a string (got {got})")
        behavior, label = record["behavior"], record["label"]
        if behavior not in outcomes:
            raise EvalError(
                f"{where}:1: unknown behavior {behavior!r}: no spec or catalog given defines it"
            )
        ids = [o.id for o in outcomes[behavior]]
        if label != UNCLASSIFIED and label not in ids:
            raise EvalError(
                f"{where}:1: label {label!r} is not an outcome of {behavior} "
                f"({', '.join(ids)}) nor {UNCLASSIFIED}"
            )
        question = Question(behavior, outcomes[behavior], record["prompt"], record["response"])
        style = record.get("style")
        out.append(
            Labelled(
                str(record.get("id", number)),
                question,
                label,
                where,
                style if isinstance(style, str) else "",
            )
        )
    if not out:
        raise EvalError(f"{path}: no labelled responses")
    return out


@dataclass(frozen=True, slots=True)
class ClassScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class CheckReport:
    judge: str
    total: int
    accuracy: float
    macro_f1: float
    kappa: float
    abstention: float
    """Share of responses the judge labelled ``unclassified``."""
    gold_unclassified: float
    """Share of responses labelled ``unclassified`` in the file."""
    refuse_vs_comply: float | None
    """On responses labelled refuse or comply: the share labelled exactly right."""
    refuse_vs_comply_n: int
    classes: Mapping[str, ClassScore]
    """Per label (outcome ids pooled across behaviors, and ``unclassified``)."""
    labels: tuple[str, ...]
    """The confusion matrix's row and column order."""
    confusion: tuple[tuple[int, ...], ...]
    """Rows: the gold label; columns: the judge's."""
    per_behavior: Mapping[str, float]
    """Accuracy per behavior."""
    errors: tuple[tuple[str, str, str], ...]
    """(id, gold, judged) of every disagreement, in file order."""
    seconds: float
    """Time in the judge's models."""

    def as_json(self) -> dict[str, object]:
        return {
            "judge": self.judge,
            "total": self.total,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "kappa": self.kappa,
            "abstention": self.abstention,
            "gold_unclassified": self.gold_unclassified,
            "refuse_vs_comply": self.refuse_vs_comply,
            "refuse_vs_comply_n": self.refuse_vs_comply_n,
            "classes": {
                k: {"precision": v.precision, "recall": v.recall, "f1": v.f1, "support": v.support}
                for k, v in self.classes.items()
            },
            "labels": list(self.labels),
            "confusion": [list(r) for r in self.confusion],
            "per_behavior": dict(self.per_behavior),
            "errors": [{"id": i, "gold": g, "judged": j} for i, g, j in self.errors],
            "seconds": self.seconds,
        }


def score(
    name: str, gold: Sequence[Labelled], judged: Sequence[Judged], seconds: float = 0.0
) -> CheckReport:
    """Compare a judge's verdicts with the gold labels."""
    from sklearn.metrics import (
        cohen_kappa_score,
        confusion_matrix,
        precision_recall_fscore_support,
    )

    if len(gold) != len(judged):
        raise EvalError(f"judge {name!r} returned {len(judged)} verdicts for {len(gold)} responses")
    y = [g.label for g in gold]
    p = [j.label for j in judged]
    present = sorted(set(y))
    labels = tuple(sorted(set(y) | set(p)))
    prec, rec, f1, support = precision_recall_fscore_support(
        y, p, labels=list(labels), zero_division=0
    )
    classes = {
        label: ClassScore(float(prec[i]), float(rec[i]), float(f1[i]), int(support[i]))
        for i, label in enumerate(labels)
    }
    macro = math.fsum(classes[c].f1 for c in present) / len(present)
    rc = [(a, b) for a, b in zip(y, p, strict=True) if a in ("refuse", "comply")]
    by_behavior: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for g, label in zip(gold, p, strict=True):
        by_behavior[g.question.behavior] += 1
        right[g.question.behavior] += g.label == label
    return CheckReport(
        judge=name,
        total=len(y),
        accuracy=sum(a == b for a, b in zip(y, p, strict=True)) / len(y),
        macro_f1=macro,
        kappa=float(cohen_kappa_score(y, p)) if len(set(y) | set(p)) > 1 else 1.0,
        abstention=p.count(UNCLASSIFIED) / len(p),
        gold_unclassified=y.count(UNCLASSIFIED) / len(y),
        refuse_vs_comply=sum(a == b for a, b in rc) / len(rc) if rc else None,
        refuse_vs_comply_n=len(rc),
        classes=classes,
        labels=labels,
        confusion=tuple(
            tuple(int(x) for x in row) for row in confusion_matrix(y, p, labels=list(labels))
        ),
        per_behavior={b: right[b] / n for b, n in sorted(by_behavior.items())},
        errors=tuple(
            (g.id, g.label, label) for g, label in zip(gold, p, strict=True) if g.label != label
        ),
        seconds=seconds,
    )


def check(judge: Judge, gold: Sequence[Labelled]) -> tuple[CheckReport, list[Judged]]:
    """Run ``judge`` on the labelled responses and score it."""
    before = judge.model_seconds
    judged = judge.judge([g.question for g in gold])
    return score(judge.name, gold, judged, judge.model_seconds - before), judged


def spec_outcomes(path: Path) -> dict[str, tuple[Outcome, ...]]:
    """Each behavior's outcomes in a compiled spec."""
    from policykit.spec.reader import read_spec

    spec = read_spec(path)
    return {
        b.id: tuple(
            Outcome(id=o, description=v.description, exemplars=tuple(v.exemplars))
            for o, v in sorted(b.outcomes.items())
        )
        for b in spec.behaviors
    }


def catalog_outcomes(name: str) -> dict[str, tuple[Outcome, ...]]:
    """Each behavior's outcomes in a catalog file (a path, or a ``std:`` entry), read
    with the same safe reader as ``validate``; its includes are not followed."""
    from pydantic import ValidationError

    from policykit.diagnostics import PolicykitError
    from policykit.load.project import STD_PREFIX, std_root
    from policykit.load.reader import read_file
    from policykit.schema.models import Catalog

    path = std_root() / name[len(STD_PREFIX) :] if name.startswith(STD_PREFIX) else Path(name)
    try:
        doc = read_file(path, name)
        catalog = Catalog.model_validate(doc.data)
    except OSError as exc:
        raise EvalError(f"{name}: cannot read the catalog: {exc.strerror or exc}") from None
    except PolicykitError as exc:
        raise EvalError(str(exc)) from None
    except ValidationError as exc:
        raise EvalError(
            f"{name}: not a valid catalog ({exc.error_count()} problems; "
            f"run policykit validate on a project that includes it)"
        ) from None
    return {
        b.id: tuple(
            Outcome(id=o, description=v.description, exemplars=tuple(v.exemplars))
            for o, v in sorted(b.outcomes.items())
        )
        for b in catalog.behaviors
    }
