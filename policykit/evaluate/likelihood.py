"""The ``likelihood`` backend: ``P_model`` from the log-likelihood of each exemplar.

For each case the prompt (the chat template applied to the case's messages, or the
plain ``User:``/``Assistant:`` text) is tokenized once, and every exemplar of every
outcome is tokenized as its continuation the way lm-evaluation-harness does it (the
whole text is encoded and the prompt's tokens cut off), so both score the same tokens.

The forward passes are batched and each prompt is computed once. Cases are sorted by
their prompt tokens and taken ``batch_size`` at a time; for each batch:

1. **Shared prefix.** The tokens every prompt of the batch starts with (the deployment's
   system message, often the whole context line too) go through the model once, as one
   row; only the key/value cache is kept (``logits_to_keep=1`` skips the vocabulary
   projection).
2. **Prompt remainders.** The rest of each prompt but its last token, right-padded, one
   row per case, runs on copies of that cache; again only the cache is kept.
3. **Continuations.** Every exemplar of the batch's cases becomes one row: the prompt's
   last token followed by the exemplar's tokens. The rows are sorted by length and split
   into passes of at most ``4 * batch_size`` rows; each row gets its case's cache (the
   cache rows gathered by case), an attention mask over the case's real prompt tokens
   and its own, and position ids that continue the case's prompt. The log-softmax at
   each position gives the log-probability of the next exemplar token.

A case with ``n`` exemplars of ``c`` tokens and a prompt of ``L`` tokens costs at most
``L + n (c + 1)`` token positions (less the shared prefix) instead of the ``n (L + c)``
of scoring each continuation with its prompt; the scores are the same (see
``tests/evaluate/test_lm_eval_parity.py``). :mod:`policykit.evaluate.scoring` turns
them into ``P_model``.
"""

from __future__ import annotations

import copy
import inspect
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from policykit.evaluate.cases import Case, prompt_text
from policykit.evaluate.errors import EvalError, require_torch
from policykit.evaluate.scoring import ExemplarScore, Normalize, outcome_scores, softmax
from policykit.evaluate.types import Batch, Estimate, EvalOptions, Progress, PromptFormat


@dataclass(frozen=True, slots=True)
class Encoded:
    prompt: tuple[int, ...]
    continuations: tuple[tuple[int, ...], ...]
    """Every exemplar of every outcome, outcomes in the case's order."""
    owners: tuple[str, ...]
    """The outcome of each continuation."""


def prompt_format(tokenizer: Any, requested: PromptFormat) -> PromptFormat:
    if requested != "auto":
        if requested == "chat" and not getattr(tokenizer, "chat_template", None):
            raise EvalError("chat: the model's tokenizer has no chat template", subject="prompt")
        return requested
    return "chat" if getattr(tokenizer, "chat_template", None) else "plain"


