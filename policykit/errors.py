"""The one base class of the errors that are the user's to fix, not bugs."""

from __future__ import annotations

from typing import ClassVar


class UserError(Exception):
    """Something about the user's input or environment stops a command; not a bug.

    The CLI catches these in one place. An error about one input (``subject``: the
    behavior, the context, the spec…) is a usage error; one with a diagnostic
    ``code`` is shown in the same shape as a diagnostic, at ``file`` when given.
    Messages name what is wrong, never a command-line flag: the CLI adds those.
    """

    code: ClassVar[str] = ""
    """The diagnostic code of this kind of failure (PK5xx for export and evaluation)."""

    def __init__(self, message: str, *, subject: str = "", file: str = "", hint: str = ""):
        super().__init__(message)
        self.subject = subject
        self.file = file
        self.hint = hint
