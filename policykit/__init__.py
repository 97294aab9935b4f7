"""policykit: stakeholder-weighted policy configuration for aligning language models."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from policykit.diagnostics import Diagnostic, PolicykitError, Related, Severity
    from policykit.errors import UserError
    from policykit.load.reader import Limits
    from policykit.pipeline import (
        CompileOptions,
        CompileResult,
        ValidateOptions,
        ValidationResult,
        compile_project,
        validate_project,
    )
    from policykit.util.tuning import Tuning

# Imported on first use: `policykit query` and `--help` must not pay for importing the
# compiler (load, schema, analyze, resolve) just because the package was imported.
_LAZY = {
    "Diagnostic": "policykit.diagnostics",
    "PolicykitError": "policykit.diagnostics",
    "Related": "policykit.diagnostics",
    "Severity": "policykit.diagnostics",
    "UserError": "policykit.errors",
    "Limits": "policykit.load.reader",
    "CompileOptions": "policykit.pipeline",
    "CompileResult": "policykit.pipeline",
    "ValidateOptions": "policykit.pipeline",
    "ValidationResult": "policykit.pipeline",
    "compile_project": "policykit.pipeline",
    "validate_project": "policykit.pipeline",
    "Tuning": "policykit.util.tuning",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'policykit' has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = [
    "CompileOptions",
    "CompileResult",
    "Diagnostic",
    "Limits",
    "PolicykitError",
    "Related",
    "Severity",
    "Tuning",
    "UserError",
    "ValidateOptions",
    "ValidationResult",
    "__version__",
    "compile_project",
    "validate_project",
]
