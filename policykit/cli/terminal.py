"""Text from input files made safe to show on a terminal.

A policy file is untrusted, and the text policykit shows from it (a source line, an id,
a path) could carry ESC or C1 control characters that clear the screen, move the cursor
or forge a line such as ``ok: 0 errors``. Every text output passes such text through
:func:`shown`, which writes each control character as its escape (``\\x1b``); rich
markup is escaped separately, where the text goes into a rich string.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
"""C0 (all but TAB), DEL, C1, the Unicode line and paragraph separators, and the
bidirectional controls that reorder what a reader sees."""


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: str) -> str:
    """``text`` with every control character written as its escape."""
    return _CONTROL.sub(_escape, text) if _CONTROL.search(text) else text


def markup_safe(text: str) -> str:
    """``text`` to put into a rich markup string: control characters escaped, and
    brackets never read as markup (a path like ``out/[x]/spec.json``)."""
    from rich.markup import escape

    return escape(shown(text))
