"""The ``generate`` backend: sample k completions per case and judge them.

Each case's prompt (chat template, or plain text for a model without one) is sampled
``samples`` times, ``max_new_tokens`` at most, with the deployment's decoding settings:
the temperature and top-p given on the command line, else the model's own generation
config, else :data:`~policykit.evaluate.types.FALLBACK_DECODING`; what was used, and
where it came from, is recorded in results.json.

Generation is batched: the cases of a batch are left-padded into one ``generate`` call
with ``num_return_sequences = samples``, so each prompt is prefilled once for all its
samples. Sampling is seeded: the generator is reseeded with ``seed`` and the batch's
position before every batch, so the same cases, seed and batch size give the same
responses. The responses are labeled by the judge (``--judge``, default ``stance``) and
summarized by :mod:`policykit.evaluate.sampling`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policykit.evaluate.cases import Case, prompt_text
from policykit.evaluate.errors import EvalError, require_torch
from policykit.evaluate.judges import Judge
from policykit.evaluate.likelihood import prompt_format
from policykit.evaluate.sampling import judge_estimates
from policykit.evaluate.types import (
    FALLBACK_DECODING,
    Batch,
    Estimate,
    EvalOptions,
    Progress,
    judge_for,
)


@dataclass(frozen=True, slots=True)
class Decoding:
    temperature: float
    top_p: float
    max_new_tokens: int
    samples: int
    source: str
    """Where temperature and top-p came from: options, generation_config or fallback,
    as ``temperature's+top-p's`` when they differ (``options+fallback``)."""

    def as_options(self) -> dict[str, str | int | float]:
        return {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_new_tokens": self.max_new_tokens,
            "samples": self.samples,
            "decoding_source": self.source,
        }


def decoding(options: EvalOptions, config: Any) -> Decoding:
    """The sampling settings: the options where given, else the model's generation
    config where it sets sampling, else the fallback."""
    own: Mapping[str, float] = {}
    if config is not None and getattr(config, "do_sample", False):
        own = {
            k: float(v)
            for k in ("temperature", "top_p")
            if (v := getattr(config, k, None)) is not None
        }
    given = {
        k: v
        for k, v in (("temperature", options.temperature), ("top_p", options.top_p))
        if v is not None
    }
    merged = {**FALLBACK_DECODING, **own, **given}
    # where each setting came from, in the order the two are listed
    sources = [
        "options" if k in given else "generation_config" if k in own else "fallback"
        for k in ("temperature", "top_p")
    ]
    source = "+".join(dict.fromkeys(sources))
    return Decoding(
        temperature=float(merged["temperature"]),
        top_p=float(merged["top_p"]),
        max_new_tokens=options.max_new_tokens,
        samples=options.samples,
        source=source,
    )


class GenerateBackend:
    name = "generate"

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        judge: Judge,
        *,
        model_name: str,
        device: str,
        options: EvalOptions,
        load_seconds: float = 0.0,
    ) -> None:
        if options.samples < 1:
            raise EvalError("must be at least 1", subject="samples")
        self.model = model
        self.tokenizer = tokenizer
        self.judge = judge
        self.model_name = model_name
        self.device = device
        self.options = options
        self.decoding = decoding(options, getattr(model, "generation_config", None))
        self.format = prompt_format(tokenizer, options.prompt)
        self.load_seconds = load_seconds
        self.generate_seconds = 0.0
        self.generated_tokens = 0

    @property
    def model_seconds(self) -> float:
        return self.generate_seconds + self.judge.model_seconds

    @property
    def prompt_format(self) -> str:
        return self.format

    def settings(self) -> dict[str, str | int | float | bool | None]:
        return {
            **self.decoding.as_options(),
            "prompt": self.format,
            "judge": self.judge.name,
            **{f"judge_{k}": v for k, v in self.judge.describe().items()},
        }

    def prompt_text(self, case: Case) -> str:
        return prompt_text(case, self.tokenizer, self.format)

    def sample(self, cases: Sequence[Case], batch_index: int) -> list[list[str]]:
        import torch

        d = self.decoding
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
        torch.manual_seed(self.options.seed * 1_000_003 + batch_index)
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        started = time.perf_counter()
        with torch.inference_mode():
            out = self.model.generate(
                **enc,
                do_sample=True,
                temperature=d.temperature,
                top_p=d.top_p,
                top_k=0,
                max_new_tokens=d.max_new_tokens,
                num_return_sequences=d.samples,
                pad_token_id=pad,
            )
        self.generate_seconds += time.perf_counter() - started
        new = out[:, enc["input_ids"].shape[1] :]
        self.generated_tokens += int((new != pad).sum())
        texts = tok.batch_decode(new, skip_special_tokens=True)
        k = d.samples
        return [[t.strip() for t in texts[i * k : (i + 1) * k]] for i in range(len(cases))]

    def plan(self, cases: Sequence[Case]) -> list[Batch]:
        size = max(1, self.options.batch_size)
        return [
            Batch(index, tuple(range(start, min(start + size, len(cases)))))
            for index, start in enumerate(range(0, len(cases), size))
        ]

    def estimate_batch(self, cases: Sequence[Case], batch: Batch) -> list[Estimate]:
        members = [cases[i] for i in batch.members]
        samples = self.sample(members, batch.index)
        return judge_estimates(self.judge, members, samples, seed=self.options.seed)

    def estimate(self, cases: Sequence[Case], progress: Progress) -> list[Estimate]:
        estimates = []
        for batch in self.plan(cases):
            estimates.extend(self.estimate_batch(cases, batch))
            progress(len(batch.members))
        return estimates


def create(options: EvalOptions) -> GenerateBackend:
    from policykit.evaluate.models import load_causal_lm, resolve_model

    require_torch()
    loaded = load_causal_lm(resolve_model(options.model), options.device)
    judge = judge_for(options, loaded.device)
    return GenerateBackend(
        loaded.model,
        loaded.tokenizer,
        judge,
        model_name=loaded.name,
        device=loaded.device,
        options=options,
        load_seconds=loaded.load_seconds,
    )
