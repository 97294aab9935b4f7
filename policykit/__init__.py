"""policykit: stakeholder-weighted policy configuration for aligning language models."""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

from policykit.api import ValidateOptions, ValidationResult, validate_project
from policykit.diagnostics import Diagnostic, PolicykitError, Related, Severity
from policykit.load.reader import Limits
from policykit.util.tuning import Tuning

if TYPE_CHECKING:
    from policykit.compile import CompileOptions, CompileResult, compile_project

_LAZY = {"CompileOptions", "CompileResult", "compile_project"}


def __getattr__(name: str) -> object:
    # compile pulls in resolution; `policykit validate` should not pay for importing it
    if name in _LAZY:
        from policykit import compile as _compile

        return getattr(_compile, name)
    raise AttributeError(f"module 'policykit' has no attribute {name!r}")


__all__ = [
    "CompileOptions",
    "CompileResult",
    "Diagnostic",
    "Limits",
    "PolicykitError",
    "Related",
    "Severity",
    "Tuning",
    "ValidateOptions",
    "ValidationResult",
    "__version__",
    "compile_project",
    "validate_project",
]
