"""The ``generate`` backend: sample k completions per case and classify them.

Each case's prompt (chat template, or plain text for a model without one) is sampled
``samples`` times at ``temperature`` (top-p and top-k off, so the samples follow the
model's own distribution), ``max_new_tokens`` at most. Sampling is seeded: the generator
is reseeded with ``seed`` and the batch's position before every batch, so the same
cases, seed and batch size give the same responses. The responses are labeled by the
embedding classifier and summarized by :mod:`policykit.evaluate.sampling`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from policykit.evaluate.backend import Estimate, EvalOptions, Progress
from policykit.evaluate.cases import Case
from policykit.evaluate.classifier import EmbeddingClassifier, minilm_embedder
from policykit.evaluate.errors import EvalError, require_torch
from policykit.evaluate.likelihood import prompt_format
from policykit.evaluate.sampling import summarize


class GenerateBackend:
    name = "generate"

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        classifier: EmbeddingClassifier,
        *,
        model_name: str,
        device: str,
        options: EvalOptions,
        load_seconds: float = 0.0,
    ) -> None:
        if options.samples < 1:
            raise EvalError("--samples must be at least 1")
        self.model = model
        self.tokenizer = tokenizer
        self.classifier = classifier
        self.model_name = model_name
        self.device = device
        self.options = options
        self.format = prompt_format(tokenizer, options.prompt)
        self.load_seconds = load_seconds
        self._generate_seconds = 0.0

    @property
    def model_seconds(self) -> float:
        return self._generate_seconds + self.classifier.model_seconds

    @property
    def prompt_format(self) -> str:
        return self.format

    def prompt_text(self, case: Case) -> str:
        if self.format == "chat":
            return str(
                self.tokenizer.apply_chat_template(
                    [{"role": r, "content": c} for r, c in case.messages],
                    tokenize=False,
                    add_generation_prompt=True,
                )
            )
        return case.completion_prompt

    def sample(self, cases: Sequence[Case], batch_index: int) -> list[list[str]]:
        import torch

        opts = self.options
        tok = self.tokenizer
        old_side = tok.padding_side
        tok.padding_side = "left"
        try:
            enc = tok(
                [self.prompt_text(c) for c in cases],
                return_tensors="pt",
                padding=True,
                add_special_tokens=self.format == "plain",
            ).to(self.model.device)
        finally:
            tok.padding_side = old_side
        torch.manual_seed(opts.seed * 1_000_003 + batch_index)
        started = time.perf_counter()
        with torch.inference_mode():
            out = self.model.generate(
                **enc,
                do_sample=True,
                temperature=opts.temperature,
                top_p=1.0,
                top_k=0,
                max_new_tokens=opts.max_new_tokens,
                num_return_sequences=opts.samples,
                pad_token_id=tok.pad_token_id,
            )
        self._generate_seconds += time.perf_counter() - started
        texts = tok.batch_decode(out[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
        k = opts.samples
        return [[t.strip() for t in texts[i * k : (i + 1) * k]] for i in range(len(cases))]

    def estimate(self, cases: Sequence[Case], progress: Progress) -> list[Estimate]:
        size = max(1, self.options.batch_size)
        estimates = []
        for index, start in enumerate(range(0, len(cases), size)):
            batch = cases[start : start + size]
            for case, texts in zip(batch, self.sample(batch, index), strict=True):
                labeled = self.classifier.classify(case, texts)
                model, summary = summarize(case, labeled, seed=self.options.seed)
                estimates.append(Estimate(case=case.id, model=model, sample=summary))
            progress(len(batch))
        return estimates


def create(options: EvalOptions) -> GenerateBackend:
    from policykit.evaluate.models import load_causal_lm, resolve_model

    require_torch()
    loaded = load_causal_lm(resolve_model(options.model), options.device)
    classifier = EmbeddingClassifier(
        minilm_embedder(options.classifier, loaded.device), options.threshold
    )
    return GenerateBackend(
        loaded.model,
        loaded.tokenizer,
        classifier,
        model_name=loaded.name,
        device=loaded.device,
        options=options,
        load_seconds=loaded.load_seconds,
    )
