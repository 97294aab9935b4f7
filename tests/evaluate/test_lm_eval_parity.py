"""The likelihood backend scores the same tokens as lm-evaluation-harness, to 1e-4.

lm-eval's HFLM scores every (context, continuation) pair with its own forward pass;
policykit computes each prompt once and reuses its key/value cache. Both run on the same
tiny random model here, on the continuations of real cases.
"""

from __future__ import annotations

from typing import Any

import pytest

from policykit.evaluate.cases import Case
from policykit.evaluate.likelihood import LikelihoodScorer

lm_eval_hf = pytest.importorskip("lm_eval.models.huggingface")
TOLERANCE = 1e-4


def _hflm(tiny: tuple[Any, Any], add_bos_token: bool | None) -> Any:
    model, tokenizer = tiny
    return lm_eval_hf.HFLM(
        pretrained=model,
        tokenizer=tokenizer,
        batch_size=4,
        device="cpu",
        add_bos_token=add_bos_token,
    )


def _sample(cases: tuple[Case, ...]) -> list[Case]:
    # different behaviors, so outcome counts and exemplar lengths vary
    seen: dict[str, Case] = {}
    for c in cases:
        seen.setdefault(c.behavior, c)
    return list(seen.values())[:6]


def test_chat_prompt_token_loglikelihoods_match(
    tiny: tuple[Any, Any], cases: tuple[Case, ...]
) -> None:
    model, tokenizer = tiny
    scorer = LikelihoodScorer(model, tokenizer, batch_size=3, prompt="chat")
    chosen = _sample(cases)
    encoded = [scorer.encode(c) for c in chosen]
    ours = [s.logprob for scores in scorer.score(encoded) for s in scores]
    requests = [(("", ""), list(e.prompt), list(cont)) for e in encoded for cont in e.continuations]
    theirs = [ll for ll, _ in _hflm(tiny, False)._loglikelihood_tokens(requests, disable_tqdm=True)]
    assert len(ours) == len(theirs) > 10
    assert max(abs(a - b) for a, b in zip(ours, theirs, strict=True)) < TOLERANCE
    # a model that scores everything alike would pass the above trivially
    assert max(theirs) - min(theirs) > 1.0


def test_plain_prompt_string_requests_match(tiny: tuple[Any, Any], cases: tuple[Case, ...]) -> None:
    """Through lm-eval's own tokenization: (context, continuation) strings as its
    multiple_choice task builds them from the exported task's prompt."""
    from lm_eval.api.instance import Instance

    model, tokenizer = tiny
    scorer = LikelihoodScorer(model, tokenizer, batch_size=4, prompt="plain")
    chosen = _sample(cases)
    ours = [
        s.logprob for scores in scorer.score([scorer.encode(c) for c in chosen]) for s in scores
    ]
    instances = [
        Instance(
            request_type="loglikelihood",
            doc={},
            arguments=(c.completion_prompt, " " + exemplar),
            idx=i,
        )
        for c in chosen
        for i, exemplar in enumerate(e for o in c.outcomes for e in o.exemplars)
    ]
    theirs = [ll for ll, _ in _hflm(tiny, None).loglikelihood(instances, disable_tqdm=True)]
    assert len(ours) == len(theirs)
    assert max(abs(a - b) for a, b in zip(ours, theirs, strict=True)) < TOLERANCE


def test_exported_lm_eval_task_gives_the_same_loglikelihoods(
    tmp_path: Any, spec: Any, tiny: tuple[Any, Any]
) -> None:
    """The lm-eval task that ``policykit export --to lm-eval`` writes, run by
    lm-evaluation-harness itself, against policykit's plain-prompt scores."""
    import lm_eval
    from lm_eval.tasks import TaskManager

    from policykit.evaluate.cases import from_eval_case
    from policykit.export import CaseOptions, CaseSet, build_cases, export
    from policykit.export.cases import suite_name as task_name

    full = build_cases(spec, CaseOptions(max_cases_per_behavior=1))
    small = CaseSet(
        project=full.project,
        description=full.description,
        spec_hash=full.spec_hash,
        cases=full.cases[:3],
    )
    export(small, "lm-eval", tmp_path)
    model, tokenizer = tiny
    run = lm_eval.simple_evaluate(
        model=_hflm(tiny, None),
        tasks=[task_name(small.project)],
        task_manager=TaskManager(include_path=str(tmp_path)),
        log_samples=True,
    )
    assert run is not None
    samples = next(iter(run["samples"].values()))
    cases = [from_eval_case(c) for c in small.cases]
    scorer = LikelihoodScorer(model, tokenizer, prompt="plain")
    ours = {
        c.id: [s.logprob for s in scores]
        for c, scores in zip(cases, scorer.score([scorer.encode(c) for c in cases]), strict=True)
    }
    assert len(samples) == len(cases)
    for sample in samples:
        theirs = [float(resp[0][0]) for resp in sample["resps"]]
        mine = ours[sample["doc"]["id"]]
        assert len(mine) == len(theirs)
        assert max(abs(a - b) for a, b in zip(mine, theirs, strict=True)) < TOLERANCE
