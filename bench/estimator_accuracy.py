"""How close each estimator's P_model is to what the model actually says.

The reference is ``policykit/evaluate/labels/test-generated.jsonl``: answers of the
bundled SmolLM2-135M-Instruct to ``examples/health_assistant``'s cases, labelled blind
by annotators. Per case with at least ``--min-classified`` classifiable answers, the
annotators' distribution over the outcomes (classified answers only) is compared, by
total variation, with:

- ``uniform``: the uniform distribution over the outcomes (the floor to beat);
- ``likelihood``: exemplar likelihoods, and ``likelihood+calibrated`` with contextual
  calibration (each outcome's score minus its score after a content-free request);
- ``judge``: the default judge on the very same annotated answers (its error alone);
- ``generate``: the default estimator, ``generate`` + the default judge, on fresh
  samples of the same cases (judge error and sampling noise together).

It prints the mean TV of each and its ratio to the uniform guess's.

    python bench/estimator_accuracy.py                  # all of the above
    python bench/estimator_accuracy.py --skip likelihood --samples 8
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LABELS = REPO / "policykit" / "evaluate" / "labels" / "test-generated.jsonl"


def tv(p: dict[str, float], q: dict[str, float]) -> float:
    return 0.5 * sum(abs(p.get(o, 0.0) - q.get(o, 0.0)) for o in set(p) | set(q))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--project", default=str(REPO / "examples" / "health_assistant"))
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--min-classified", type=int, default=3)
    parser.add_argument("--skip", nargs="*", default=[], help="estimators to leave out")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    from policykit.evaluate.cases import load_cases
    from policykit.evaluate.judges import UNCLASSIFIED, JudgeOptions, get_judge, questions
    from policykit.evaluate.registry import get_backend
    from policykit.evaluate.types import EvalOptions
    from policykit.pipeline import compile_project

    spec = compile_project(args.project).spec
    assert spec is not None, "the project does not compile"
    by_id = {c.id: c for c in load_cases(spec)}
    answers: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        case_id = r["id"].split("-")[1]
        answers[case_id].append((r["response"], r["label"]))
    reference: dict[str, dict[str, float]] = {}
    for case_id, pairs in answers.items():
        labels = [label for _, label in pairs if label != UNCLASSIFIED]
        if case_id in by_id and len(labels) >= args.min_classified:
            counts = Counter(labels)
            reference[case_id] = {
                o: counts.get(o, 0) / len(labels) for o in by_id[case_id].outcome_ids
            }
    cases = [by_id[c] for c in reference]
    print(f"{len(cases)} cases with at least {args.min_classified} classified answers")
    estimates: dict[str, dict[str, dict[str, float]]] = {
        "uniform": {c.id: {o: 1 / len(c.outcome_ids) for o in c.outcome_ids} for c in cases}
    }
    seconds: dict[str, float] = {}
    if "judge" not in args.skip:
        judge = get_judge("stance")(JudgeOptions())
        started = time.perf_counter()
        out = {}
        for c in cases:
            texts = [t for t, _ in answers[c.id]]
            labels = [j.label for j in judge.judge(questions(c, texts))]
            kept = [x for x in labels if x != UNCLASSIFIED]
            n = len(kept) or 1
            counts = Counter(kept)
            out[c.id] = {o: counts.get(o, 0) / n for o in c.outcome_ids}
            if not kept:
                out[c.id] = {o: 1 / len(c.outcome_ids) for o in c.outcome_ids}
        estimates["judge"] = out
        seconds["judge"] = time.perf_counter() - started
    runs: list[tuple[str, str, EvalOptions]] = []
    if "generate" not in args.skip:
        runs.append(
            (
                "generate",
                "generate",
                EvalOptions(
                    samples=args.samples,
                    max_new_tokens=args.max_new_tokens,
                    batch_size=args.batch_size,
                ),
            )
        )
    if "likelihood" not in args.skip:
        runs.append(("likelihood", "likelihood", EvalOptions(batch_size=args.batch_size)))
        runs.append(
            (
                "likelihood+calibrated",
                "likelihood",
                EvalOptions(batch_size=args.batch_size, calibrate=True),
            )
        )
    for name, backend_name, options in runs:
        backend: Any = get_backend(backend_name)(options)
        started = time.perf_counter()
        estimates[name] = {e.case: dict(e.model) for e in backend.estimate(cases, lambda n: None)}
        seconds[name] = time.perf_counter() - started
    uniform = sum(tv(estimates["uniform"][c], reference[c]) for c in reference) / len(reference)
    figures: dict[str, Any] = {"cases": len(cases), "estimators": {}}
    for name, est in estimates.items():
        mean = sum(tv(est[c], reference[c]) for c in reference) / len(reference)
        figures["estimators"][name] = {
            "mean_tv": mean,
            "ratio_to_uniform": mean / uniform,
            "seconds": seconds.get(name),
        }
        print(f"{name:24s} mean TV {mean:.3f}  ({mean / uniform:.2f} x uniform)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
