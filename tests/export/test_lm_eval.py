"""The exported lm-evaluation-harness task, run by the harness on a tiny random model.

The model is built here from a config (one layer, 16 dimensions) with a byte-level BPE
tokenizer trained on two sentences, and saved to a temporary folder: nothing is
downloaded, and the harness loads it the way it loads any Hugging Face model.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from policykit.cli import main
from policykit.export import CaseSet
from policykit.export.cases import suite_name as task_name
from policykit.export.lm_eval import prompt_text
from policykit.resolve.distributions import js, tv
from tests.export.nasty import NASTY

lm_eval = pytest.importorskip("lm_eval")
pytest.importorskip("transformers")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-llama")
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<eos>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(["the user asks", "the assistant answers"], trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token="<eos>", bos_token="<eos>", pad_token="<eos>"
    )
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(fast),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def _evaluate(task_dir: Path, name: str, model: Path) -> dict[str, Any]:
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    results = simple_evaluate(
        model="hf",
        model_args={"pretrained": str(model), "dtype": "float32"},
        tasks=[name],
        task_manager=TaskManager(include_path=str(task_dir), include_defaults=False),
        device="cpu",
        batch_size=4,
        log_samples=True,
        bootstrap_iters=0,
    )
    assert results is not None
    return dict(results)


def test_task_runs_through_the_harness(
    nasty_spec_file: Path, nasty_cases: CaseSet, tiny_model: Path, offline: Path
) -> None:
    out = offline / "lm-eval"
    assert main(["export", str(nasty_spec_file), "--to", "lm-eval", "-o", str(out)]) == 0
    name = task_name(nasty_cases.project)

    results = _evaluate(out, name, tiny_model)

    samples = results["samples"][name]
    assert len(samples) == len(nasty_cases.cases) == 7
    by_id = {s["doc"]["id"]: s for s in samples}
    tvs, jss = [], []
    for case in nasty_cases.cases:
        sample = by_id[case.id]
        outcomes = sorted(case.outcomes)
        choices = [e for o in outcomes for e in case.outcomes[o].exemplars]
        # what the harness scored is the case's own text, untouched
        contexts = [context for context, _ in sample["arguments"]]
        continuations = [continuation for _, continuation in sample["arguments"]]
        assert contexts == [prompt_text(case)] * len(choices)
        assert continuations == [" " + c for c in choices]
        # P_model over outcomes: mean exemplar probability, renormalized
        lls = [float(r[0]) for r in sample["filtered_resps"]]
        owner = [i for i, o in enumerate(outcomes) for _ in case.outcomes[o].exemplars]
        top = max(lls)
        mean = [
            sum(math.exp(ll - top) for ll, j in zip(lls, owner, strict=True) if j == i)
            / owner.count(i)
            for i in range(len(outcomes))
        ]
        p = [m / sum(mean) for m in mean]
        q = [case.intended[o] for o in outcomes]
        assert sample["tv"] == pytest.approx(tv(p, q))
        assert sample["js"] == pytest.approx(js(p, q), abs=1e-12)
        tvs.append(tv(p, q))
        jss.append(js(p, q))
    metrics = results["results"][name]
    assert metrics["tv,none"] == pytest.approx(sum(tvs) / len(tvs))
    assert metrics["js,none"] == pytest.approx(sum(jss) / len(jss))
    assert 0.0 <= metrics["allowed_mass,none"] <= 1.0
    # and the hostile text went through whole
    probe = next(c for c in nasty_cases.cases if c.messages[1].content.startswith("[probe]"))
    logged = by_id[probe.id]["arguments"][0][0]
    for fragment in NASTY:
        assert logged.count(fragment) >= 2  # in the deployment text and in the probe
    assert logged == prompt_text(probe)
