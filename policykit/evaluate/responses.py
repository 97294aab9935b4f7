"""The ``responses`` backend: judge responses that were generated elsewhere.

Any system can be measured, API-only models included: generate a response (or
several) for each case of ``policykit export SPEC --to jsonl``, write one JSON object
per line, ``{"id": "<case id>", "response": "<text>"}``, and pass the file with
``--responses``. Several lines with the same id are several samples of that case.
Cases without a response are left out of the results (and counted); lines whose id
is not among the evaluated cases are ignored (and counted).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from policykit.evaluate.cases import Case
from policykit.evaluate.errors import EvalError, jsonl_objects
from policykit.evaluate.judges import Judge
from policykit.evaluate.sampling import judge_estimates
from policykit.evaluate.types import Batch, Estimate, EvalOptions, Progress, judge_for

JUDGE_CHUNK = 64
"""Cases whose responses are judged together (the judge batches its model calls)."""


def read_responses(path: Path) -> dict[str, list[str]]:
    """Case id -> responses, in file order; EvalError with file:line on a bad line."""
    out: dict[str, list[str]] = {}
    for number, record in jsonl_objects(path, "responses", "id and response"):
        case_id, response = record.get("id"), record.get("response")
        if not isinstance(case_id, str) or not isinstance(response, str):
            raise EvalError(
                f"{path}:{number}: 'id' and 'response' must both be strings "
                f"(got {type(case_id).__name__} and {type(response).__name__})"
            )
        out.setdefault(case_id, []).append(response)
    return out


class ResponsesBackend:
    name = "responses"
    device = "cpu"

    def __init__(
        self,
        responses: dict[str, list[str]],
        judge: Judge,
        *,
        source: str,
        seed: int = 0,
    ) -> None:
        self.responses = responses
        self.judge = judge
        self.model_name = source
        self.seed = seed
        self.missing = 0
        self.ignored = 0

    @property
    def model_seconds(self) -> float:
        return self.judge.model_seconds

    def settings(self) -> dict[str, str | int | float | bool | None]:
        return {
            "judge": self.judge.name,
            **{f"judge_{k}": v for k, v in self.judge.describe().items()},
        }

    def plan(self, cases: Sequence[Case]) -> list[Batch]:
        # judged a few hundred responses at a time: the judge batches its model calls
        answered = [i for i, c in enumerate(cases) if self.responses.get(c.id)]
        return [
            Batch(index, tuple(answered[start : start + JUDGE_CHUNK]))
            for index, start in enumerate(range(0, len(answered), JUDGE_CHUNK))
        ]

    def estimate_batch(self, cases: Sequence[Case], batch: Batch) -> list[Estimate]:
        chunk = [cases[i] for i in batch.members]
        texts = [self.responses[c.id] for c in chunk]
        return judge_estimates(self.judge, chunk, texts, seed=self.seed)

    def estimate(self, cases: Sequence[Case], progress: Progress) -> list[Estimate]:
        ids = {c.id for c in cases}
        self.ignored = sum(len(v) for k, v in self.responses.items() if k not in ids)
        plan = self.plan(cases)
        self.missing = len(cases) - sum(len(b.members) for b in plan)
        progress(self.missing)
        estimates = []
        for batch in plan:
            estimates.extend(self.estimate_batch(cases, batch))
            progress(len(batch.members))
        return estimates


def create(options: EvalOptions) -> ResponsesBackend:
    if options.responses is None:
        raise EvalError("the responses backend needs --responses FILE (JSONL of id, response)")
    responses = read_responses(options.responses)
    device = "cpu" if options.device == "auto" else options.device
    return ResponsesBackend(
        responses, judge_for(options, device), source=str(options.responses), seed=options.seed
    )
