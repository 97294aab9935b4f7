"""The ``responses`` backend: classify responses that were generated elsewhere.

Any system can be measured, API-only models included: generate a response (or
several) for each case of ``policykit export SPEC --to jsonl``, write one JSON object
per line, ``{"id": "<case id>", "response": "<text>"}``, and pass the file with
``--responses``. Several lines with the same id are several samples of that case.
Cases without a response are left out of the results (and counted); lines whose id
is not among the evaluated cases are ignored (and counted).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from policykit.evaluate.backend import Estimate, EvalOptions, Progress
from policykit.evaluate.cases import Case
from policykit.evaluate.classifier import EmbeddingClassifier, minilm_embedder
from policykit.evaluate.errors import EvalError
from policykit.evaluate.sampling import summarize


def read_responses(path: Path) -> dict[str, list[str]]:
    """Case id -> responses, in file order; EvalError with file:line on a bad line."""
    out: dict[str, list[str]] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalError(f"{path}: cannot read responses: {exc}") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalError(f"{path}:{number}:{exc.colno}: not JSON: {exc.msg}") from None
        if not isinstance(record, dict):
            raise EvalError(f"{path}:{number}: expected a JSON object with id and response")
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
        classifier: EmbeddingClassifier,
        *,
        source: str,
        seed: int = 0,
    ) -> None:
        self.responses = responses
        self.classifier = classifier
        self.model_name = source
        self.seed = seed
        self.missing = 0
        self.ignored = 0

    @property
    def model_seconds(self) -> float:
        return self.classifier.model_seconds

    def estimate(self, cases: Sequence[Case], progress: Progress) -> list[Estimate]:
        ids = {c.id for c in cases}
        self.ignored = sum(len(v) for k, v in self.responses.items() if k not in ids)
        estimates = []
        self.missing = 0
        for case in cases:
            texts = self.responses.get(case.id)
            if not texts:
                self.missing += 1
            else:
                labeled = self.classifier.classify(case, texts)
                model, summary = summarize(case, labeled, seed=self.seed)
                estimates.append(Estimate(case=case.id, model=model, sample=summary))
            progress(1)
        return estimates


def create(options: EvalOptions) -> ResponsesBackend:
    if options.responses is None:
        raise EvalError("the responses backend needs --responses FILE (JSONL of id, response)")
    responses = read_responses(options.responses)
    device = "cpu" if options.device == "auto" else options.device
    classifier = EmbeddingClassifier(minilm_embedder(options.classifier, device), options.threshold)
    return ResponsesBackend(responses, classifier, source=str(options.responses), seed=options.seed)
