"""What a backend is: the options it is configured with, the estimates it returns,
and the plugin protocol (pre-commit's ``lang_base``).

The backends import this module; :mod:`policykit.evaluate.registry` imports the
backends (pre-commit's ``all_languages``), so the arrows run one way. A
:data:`BackendFactory` receives the :class:`EvalOptions` and returns a ready backend;
the built-in factories import torch, transformers and the HTTP and Ray clients only
when they are called, so nothing here (nor ``policykit validate``) pulls them in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from policykit.evaluate.cases import Case
from policykit.evaluate.scoring import ExemplarScore, Normalize

if TYPE_CHECKING:
    from policykit.evaluate.judges.base import Judge, Judged

Progress = Callable[[int], None]
"""Called with the number of cases finished since the last call."""

PromptFormat = Literal["auto", "chat", "plain"]


@dataclass(frozen=True, slots=True)
class EvalOptions:
    """Everything a backend may be configured with; each backend reads what it uses."""

    model: str | None = None
    """A local model folder, a GGUF file, or a hub id; None: the bundled SmolLM2."""
    device: str = "auto"
    """``auto`` (CUDA when available, else CPU), ``cpu``, ``cuda``, ``cuda:1``, ``mps``."""
    batch_size: int = 8
    """Cases per forward pass (likelihood) or per generate call (generate)."""
    seed: int = 0
    prompt: PromptFormat = "auto"
    """``chat``: the model's chat template; ``plain``: ``User: ...`` / ``Assistant:``
    text, as in the exported lm-eval task; ``auto``: chat when the tokenizer has a
    template."""
    normalize: Normalize = "mean"
    """How an exemplar's token log-probabilities are combined (see ``scoring``)."""
    samples: int = 8
    """Completions per case (generate)."""
    max_new_tokens: int = 128
    temperature: float | None = None
    """Sampling temperature; None: the model's generation config, else
    :data:`FALLBACK_DECODING`."""
    top_p: float | None = None
    """Nucleus sampling; None: as ``temperature``."""
    judge: str = "stance"
    """The judge that labels sampled responses (generate, responses)."""
    judge_model: str | None = None
    """The ``model`` judge's grader: a model folder or ``.gguf``; None: the bundled one."""
    threshold: float | None = None
    """Below this judge confidence a response is ``unclassified``; None: the judge's own."""
    embedder: str | None = None
    """Sentence-embedding model folder for the embedding judges; None: the bundled MiniLM."""
    calibrate: bool = False
    """likelihood: divide each outcome's likelihood by its likelihood after a
    content-free request (contextual calibration, Zhao et al. 2021)."""
    responses: Path | None = None
    """Responses made elsewhere (responses backend): a JSONL of ``{"id": case id,
    "response": text}``, an Inspect log (``.eval`` or ``.json``) or a promptfoo output
    JSON; the format is read from the file."""
    base_url: str | None = None
    """openai: the server's API root, e.g. ``http://127.0.0.1:8000/v1``."""
    api_key_env: str = "OPENAI_API_KEY"
    """openai, and a served grader: the environment variable holding the API key."""
    concurrency: int = 8
    """openai, and a served grader: requests in flight at once."""
    request_timeout: float = 120.0
    """openai: seconds one request may take before it is retried."""
    max_retries: int = 5
    """openai: retries of one request (429, 5xx, lost connections) before it fails."""
    cache_dir: Path | None = None
    """openai: where the response cache is kept (the output folder)."""
    extra: Mapping[str, str] = field(default_factory=dict)
    """Free-form settings for third-party backends."""


FALLBACK_DECODING = {"temperature": 0.7, "top_p": 0.9}
"""Sampling settings for a model whose generation config sets none (the bundled GGUF
file carries none): SmolLM2's authors suggest a low temperature with nucleus sampling;
at temperature 1.0 more than half of its answers to policykit's probes were
unclassifiable."""


@dataclass(frozen=True, slots=True)
class SampleSummary:
    """What a sampling backend saw for one case."""

    counts: Mapping[str, int]
    """Per outcome and ``unclassified``."""
    interval: Mapping[str, tuple[float, float]]
    """95% bootstrap interval of each outcome's probability among classified responses."""
    unclassified_interval: tuple[float, float]
    """95% bootstrap interval of the unclassified share."""
    kl_interval: tuple[float, float]
    """95% bootstrap interval of KL(P_model || P_intended)."""
    responses: tuple[Judged, ...] = ()
    draws: Any = field(default=None, compare=False, repr=False)
    """The bootstrap's resampled distributions over the outcomes, (draws, outcomes)."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """A backend's estimate of ``P_model`` over one case's outcomes."""

    case: str
    """The case id."""
    model: Mapping[str, float]
    """P_model over the case's outcomes among classified responses; sums to 1."""
    unclassified: float | None = None
    """The share of responses that fit no outcome (sampling modes); None where the
    backend cannot see it (likelihood scores only the outcomes' exemplars)."""
    exemplars: Mapping[str, tuple[ExemplarScore, ...]] | None = None
    """Likelihood mode: each outcome's exemplar log-likelihoods."""
    scores: Mapping[str, float] | None = None
    """Likelihood mode: each outcome's combined score S_o."""
    sample: SampleSummary | None = None
    """Sampling modes: counts, intervals and the classified responses."""


@runtime_checkable
class Backend(Protocol):
    name: str
    """The backend's registry name."""
    model_name: str
    """What is measured (a model path or id, or a responses file)."""
    device: str

    def estimate(self, cases: Sequence[Case], progress: Progress) -> list[Estimate]:
        """One estimate per case, in order; a case the backend cannot estimate (no
        response for it, say) is left out."""
        ...

    @property
    def model_seconds(self) -> float:
        """Seconds spent inside model calls so far (forward passes, generation,
        embedding), to tell the model's time from policykit's own."""
        ...


BackendFactory = Callable[[EvalOptions], Backend]


@dataclass(frozen=True, slots=True)
class Batch:
    """One unit of a backend's work: a batch of cases it runs together."""

    index: int
    """Its place in the backend's plan (the generate backend seeds its sampling with
    it)."""
    members: tuple[int, ...]
    """Positions of its cases in the case list."""


@runtime_checkable
class Batched(Protocol):
    """A backend whose work splits into batches that give the same estimates wherever
    and in whatever order they run (what ``--ray`` shards)."""

    def plan(self, cases: Sequence[Case]) -> list[Batch]:
        """The batches ``estimate`` runs on ``cases``, in its order."""
        ...

    def estimate_batch(self, cases: Sequence[Case], batch: Batch) -> list[Estimate]:
        """The estimates of one batch's cases, as ``estimate`` makes them."""
        ...


def judge_for(options: EvalOptions, device: str) -> Judge:
    """The judge ``options`` ask for, on the evaluation's device."""
    from policykit.evaluate.judges import JudgeOptions, get_judge

    factory = get_judge(options.judge)
    return factory(
        JudgeOptions(
            device=device,
            embedder=options.embedder,
            threshold=options.threshold,
            model=options.judge_model,
            seed=options.seed,
            api_key_env=options.api_key_env,
            concurrency=options.concurrency,
            extra=options.extra,
        )
    )
