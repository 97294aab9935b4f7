"""Fixtures for the evaluator: the compiled health-assistant spec and its cases, and a
tiny random Llama with a tokenizer trained here on the cases' own text (no download)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from policykit.evaluate.cases import Case, load_cases
from policykit.spec.artifact import TargetBehaviorSpec

REPO = Path(__file__).resolve().parents[2]
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.fixture(scope="session")
def spec() -> TargetBehaviorSpec:
    from policykit.pipeline import compile_project

    result = compile_project(REPO / "examples" / "health_assistant")
    assert result.spec is not None
    return result.spec


@pytest.fixture(scope="session")
def cases(spec: TargetBehaviorSpec) -> tuple[Case, ...]:
    return load_cases(spec)


def _texts(cases: tuple[Case, ...]) -> Iterator[str]:
    for c in cases:
        for _, content in c.messages:
            yield content
        yield c.completion_prompt
        for o in c.outcomes:
            yield o.description
            yield from o.exemplars


def build_tokenizer(cases: tuple[Case, ...], chat_template: str | None = CHATML) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_texts(cases), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", bos_token="<|im_start|>", eos_token="<|im_end|>"
    )
    if chat_template:
        fast.chat_template = chat_template
    return fast


def build_model(vocab: int, seed: int = 0) -> Any:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        initializer_range=0.2,  # far from uniform, so that wrong scores show
        tie_word_embeddings=False,
    )
    # float64, so that the comparisons with reference implementations and lm-eval test
    # the algorithm, not float32 rounding (the benchmark reports the float32 figures)
    return LlamaForCausalLM(config).double().eval()


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory, cases: tuple[Case, ...]) -> Path:
    """A tiny random Llama and its tokenizer, saved as a model folder."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    folder = tmp_path_factory.mktemp("tiny-llama")
    tokenizer = build_tokenizer(cases)
    build_model(len(tokenizer)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny(tiny_dir: Path) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float64).eval()
    return model, AutoTokenizer.from_pretrained(tiny_dir)