class LikelihoodScorer:
    """Log-likelihoods of continuations, with each prompt computed once."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        batch_size: int = 8,
        prompt: PromptFormat = "auto",
    ) -> None:
        require_torch()
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = max(1, batch_size)
        self.format = prompt_format(tokenizer, prompt)
        self.model_seconds = 0.0
        self._keep_logits = True
        self._cache_name: str | None = None
        max_positions = getattr(model.config, "max_position_embeddings", None)
        self.max_length = int(max_positions) if max_positions else None

    # ---- tokenization -------------------------------------------------------------

    def prompt_text(self, case: Case) -> str:
        return prompt_text(case, self.tokenizer, self.format)

    def continuation_text(self, exemplar: str) -> str:
        # lm-eval's multiple_choice joins prompt and choice with a space
        return exemplar if self.format == "chat" else " " + exemplar

    def encode_text(self, text: str) -> list[int]:
        if self.format == "chat":
            # the template writes every special token, BOS included, as text
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        else:
            bos = getattr(self.tokenizer, "bos_token", None)
            add = not (bos and text.startswith(bos))
            ids = self.tokenizer(text, add_special_tokens=add)["input_ids"]
        return list(ids)

    def encode_pair(self, context: str, continuation: str) -> tuple[list[int], list[int]]:
        """(context tokens, continuation tokens), as lm-evaluation-harness splits them:
        trailing whitespace of the context moves to the continuation, the whole text is
        encoded, and the context's token count is cut off its front."""
        spaces = len(context) - len(context.rstrip())
        if spaces and self.format == "plain":
            continuation = context[-spaces:] + continuation
            context = context[:-spaces]
        context_ids = self.encode_text(context)
        whole = self.encode_text(context + continuation)
        return context_ids, whole[len(context_ids) :]

    def encode(self, case: Case) -> Encoded:
        context = self.prompt_text(case)
        prompt: list[int] | None = None
        continuations = []
        owners = []
        for outcome in case.outcomes:
            for exemplar in outcome.exemplars:
                ctx, cont = self.encode_pair(context, self.continuation_text(exemplar))
                if not cont:
                    raise EvalError(
                        f"case {case.id} ({case.behavior}): an exemplar of {outcome.id!r} "
                        "has no tokens"
                    )
                prompt = ctx if prompt is None else prompt
                continuations.append(tuple(cont))
                owners.append(outcome.id)
        if prompt is None:
            raise EvalError(f"case {case.id} ({case.behavior}): no exemplar to score")
        if not prompt:
            raise EvalError(f"case {case.id} ({case.behavior}): the prompt has no tokens")
        if self.max_length:
            longest = max(len(c) for c in continuations)
            if len(prompt) + longest > self.max_length:
                # keep the end of the prompt, as lm-eval does
                prompt = prompt[-(self.max_length - longest) :]
        return Encoded(tuple(prompt), tuple(continuations), tuple(owners))

    # ---- scoring ------------------------------------------------------------------

    def score(
        self, encoded: Sequence[Encoded], progress: Progress | None = None
    ) -> list[list[ExemplarScore]]:
        """Per encoded case, the log-likelihood of each continuation."""
        out: list[list[ExemplarScore]] = [[] for _ in encoded]
        for chunk in self.plan(encoded):
            for i, scores in self.score_chunk(encoded, chunk).items():
                out[i] = scores
            if progress is not None:
                progress(len(chunk))
        return out

    def plan(self, encoded: Sequence[Encoded]) -> list[list[int]]:
        """The batches, as positions in ``encoded``: sorted by prompt tokens, a batch
        holds cases that share the longest prefixes (the same system message, the same
        context), which are computed once."""
        order = sorted(range(len(encoded)), key=lambda i: (encoded[i].prompt, i))
        size = self.batch_size
        return [order[start : start + size] for start in range(0, len(order), size)]

    def score_chunk(
        self, encoded: Mapping[int, Encoded] | Sequence[Encoded], chunk: Sequence[int]
    ) -> dict[int, list[ExemplarScore]]:
        """The scores of one batch of the plan, by position."""
        out: dict[int, list[ExemplarScore]] = {}
        with_prefix = [i for i in chunk if len(encoded[i].prompt) > 1]
        without = [i for i in chunk if len(encoded[i].prompt) == 1]
        for group in (with_prefix, without):
            if group:
                for i, scores in zip(
                    group, self._score_batch([encoded[i] for i in group]), strict=True
                ):
                    out[i] = scores
        return out

    def _forward(self, **kwargs: Any) -> Any:
        cache = kwargs.pop("cache", None)
        if cache is not None:
            kwargs[self._cache_arg] = cache
        started = time.perf_counter()
        try:
            return self.model(**kwargs)
        finally:
            self.model_seconds += time.perf_counter() - started

    def _prompt_pass(self, **kwargs: Any) -> Any:
        """The key/value cache of a prompt pass (no logits are needed from it)."""
        if self._keep_logits:
            try:
                out = self._forward(**kwargs, use_cache=True, logits_to_keep=1)
                return _output_cache(out)
            except TypeError:  # an older architecture without logits_to_keep
                self._keep_logits = False
        return _output_cache(self._forward(**kwargs, use_cache=True))

    def _score_batch(self, batch: Sequence[Encoded]) -> list[list[ExemplarScore]]:
        """Three kinds of pass: the batch's common prompt prefix (one row), the rest of
        each prompt but its last token (one row per case, on the prefix's cache), and
        the continuations (one row per exemplar, on its case's cache), which are sorted
        by length and split so that little of a pass is padding."""
        import torch

        device = self.model.device
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        heads = [e.prompt[:-1] for e in batch]
        shared = _common_prefix(heads)
        rest = [h[shared:] for h in heads]
        width = max(len(r) for r in rest)
        n = len(batch)
        cache = None
        with torch.inference_mode():
            if shared:
                ids = torch.tensor([heads[0][:shared]], device=device)
                cache = self._prompt_pass(input_ids=ids)
            prompt_mask = torch.ones((n, shared + width), dtype=torch.long)
            if width:
                ids = torch.full((n, width), pad, dtype=torch.long)
                for row, part_ids in enumerate(rest):
                    ids[row, : len(part_ids)] = torch.tensor(part_ids, dtype=torch.long)
                    prompt_mask[row, shared + len(part_ids) :] = 0
                kwargs: dict[str, Any] = {
                    "input_ids": ids.to(device),
                    "attention_mask": prompt_mask.to(device),
                    "position_ids": (shared + torch.arange(width)).expand(n, -1).to(device),
                }
                if cache is not None:
                    kwargs["cache"] = _select_rows(cache, torch.zeros(n, dtype=torch.long))
                cache = self._prompt_pass(**kwargs)
            elif cache is not None:
                cache = _select_rows(cache, torch.zeros(n, dtype=torch.long))
            prompt_mask = prompt_mask.to(device)

            rows = [
                (b, (e.prompt[-1], *cont)) for b, e in enumerate(batch) for cont in e.continuations
            ]
            order = sorted(range(len(rows)), key=lambda i: len(rows[i][1]))
            passes = -(-len(rows) // (4 * self.batch_size))
            size = -(-len(rows) // passes)
            sums: dict[int, float] = {}
            for start in range(0, len(order), size):
                part = order[start : start + size]
                totals = self._continuations(
                    [rows[i] for i in part], [len(h) for h in heads], cache, prompt_mask, pad
                )
                sums.update(zip(part, totals, strict=True))

        out: list[list[ExemplarScore]] = [[] for _ in batch]
        for i, (b, tokens) in enumerate(rows):
            out[b].append(ExemplarScore(logprob=sums[i], tokens=len(tokens) - 1))
        return out

    def _continuations(
        self,
        rows: Sequence[tuple[int, tuple[int, ...]]],
        prefix_lengths: Sequence[int],
        cache: Any,
        prompt_mask: Any,
        pad: int,
    ) -> list[float]:
        import torch

        device = self.model.device
        length = max(len(tokens) for _, tokens in rows)
        ids = torch.full((len(rows), length), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), length), dtype=torch.long)
        for r, (_, tokens) in enumerate(rows):
            ids[r, : len(tokens)] = torch.tensor(tokens, dtype=torch.long)
            mask[r, : len(tokens)] = 1
        owners = torch.tensor([b for b, _ in rows], dtype=torch.long)
        starts = torch.tensor(prefix_lengths, dtype=torch.long)[owners]
        ids, mask, index = ids.to(device), mask.to(device), owners.to(device)
        kwargs: dict[str, Any] = {
            "input_ids": ids,
            "position_ids": (starts.unsqueeze(1) + torch.arange(length)).to(device),
        }
        if cache is not None:
            kwargs["cache"] = _select_rows(cache, index)
            kwargs["attention_mask"] = torch.cat([prompt_mask[index], mask], dim=1)
        else:
            kwargs["attention_mask"] = mask
        logits = self._forward(**kwargs, use_cache=True).logits
        # log-softmax only where a continuation token is predicted, not on padding; in
        # at least float32, and token log-probabilities summed in float64
        valid = mask[:, 1:].bool()
        picked = logits[:, :-1][valid]
        if picked.dtype in (torch.float16, torch.bfloat16):
            picked = picked.float()
        targets = ids[:, 1:][valid]
        token_lp = torch.log_softmax(picked, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        rows_of = torch.arange(len(rows), device=device).unsqueeze(1).expand_as(valid)[valid]
        sums = torch.zeros(len(rows), dtype=torch.float64, device=device)
        sums.index_add_(0, rows_of, token_lp.double())
        return [float(x) for x in sums.tolist()]

    @property
    def _cache_arg(self) -> str:
        if self._cache_name is None:
            params = inspect.signature(type(self.model).forward).parameters
            self._cache_name = "cache" if "cache" in params else "past_key_values"
        return self._cache_name


def _common_prefix(seqs: Sequence[tuple[int, ...]]) -> int:
    first = seqs[0]
    n = min(len(s) for s in seqs)
    for i in range(n):
        token = first[i]
        if any(s[i] != token for s in seqs):
            return i
    return n


def _output_cache(out: Any) -> Any:
    cache = out.get("cache") if hasattr(out, "get") else None
    return cache if cache is not None else out.past_key_values


def _select_rows(cache: Any, index: Any) -> Any:
    """A copy of ``cache`` with batch rows ``index`` (repeats allowed); the original is
    left as it was. ``batch_select_indices`` rebinds each layer's tensors, so shallow
    copies of the cache and its layers are enough."""
    selected = copy.copy(cache)
    layers = getattr(cache, "layers", None)
    if layers is not None:
        selected.layers = [copy.copy(layer) for layer in layers]
        selected.batch_select_indices(index)
        return selected
    if isinstance(cache, tuple):  # the legacy tuple-of-tuples format
        return tuple(tuple(t[index] for t in layer) for layer in cache)
    raise EvalError(f"cannot reuse a {type(cache).__name__} prompt cache")


class LikelihoodBackend:
    name = "likelihood"

    def __init__(
        self,
        scorer: LikelihoodScorer,
        *,
        model_name: str,
        device: str,
        normalize: Normalize = "mean",
        calibrate: bool = False,
        load_seconds: float = 0.0,
    ) -> None:
        self.scorer = scorer
        self.load_seconds = load_seconds
        self.model_name = model_name
        self.device = device
        self.normalize: Normalize = normalize
        self.calibrate = calibrate

    @property
    def model_seconds(self) -> float:
        return self.scorer.model_seconds

    @property
    def prompt_format(self) -> str:
        return self.scorer.format

    def settings(self) -> dict[str, str | int | float | bool | None]:
        return {
            "prompt": self.scorer.format,
            "normalize": self.normalize,
            "calibrate": self.calibrate,
        }

    def _outcome_scores(
        self, cases: Sequence[Case], progress: Progress
    ) -> list[tuple[dict[str, list[ExemplarScore]], dict[str, float]]]:
        encoded = [self.scorer.encode(c) for c in cases]
        scored = self.scorer.score(encoded, progress)
        return [self._per_outcome(c, e, s) for c, e, s in zip(cases, encoded, scored, strict=True)]

    def _per_outcome(
        self, case: Case, enc: Encoded, scores: Sequence[ExemplarScore]
    ) -> tuple[dict[str, list[ExemplarScore]], dict[str, float]]:
        per_outcome: dict[str, list[ExemplarScore]] = {o: [] for o in case.outcome_ids}
        for owner, s in zip(enc.owners, scores, strict=True):
            per_outcome[owner].append(s)
        return per_outcome, outcome_scores(per_outcome, self.normalize)

    def plan(self, cases: Sequence[Case]) -> list[Batch]:
        if self.calibrate:
            raise EvalError(
                "calibration scores content-free requests over all the cases at once, "
                "which shards on a Ray cluster cannot do",
                subject="calibrate",
            )
        chunks = self.scorer.plan([self.scorer.encode(c) for c in cases])
        return [Batch(index, tuple(chunk)) for index, chunk in enumerate(chunks)]

    def estimate_batch(self, cases: Sequence[Case], batch: Batch) -> list[Estimate]:
        encoded = {i: self.scorer.encode(cases[i]) for i in batch.members}
        scores = self.scorer.score_chunk(encoded, batch.members)
        return [
            self._estimate(cases[i], *self._per_outcome(cases[i], encoded[i], scores[i]), None)
            for i in batch.members
        ]

    def _estimate(
        self,
        case: Case,
        per_outcome: dict[str, list[ExemplarScore]],
        raw: dict[str, float],
        base: dict[str, float] | None,
    ) -> Estimate:
        scores = raw if base is None else {o: raw[o] - base[o] for o in raw}
        return Estimate(
            case=case.id,
            model=softmax(scores),
            exemplars={o: tuple(v) for o, v in per_outcome.items()},
            scores=scores,
        )

    def estimate(self, cases: Sequence[Case], progress: Progress) -> list[Estimate]:
        scored = self._outcome_scores(cases, progress)
        baseline: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, float]] = {}
        if self.calibrate:
            free = {content_free_key(c): content_free(c) for c in cases}
            for key, (_, s) in zip(
                free, self._outcome_scores(list(free.values()), lambda n: None), strict=True
            ):
                baseline[key] = s
        return [
            self._estimate(
                case, per_outcome, raw, baseline[content_free_key(case)] if self.calibrate else None
            )
            for case, (per_outcome, raw) in zip(cases, scored, strict=True)
        ]


