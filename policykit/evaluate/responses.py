"""The ``responses`` backend: judge responses that were generated elsewhere.

Any system can be measured, API-only models included: generate a response (or
several) for each case of ``policykit export SPEC --to jsonl``, write one JSON object
per line, ``{"id": "<case id>", "response": "<text>"}``, and pass the file with
``--responses``; or pass the log of an Inspect run, or the output of a promptfoo run,
of the exported task (:mod:`policykit.evaluate.imports`). Several responses with the
same id are several samples of that case. Cases without a response are left out of the
results (and counted); responses whose id is not among the evaluated cases are ignored
(and counted).
"""

from __future__ import annotations

from collections.abc import Sequence

from policykit.evaluate.cases import Case
from policykit.evaluate.errors import EvalError
from policykit.evaluate.imports import read_any
from policykit.evaluate.judges import Judge
from policykit.evaluate.sampling import judge_estimates
from policykit.evaluate.types import Batch, Estimate, EvalOptions, Progress, judge_for

JUDGE_CHUNK = 64
"""Cases whose responses are judged together (the judge batches its model calls)."""


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
        format: str = "jsonl",
    ) -> None:
        self.responses = responses
        self.judge = judge
        self.model_name = source
        self.seed = seed
        self.format = format
        self.missing = 0
        self.ignored = 0
        self.failed = 0
        """Samples the producing tool recorded without a response."""

    @property
    def model_seconds(self) -> float:
        return self.judge.model_seconds

    def settings(self) -> dict[str, str | int | float | bool | None]:
        return {
            "responses_format": self.format,
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
        raise EvalError(
            "the responses backend needs a file of responses (JSONL of id and response, "
            "an Inspect log or promptfoo output)",
            subject="responses",
        )
    imported = read_any(options.responses)
    device = "cpu" if options.device == "auto" else options.device
    backend = ResponsesBackend(
        imported.responses,
        judge_for(options, device),
        source=str(options.responses),
        seed=options.seed,
        format=imported.format,
    )
    backend.failed = imported.failed
    return backend
