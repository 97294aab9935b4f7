"""Wording shared by every stage's messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def suggest(name: str, choices: Iterable[str]) -> str:
    """A "did you mean" hint for a name not among ``choices``, or an empty string."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


CHOICES_SHOWN = 40
"""At most this many valid choices are listed in a hint: messages stay bounded."""


def suggest_or_list(name: str, choices: Iterable[str], more: str = "") -> str:
    """A "did you mean" hint, or else the valid choices (sorted; the first
    :data:`CHOICES_SHOWN`, then how many more, and ``more``: where to find them all)."""
    listed = sorted(set(choices))
    hint = suggest(name, listed)
    if hint or not listed:
        return hint
    shown = ", ".join(listed[:CHOICES_SHOWN])
    rest = len(listed) - CHOICES_SHOWN
    if rest > 0:
        shown += f" and {rest} more" + (f" ({more})" if more else "")
    return f"expected one of: {shown}"
