"""policykit: stakeholder-weighted policy configuration for aligning language models."""

from __future__ import annotations

__version__ = "0.1.0"

from policykit.api import ValidateOptions, ValidationResult, validate_project
from policykit.diagnostics import Diagnostic, PolicykitError, Related, Severity
from policykit.load.reader import Limits

__all__ = [
    "Diagnostic",
    "Limits",
    "PolicykitError",
    "Related",
    "Severity",
    "ValidateOptions",
    "ValidationResult",
    "__version__",
    "validate_project",
]
