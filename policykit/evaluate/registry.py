"""The registry of backends (pre-commit's ``all_languages``).

The built-ins are listed in :func:`builtin_backends`; third parties add theirs under
the ``policykit.backends`` entry-point group, each entry point naming a
:data:`~policykit.evaluate.types.BackendFactory`. This module imports the built-in
backends; they import only :mod:`policykit.evaluate.types`, never this module, so
there is no cycle. Importing a backend module is cheap: each one imports torch,
transformers, the HTTP client or Ray inside its ``create``.
"""

from __future__ import annotations

from typing import cast

from policykit.evaluate import generate, likelihood, responses, served
from policykit.evaluate.errors import EvalError
from policykit.evaluate.types import BackendFactory
from policykit.util.plugins import find_plugin, plugin_names

ENTRY_POINT_GROUP = "policykit.backends"


def builtin_backends() -> dict[str, BackendFactory]:
    return {
        "generate": generate.create,
        "likelihood": likelihood.create,
        "responses": responses.create,
        "openai": served.create,
    }


DESCRIPTIONS = {
    "likelihood": "score each outcome's exemplars as continuations (a cheap proxy)",
    "generate": "sample completions and label them with a judge (default)",
    "responses": "judge responses made elsewhere: JSONL, an Inspect log, promptfoo output",
    "openai": "sample completions from an OpenAI-compatible server and judge them",
}


def backend_names() -> list[str]:
    """Built-ins first, then plugins sorted; a plugin never shadows a built-in."""
    return plugin_names(builtin_backends(), ENTRY_POINT_GROUP)


def get_backend(name: str) -> BackendFactory:
    found = find_plugin(
        name,
        builtin_backends(),
        ENTRY_POINT_GROUP,
        kind="backend",
        plural="backends",
        valid=callable,
        invalid="is not a backend factory",
        error=EvalError,
    )
    return cast(BackendFactory, found)
