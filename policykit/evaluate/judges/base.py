"""What a judge is: the values it reads and returns, and the plugin protocol.

A judge reads a :class:`Question` (a behavior, its outcomes, the user's request and one
response) and returns a :class:`Judged`: one of the behavior's outcome ids, or
``unclassified`` for a response that fits none of them (off-topic, incoherent, no
answer). Judges are plugins: the built-ins are listed in
:func:`policykit.evaluate.judges.builtin_judges`, third parties add theirs under the
``policykit.judges`` entry-point group, each naming a :data:`JudgeFactory`.

This module imports neither torch nor transformers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from policykit.evaluate.cases import Case, Outcome

UNCLASSIFIED = "unclassified"
"""The label of a response that fits none of its behavior's outcomes."""


@dataclass(frozen=True, slots=True)
class Question:
    """One response to judge, with what the judge may know about it."""

    behavior: str
    outcomes: tuple[Outcome, ...]
    """The behavior's response classes, sorted by id."""
    prompt: str
    """The user's request the response answers."""
    response: str

    @property
    def outcome_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.outcomes)


def questions(case: Case, responses: Sequence[str]) -> list[Question]:
    """The questions that judge ``responses`` to ``case``'s prompt."""
    prompt = next((c for r, c in reversed(case.messages) if r == "user"), "")
    return [Question(case.behavior, case.outcomes, prompt, text) for text in responses]


@dataclass(frozen=True, slots=True)
class Judged:
    text: str
    label: str
    """An outcome id, or ``unclassified``."""
    confidence: float
    """How sure the judge is of ``label``, in [0, 1] (a probability where the judge has
    one, else its own score)."""
    scores: Mapping[str, float] = field(default_factory=dict)
    """Per outcome (and ``unclassified``), the judge's probability or score, where it
    has them."""


@dataclass(frozen=True, slots=True)
class JudgeOptions:
    """Everything a judge may be configured with; each judge reads what it uses."""

    device: str = "cpu"
    embedder: str | None = None
    """Sentence-embedding model folder (embedding judges); None: the bundled MiniLM."""
    threshold: float | None = None
    """Below this confidence a response is ``unclassified``; None: the judge's own
    default (its measured operating point)."""
    model: str | None = None
    """The grader model of the ``model`` judge: a local folder, a ``.gguf`` file, or a
    served model written ``openai:NAME@URL``; None: the bundled SmolLM2-135M-Instruct."""
    seed: int = 0
    api_key_env: str = "OPENAI_API_KEY"
    """A served grader: the environment variable holding the API key."""
    concurrency: int = 8
    """A served grader: requests in flight at once."""
    extra: Mapping[str, str] = field(default_factory=dict)
    """Free-form settings for third-party judges."""


@runtime_checkable
class Judge(Protocol):
    name: str
    """The judge's registry name."""

    def judge(self, items: Sequence[Question]) -> list[Judged]:
        """One verdict per question, in order. Judges batch their model calls over the
        whole sequence, so pass many questions at once."""
        ...

    @property
    def model_seconds(self) -> float:
        """Seconds spent inside model calls so far."""
        ...

    def describe(self) -> Mapping[str, str | int | float | bool | None]:
        """The settings that shape this judge's verdicts, recorded in results.json."""
        ...


JudgeFactory = Callable[[JudgeOptions], Judge]