CONTENT_FREE = "N/A"
"""The content-free request of contextual calibration (Zhao et al. 2021)."""


def content_free(case: Case) -> Case:
    """The case with its user request replaced by a content-free one: the same
    deployment, context and outcomes, nothing asked."""
    messages = tuple((r, CONTENT_FREE if r == "user" else c) for r, c in case.messages)
    prompt = case.completion_prompt
    user = next((c for r, c in case.messages if r == "user"), None)
    if user:
        prompt = prompt.replace(user, CONTENT_FREE)
    return replace(case, id=f"{case.id}:content-free", messages=messages, completion_prompt=prompt)


def content_free_key(case: Case) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Cases of one behavior with the same system message share a content-free score."""
    return case.behavior, tuple((r, c) for r, c in case.messages if r != "user")


def create(options: EvalOptions) -> LikelihoodBackend:
    from policykit.evaluate.models import load_causal_lm, resolve_model

    require_torch()
    loaded = load_causal_lm(resolve_model(options.model), options.device)
    scorer = LikelihoodScorer(
        loaded.model, loaded.tokenizer, batch_size=options.batch_size, prompt=options.prompt
    )
    return LikelihoodBackend(
        scorer,
        model_name=loaded.name,
        device=loaded.device,
        normalize=options.normalize,
        calibrate=options.calibrate,
        load_seconds=loaded.load_seconds,
    )
