"""The batched, prompt-cached likelihood scorer against a plain reference."""

from __future__ import annotations

import math
from typing import Any

import pytest

from policykit.evaluate.cases import Case
from policykit.evaluate.likelihood import Encoded, LikelihoodBackend, LikelihoodScorer
from policykit.evaluate.types import EvalOptions

torch = pytest.importorskip("torch")


def reference_scores(model: Any, encoded: Encoded) -> list[float]:
    """One forward pass per continuation over prompt + continuation: slow, obviously
    right."""
    out = []
    for cont in encoded.continuations:
        ids = torch.tensor([list(encoded.prompt) + list(cont)])
        with torch.inference_mode():
            logprobs = torch.log_softmax(model(input_ids=ids).logits[0].float(), dim=-1)
        start = len(encoded.prompt)
        out.append(sum(float(logprobs[start - 1 + k, t]) for k, t in enumerate(cont)))
    return out


def _mixed(cases: tuple[Case, ...], n: int = 7) -> list[Case]:
    seen: dict[str, Case] = {}
    for c in cases:
        seen.setdefault(c.behavior, c)
    return list(seen.values())[:n]


@pytest.mark.parametrize("batch_size", [1, 3, 8])
def test_cached_batched_scores_equal_one_pass_per_continuation(
    tiny: tuple[Any, Any], cases: tuple[Case, ...], batch_size: int
) -> None:
    model, tokenizer = tiny
    scorer = LikelihoodScorer(model, tokenizer, batch_size=batch_size)
    chosen = _mixed(cases)
    encoded = [scorer.encode(c) for c in chosen]
    got = scorer.score(encoded)
    for enc, scores in zip(encoded, got, strict=True):
        want = reference_scores(model, enc)
        assert [s.tokens for s in scores] == [len(c) for c in enc.continuations]
        assert [s.logprob for s in scores] == pytest.approx(want, abs=1e-4)


def test_cases_sharing_a_whole_prompt_prefix(tiny: tuple[Any, Any]) -> None:
    """Prompts where one is a prefix of another, and one of a single token."""
    model, tokenizer = tiny
    scorer = LikelihoodScorer(model, tokenizer, batch_size=4)
    encoded = [
        Encoded((5, 6, 7, 8), ((9, 10), (11,)), ("a", "b")),
        Encoded((5, 6, 7, 8, 12, 13), ((9,), (14, 15, 16)), ("a", "b")),
        Encoded((5, 6, 7, 8), ((20, 21, 22),), ("a",)),
        Encoded((5,), ((6, 7),), ("a",)),
    ]
    for enc, scores in zip(encoded, scorer.score(encoded), strict=True):
        assert [s.logprob for s in scores] == pytest.approx(reference_scores(model, enc), abs=1e-4)


def test_each_prompt_is_computed_once(tiny: tuple[Any, Any], cases: tuple[Case, ...]) -> None:
    model, tokenizer = tiny
    scorer = LikelihoodScorer(model, tokenizer, batch_size=4)
    chosen = _mixed(cases, 4)
    encoded = [scorer.encode(c) for c in chosen]
    positions = 0
    original = model.forward

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal positions
        positions += int(kwargs["input_ids"].numel())
        return original(*args, **kwargs)

    model.forward = counting
    try:
        scorer.score(encoded)
    finally:
        del model.forward
    prompts = sum(len(e.prompt) for e in encoded)
    continuations = sum(len(c) + 1 for e in encoded for c in e.continuations)
    naive = sum(len(e.prompt) + len(c) for e in encoded for c in e.continuations)
    # every prompt token at most once (padding aside), each continuation once
    longest = max(len(c) + 1 for e in encoded for c in e.continuations)
    assert positions <= prompts + sum(longest for e in encoded for _ in e.continuations)
    assert positions >= continuations
    assert positions < naive / 2


def test_backend_estimates_are_distributions(
    tiny: tuple[Any, Any], cases: tuple[Case, ...]
) -> None:
    model, tokenizer = tiny
    backend = LikelihoodBackend(
        LikelihoodScorer(model, tokenizer, batch_size=4), model_name="tiny", device="cpu"
    )
    chosen = _mixed(cases, 5)
    seen: list[int] = []
    estimates = backend.estimate(chosen, seen.append)
    assert sum(seen) == len(chosen)
    assert backend.model_seconds > 0
    for case, est in zip(chosen, estimates, strict=True):
        assert est.case == case.id
        assert set(est.model) == set(case.outcome_ids)
        assert math.fsum(est.model.values()) == pytest.approx(1.0)
        assert est.exemplars is not None
        assert [len(est.exemplars[o.id]) for o in case.outcomes] == [
            len(o.exemplars) for o in case.outcomes
        ]


def test_prompt_formats(tiny: tuple[Any, Any], cases: tuple[Case, ...]) -> None:
    model, tokenizer = tiny
    chat = LikelihoodScorer(model, tokenizer)
    assert chat.format == "chat"
    text = chat.prompt_text(cases[0])
    assert text.startswith("<|im_start|>system\n") and text.endswith("<|im_start|>assistant\n")
    plain = LikelihoodScorer(model, tokenizer, prompt="plain")
    assert plain.prompt_text(cases[0]) == cases[0].completion_prompt
    assert cases[0].completion_prompt.endswith("\nAssistant:")


def test_no_chat_template_means_plain(tiny: tuple[Any, Any], cases: tuple[Case, ...]) -> None:
    from tests.evaluate.conftest import build_tokenizer

    model, _ = tiny
    tokenizer = build_tokenizer(cases, chat_template=None)
    assert LikelihoodScorer(model, tokenizer).format == "plain"
    from policykit.evaluate.errors import EvalError

    with pytest.raises(EvalError, match="no chat template"):
        LikelihoodScorer(model, tokenizer, prompt="chat")


def test_options_default_to_likelihood_essentials() -> None:
    options = EvalOptions()
    assert (options.prompt, options.normalize, options.batch_size) == ("auto", "mean", 8)
